import { sampleBody, sendSample } from '../../samples/samples.ts';
import { readConfig } from '../cli-config.ts';
import { CliError } from '../cli-error.ts';
import { providerOf, type ProviderId } from '../providers.ts';

export type SendSampleOptions = { url?: string | undefined; unique?: boolean | undefined };

export async function sendSampleCommand(provider: ProviderId, options: SendSampleOptions): Promise<number> {
  const config = readConfig(process.env);
  const credential = config.credentials[provider]?.[0];
  if (!credential) throw new CliError(`${providerOf(provider).credential.variable} is not set: the ${provider} endpoint is off, and there is nothing to sign with`);
  const baseUrl = options.url ?? process.env.HOOKLINE_URL ?? `http://127.0.0.1:${config.port}`;
  let result;
  try {
    result = await sendSample(baseUrl, provider, sampleBody(provider, { unique: options.unique === true }), credential);
  } catch (error) {
    throw new CliError(`hookline at ${baseUrl} did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.stdout.write(`${result.status} ${result.body}\n`);
  if (result.status === 200 && result.body.includes('"duplicate"')) {
    process.stdout.write('(already received within the dedup window: --unique sends it with a fresh event key)\n');
  }
  return result.status >= 200 && result.status < 300 ? 0 : 1;
}
