/**
 * The parts of README.md, .env.example and docker-compose.yml that list providers, generated from
 * the registry (src/providers/registry.ts) between `generated:<name>` markers.
 *   npx tsx scripts/provider-docs.ts          rewrites them
 *   npx tsx scripts/provider-docs.ts --check  exits 1 when a file is out of date (test/ops/provider-docs.test.ts)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { stuckVariable } from '../src/config/load-config.ts';
import { PROVIDERS, type Provider } from '../src/providers/registry.ts';

const ROOT = new URL('../', import.meta.url);

function duration(seconds: number): string {
  if (seconds === 0) return '`0` (off)';
  const hours = seconds / 3_600;
  return Number.isInteger(hours) ? `\`${seconds}\` (${hours} h)` : `\`${seconds}\``;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export const SECTIONS: Record<string, () => string[]> = {
  'readme-endpoints': () => [
    '| method, path | authentication |',
    '| --- | --- |',
    ...PROVIDERS.map((p) => `| \`POST /webhooks/${p.id}\` | ${cell(p.docs.authentication)} |`),
  ],
  'readme-event-keys': () => ['| provider | event key |', '| --- | --- |', ...PROVIDERS.map((p) => `| ${p.id} | ${cell(p.docs.eventKey)} |`)],
  'readme-statuses': () => ['| provider | as sent → status |', '| --- | --- |', ...PROVIDERS.map((p) => `| ${p.id} | ${cell(p.docs.statuses)} |`)],
  'readme-stuck': () => [
    '| provider | default threshold | why |',
    '| --- | --- | --- |',
    ...PROVIDERS.map((p) => `| ${p.id} | ${duration(p.stuckAfter.defaultSeconds)} | ${cell(p.stuckAfter.why)} |`),
  ],
  'readme-config': () => [
    '| variable | meaning | default |',
    '| --- | --- | --- |',
    ...PROVIDERS.flatMap((p) => [
      `| \`${p.credential.variable}\` | ${p.name}: ${cell(p.credential.what)} | unset: endpoint off |`,
      ...(p.dedupWindow ? [`| \`${p.dedupWindow.variable}\` | how long ${p.name}'s event keys are remembered: ${cell(p.dedupWindow.why)} | \`${p.dedupWindow.defaultSeconds}\` |`] : []),
      `| \`${stuckVariable(p.id)}\` | ${p.name}'s stuck threshold, over \`STUCK_AFTER_SECONDS\`; \`0\`: off | ${duration(p.stuckAfter.defaultSeconds)} |`,
    ]),
  ],
  'env-providers': () =>
    PROVIDERS.flatMap((p: Provider) => [
      `# (compose) ${p.name}: ${p.credential.where}.`,
      `${p.credential.variable}=`,
      ...(p.dedupWindow ? [`# (compose) How long ${p.name}'s event keys are remembered, seconds (default ${p.dedupWindow.defaultSeconds}): ${p.dedupWindow.why}.`, `${p.dedupWindow.variable}=`] : []),
    ]),
  'env-stuck': () =>
    PROVIDERS.flatMap((p) => [
      `# (compose) ${p.name}'s threshold, over STUCK_AFTER_SECONDS; 0 = off (default ${p.stuckAfter.defaultSeconds}: ${p.stuckAfter.why.replace(/`/g, '')}).`,
      `${stuckVariable(p.id)}=`,
    ]),
  'compose-providers': () =>
    PROVIDERS.flatMap((p) => [p.credential.variable, ...(p.dedupWindow ? [p.dedupWindow.variable] : []), stuckVariable(p.id)]).map(
      (name) => `  ${name}: \${${name}:-}`,
    ),
};

const FILES: Record<string, { file: string; open: (name: string) => string; close: (name: string) => string }[]> = {
  readme: [{ file: 'README.md', open: (n) => `<!-- generated:${n} -->`, close: (n) => `<!-- /generated:${n} -->` }],
  env: [{ file: '.env.example', open: (n) => `# generated:${n} (npx tsx scripts/provider-docs.ts)`, close: (n) => `# /generated:${n}` }],
  compose: [{ file: 'docker-compose.yml', open: (n) => `  # generated:${n} (npx tsx scripts/provider-docs.ts)`, close: (n) => `  # /generated:${n}` }],
};

/** `text` with every generated section of `kind` replaced by its current content. */
export function regenerate(text: string, kind: keyof typeof FILES): string {
  let result = text;
  for (const { open, close } of FILES[kind] ?? []) {
    for (const [name, render] of Object.entries(SECTIONS)) {
      if (!name.startsWith(`${kind}-`)) continue;
      const start = result.indexOf(open(name));
      const end = result.indexOf(close(name));
      if (start < 0 || end < start) throw new Error(`missing markers ${open(name)} … ${close(name)}`);
      result = `${result.slice(0, start + open(name).length)}\n${render().join('\n')}\n${result.slice(end)}`;
    }
  }
  return result;
}

export function generatedFiles(): { file: string; current: string; expected: string }[] {
  return Object.entries(FILES).flatMap(([kind, targets]) =>
    targets.map(({ file }) => {
      const current = readFileSync(new URL(file, ROOT), 'utf8');
      return { file, current, expected: regenerate(current, kind as keyof typeof FILES) };
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const { file, current, expected } of generatedFiles()) {
    if (current === expected) continue;
    stale++;
    if (check) process.stderr.write(`${file} is out of date: run npx tsx scripts/provider-docs.ts\n`);
    else writeFileSync(new URL(file, ROOT), expected);
  }
  process.exit(check && stale > 0 ? 1 : 0);
}
