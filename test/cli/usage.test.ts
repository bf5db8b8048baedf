import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, oneLineError, ROOT } from './run-cli.ts';

// Nothing here reaches a service: a wrong turn into one would show as a connection error.
const NO_SERVICES = { REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

describe('hookline --help, --version and usage errors', { timeout: 90_000 }, () => {
  it('every command answers --help with its usage and options, exit 0, and runs nothing', async () => {
    const expected: Record<string, RegExp[]> = {
      events: [/--provider <provider>/, /--status <status>/, /--since <age or time>/, /--limit <n>/, /--json/, /--url <base url>/, /--database-url <postgres url>/],
      runs: [/--provider <provider>/, /--limit <n>/, /--json/, /--url <base url>/, /--database-url <postgres url>/],
      show: [/<event key>/, /--json/, /--url <base url>/, /--database-url <postgres url>/],
      replay: [/--key <event key>/, /--sink <sinks>/, /--until <age or time>/, /--all/, /--dry-run/, /--url <base url>/, /--token <admin token>/, /--json/],
      'send-sample': [/<provider>/, /persona, personaclick/, /--url <base url>/, /--unique/],
      doctor: [/checks the configuration/],
    };
    const runs = await Promise.all(Object.keys(expected).map(async (command) => [command, await cli([command, '--help'], NO_SERVICES)] as const));
    for (const [command, run] of runs) {
      expect(run.stderr, command).toBe('');
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toMatch(new RegExp(`^Usage: hookline ${command} `));
      for (const pattern of expected[command] ?? []) expect(run.stdout, command).toMatch(pattern);
      // The bugs: Node's parseArgs internals, and doctor running its checks instead of helping.
      expect(run.stdout, command).not.toMatch(/ERR_PARSE_ARGS|TypeError|Unknown option|^(ok|warn|fail)\s/m);
    }
  });

  it('--help and help list the commands and the exit codes; --version prints package.json\'s version', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const [help, helpCommand, longVersion, shortVersion, bare] = await Promise.all([
      cli(['--help']),
      cli(['help', 'replay']),
      cli(['--version']),
      cli(['-V']),
      cli([]),
    ]);
    expect(help.code).toBe(0);
    for (const command of ['events', 'runs', 'show', 'replay', 'send-sample', 'doctor']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(help.stdout).toMatch(/Exit codes:\n\s+0 .*\n\s+1 .*\n\s+2 /);
    expect(helpCommand.code).toBe(0);
    expect(helpCommand.stdout).toMatch(/^Usage: hookline replay /);
    expect(longVersion).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(shortVersion.stdout).toBe(`${version}\n`);
    // No command at all is a usage error: the help, on stderr, exit 2.
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^Usage: hookline /);
  });

  it('a bad value is one line naming the option and what it takes, exit 2', async () => {
    const runs = await Promise.all([
      cli(['events', '--limit', '-3'], NO_SERVICES),
      cli(['events', '--limit', '1001'], NO_SERVICES),
      cli(['runs', '--limit', '2.5'], NO_SERVICES),
      cli(['replay', '--limit', '0'], NO_SERVICES),
      cli(['events', '--status', 'exploded'], NO_SERVICES),
      cli(['runs', '--provider', 'stripe'], NO_SERVICES),
      cli(['events', '--since', 'yesterday'], NO_SERVICES),
      cli(['replay', '--sink', 'fax'], NO_SERVICES),
      cli(['replay', '--url', 'ftp://example.com'], NO_SERVICES),
      cli(['events', '--database-url', 'mysql://x'], NO_SERVICES),
      cli(['send-sample', 'stripe'], NO_SERVICES),
      cli(['show'], NO_SERVICES),
      cli(['events', '--verbose'], NO_SERVICES),
      cli(['events', '--url', 'http://127.0.0.1:1', '--database-url', 'postgres://a@b/c'], NO_SERVICES),
      cli(['bogus'], NO_SERVICES),
      cli(['replay', '--key', ''], NO_SERVICES),
    ]);
    const lines = runs.map(oneLineError);
    const expected = [
      /^hookline: option '--limit <n>' argument '-3' is invalid\. the limit must be a whole number from 1 to 1000$/,
      /--limit <n>' argument '1001' is invalid\. the limit must be a whole number from 1 to 1000$/,
      /--limit <n>' argument '2\.5' is invalid\. the limit must be a whole number from 1 to 1000$/,
      /--limit <n>' argument '0' is invalid\. the limit must be a whole number from 1 to 100000$/,
      /--status <status>' argument 'exploded' is invalid\. unknown status "exploded"; expected one of .*failed/,
      /--provider <provider>' argument 'stripe' is invalid\. unknown provider "stripe"; expected one of persona, /,
      /--since <age or time>' argument 'yesterday' is invalid\. .*expected an age like 15m, 2h, 3d or an ISO 8601 time/,
      /--sink <sinks>' argument 'fax' is invalid\. unknown sink "fax"/,
      /--url <base url>' argument 'ftp:\/\/example\.com' is invalid\. expected an http:\/\/ or https:\/\/ URL/,
      /--database-url <postgres url>' argument 'mysql:\/\/x' is invalid\. expected a postgres:\/\/ URL/,
      /argument 'provider'\. unknown provider "stripe"/,
      /missing required argument 'event key'/,
      /unknown option '--verbose'/,
      /'--database-url <postgres url>' cannot be used with option '--url <base url>'/,
      /unknown command 'bogus'/,
      /--key <event key>' argument '' is invalid/,
    ];
    lines.forEach((line, index) => expect(line).toMatch(expected[index] ?? /^$/));
    for (const line of lines) expect(line).toMatch(/^hookline: /);
  });
});
