import { z } from 'zod';
import type { EventFields } from '../../normalizers/build-event.ts';
import { optionalId, optionalObject, optionalText, optionalTimestamp, requiredId } from '../../normalizers/fields.ts';
import type { EventStatus } from '../../normalizers/normalized-event.ts';
import { parsePayload } from '../../normalizers/parse-payload.ts';
import type { RawEvent } from '../../queue/contract.ts';
import { NormalizeError } from '../../shared/errors.ts';

/** `X-GitHub-Event`, or (for a body stored without it) what the payload itself shows. */
export function githubEvent(payload: unknown, headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const header = headers['x-github-event'];
  if (typeof header === 'string' && header !== '') return header;
  if (typeof payload !== 'object' || payload === null) return undefined;
  if ('workflow_run' in payload) return 'workflow_run';
  if ('workflow_job' in payload) return 'workflow_job';
  if ('zen' in payload && 'hook_id' in payload) return 'ping';
  return undefined;
}

const STARTED = new Set(['requested', 'queued', 'waiting', 'pending']);

/**
 * completed's conclusion → status. SPEC fixes success, failure, timed_out, startup_failure and
 * cancelled; the rest are ours: neutral is a pass; skipped and stale runs did not run (canceled);
 * action_required waits for a person to approve it, and GitHub starts it anew once approved (paused).
 */
const STATUS_BY_CONCLUSION: Readonly<Record<string, EventStatus>> = {
  success: 'succeeded',
  neutral: 'succeeded',
  failure: 'failed',
  timed_out: 'failed',
  startup_failure: 'failed',
  cancelled: 'canceled',
  skipped: 'canceled',
  stale: 'canceled',
  action_required: 'paused',
};

const CONCLUSION_WORDS: Readonly<Record<string, string>> = {
  failure: 'failed',
  timed_out: 'timed out',
  startup_failure: 'failed to start (startup_failure)',
  action_required: 'waits for approval (action_required)',
};

function statusOf(action: string, conclusion: string | undefined, state: string | undefined): EventStatus {
  if (STARTED.has(action)) return 'started';
  if (action === 'in_progress') return 'running';
  // One of GitHub's own examples says "completed" of a run whose status is still "queued", with no
  // conclusion: the run's status is believed over the action then.
  if (action === 'completed' && conclusion === undefined && state !== undefined && state !== 'completed') return statusOf(state, undefined, undefined);
  if (action === 'completed') {
    const status = conclusion === undefined ? undefined : Object.hasOwn(STATUS_BY_CONCLUSION, conclusion) ? STATUS_BY_CONCLUSION[conclusion] : undefined;
    if (status === undefined) throw new NormalizeError(`completed with unknown conclusion '${conclusion ?? '(none)'}'`);
    return status;
  }
  throw new NormalizeError(`unknown action '${action}'`);
}

const repositorySchema = z.looseObject({ full_name: z.string().min(1) });

const workflowRunSchema = z.looseObject({
  action: z.string(),
  repository: repositorySchema,
  workflow_run: z.looseObject({
    id: requiredId,
    workflow_id: requiredId,
    name: optionalText,
    run_number: optionalId,
    run_attempt: z.number().int().optional().catch(undefined),
    status: optionalText,
    conclusion: optionalText,
    head_branch: optionalText,
    created_at: optionalTimestamp,
    updated_at: optionalTimestamp,
    run_started_at: optionalTimestamp,
  }),
  workflow: optionalObject({ name: optionalText }),
});

const stepSchema = z.looseObject({ name: optionalText, conclusion: optionalText });

const workflowJobSchema = z.looseObject({
  action: z.string(),
  repository: repositorySchema,
  workflow_job: z.looseObject({
    id: requiredId,
    run_id: optionalId,
    run_attempt: z.number().int().optional().catch(undefined),
    name: z.string().min(1),
    workflow_name: optionalText,
    status: optionalText,
    conclusion: optionalText,
    created_at: optionalTimestamp,
    started_at: optionalTimestamp,
    completed_at: optionalTimestamp,
    steps: z.array(z.unknown()).optional().catch(undefined),
  }),
});

function workflowRun(payload: unknown): EventFields {
  const { action, repository, workflow_run: run, workflow } = parsePayload(workflowRunSchema, payload);
  const status = statusOf(action, run.conclusion, run.status);
  const workflowName = run.name ?? workflow?.name ?? `workflow ${run.workflow_id}`;
  const series = `${repository.full_name} · ${workflowName}`;
  const attempt = run.run_attempt !== undefined && run.run_attempt > 1 ? ` attempt ${run.run_attempt}` : '';
  const runLabel = `run #${run.run_number ?? run.id}${attempt}`;
  const failed = status === 'failed' || status === 'paused';
  const error =
    failed && run.conclusion !== undefined
      ? { code: run.conclusion, message: `${runLabel} ${CONCLUSION_WORDS[run.conclusion] ?? run.conclusion}` }
      : undefined;
  return {
    type: `workflow_run.${action}`,
    category: 'workflow',
    status,
    occurredAt: [run.updated_at, run.run_started_at, run.created_at],
    // The run id stays the same across re-runs (run_attempt counts them): one run, its latest attempt.
    subject: { id: run.id, name: `${series} #${run.run_number ?? run.id}${run.head_branch ? ` (${run.head_branch})` : ''}` },
    parent: { id: run.workflow_id, name: series },
    error,
    summary: {
      what: 'Actions workflow',
      label: { name: series, id: run.workflow_id },
      status,
      detail: error?.message ?? runLabel,
    },
  };
}

function workflowJob(payload: unknown): EventFields {
  const { action, repository, workflow_job: job } = parsePayload(workflowJobSchema, payload);
  const status = statusOf(action, job.conclusion, job.status);
  const workflowName = job.workflow_name ?? 'workflow';
  // A job is a run of its own (SPEC's subject), in the series of that job in that workflow: jobs
  // must not move their workflow run's row, or a job that passes would "finish" a run still running.
  const series = `${repository.full_name} · ${workflowName} · ${job.name}`;
  const failedStep = (job.steps ?? [])
    .map((step) => stepSchema.safeParse(step))
    .flatMap((parsed) => (parsed.success ? [parsed.data] : []))
    .find((step) => step.conclusion === 'failure');
  const error =
    status === 'failed'
      ? {
          code: job.conclusion,
          message: failedStep?.name ? `step '${failedStep.name}' failed` : `job ${CONCLUSION_WORDS[job.conclusion ?? ''] ?? 'failed'}`,
          step: failedStep?.name,
        }
      : undefined;
  return {
    type: `workflow_job.${action}`,
    category: 'workflow',
    status,
    occurredAt: [job.completed_at, job.started_at, job.created_at],
    subject: { id: `job:${job.id}`, name: `${series}${job.run_id ? ` (run ${job.run_id})` : ''}` },
    parent: { id: `${repository.full_name}:${workflowName}:${job.name}`, name: series },
    error,
    summary: { what: 'Actions job', label: { name: series, id: `job:${job.id}` }, status, detail: error?.message },
  };
}

export function normalize(payload: unknown, raw: RawEvent): EventFields {
  const event = githubEvent(payload, raw.headers);
  if (event === 'workflow_run') return workflowRun(payload);
  if (event === 'workflow_job') return workflowJob(payload);
  // Kept, visible and replayable like any unnormalizable event: the webhook sends more than it should.
  throw new NormalizeError(
    `event '${event ?? '(no X-GitHub-Event)'}' is not a workflow run or job: subscribe the webhook to "Workflow runs" and "Workflow jobs" only`,
  );
}
