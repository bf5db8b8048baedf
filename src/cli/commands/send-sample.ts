import { parseArgs } from 'node:util';
import type { Config } from '../../config/config.ts';
import { providerInput } from '../../replay/filter-input.ts';
import { sampleBody, sendSample } from '../../samples/samples.ts';
import { CREDENTIAL_VARIABLES } from '../../config/load-config.ts';
import { CliError } from '../cli-error.ts';

export async function sendSampleCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { url: { type: 'string' }, unique: { type: 'boolean', default: false } },
  });
  const provider = providerInput(positionals[0]);
  if (!provider || positionals.length > 1) throw new CliError('usage: hookline send-sample <provider> [--url <base url>] [--unique]', 2);
  const credential = config.credentials[provider]?.[0];
  if (!credential) throw new CliError(`${CREDENTIAL_VARIABLES[provider]} is not set: the ${provider} endpoint is off, and there is nothing to sign with`);
  const baseUrl = values.url ?? process.env.HOOKLINE_URL ?? `http://127.0.0.1:${config.port}`;
  let result;
  try {
    result = await sendSample(baseUrl, provider, sampleBody(provider, { unique: values.unique }), credential);
  } catch (error) {
    throw new CliError(`hookline at ${baseUrl} did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.stdout.write(`${result.status} ${result.body}\n`);
  if (result.status === 200 && result.body.includes('"duplicate"')) {
    process.stdout.write('(already received within the dedup window: --unique sends it with a fresh event key)\n');
  }
  return result.status >= 200 && result.status < 300 ? 0 : 1;
}
