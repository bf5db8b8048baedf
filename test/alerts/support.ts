import { sendSigned } from '../support/signing.ts';

/** A ReachFive job report as ReachFive sends it (test/fixtures/reachfive), for job `id` of definition `definition`. */
export function reachfiveReport(id: string, options: { status?: 'FAILURE' | 'SUCCESS' | 'RUNNING'; definition?: string; at?: Date; failed?: number; type?: 'import' | 'export' } = {}): string {
  const at = (options.at ?? new Date()).toISOString();
  return JSON.stringify({
    id,
    type: options.type ?? 'import',
    status: options.status ?? 'FAILURE',
    created_at: at,
    updated_at: at,
    total_operations: 10,
    total_succeeded: options.status === 'SUCCESS' ? 10 - (options.failed ?? 0) : 0,
    total_failed: options.status === 'SUCCESS' ? (options.failed ?? 0) : 10,
    definition_id: options.definition ?? 'def_crm_nightly',
    definition_name: `CRM import ${options.definition ?? 'def_crm_nightly'}`,
  });
}

/** A Persona importer-pipeline-run event `name` for run `runId` of pipeline `pipelineId`. */
export function personaEvent(eventId: string, name: string, runId: string, options: { pipelineId?: string; at?: Date } = {}): string {
  const at = (options.at ?? new Date()).toISOString();
  return JSON.stringify({
    data: {
      type: 'event',
      id: eventId,
      attributes: {
        name,
        'created-at': at,
        payload: {
          data: {
            type: 'importer-pipeline-run',
            id: runId,
            attributes: { status: name.split('.').pop(), 'started-at': at, 'ended-at': null },
            relationships: { 'importer-pipeline': { data: { type: 'importer-pipeline', id: options.pipelineId ?? 'mprtp_PIPE1' } } },
          },
          included: [{ type: 'importer-pipeline', id: options.pipelineId ?? 'mprtp_PIPE1', attributes: { name: 'Nightly CRM sync' } }],
        },
      },
    },
  });
}

/** Posts every body signed, `parallel` at a time; resolves with every answer's status. */
export async function sendAll(baseUrl: string, provider: 'reachfive' | 'persona', bodies: readonly string[], parallel = 40): Promise<number[]> {
  const statuses: number[] = new Array<number>(bodies.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < bodies.length) {
        const index = next++;
        statuses[index] = (await sendSigned(baseUrl, provider, bodies[index] ?? '')).status;
      }
    }),
  );
  return statuses;
}
