/**
 * Summarizes V8 CPU profiles (from `npm run bench -- --profile`, or any `node --cpu-prof` run):
 * self time by area (package, source file, node internals, GC, idle) and the hottest functions.
 * For the bench's bundled children, lines are mapped back to their source file through the
 * `// src/...` markers esbuild leaves between modules.
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile | directory> [--top=20]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] };

export type Summary = {
  file: string;
  totalMs: number;
  /** Self time by area. */
  areas: Array<[string, number]>;
  /** Time with the area anywhere on the stack (a sample counts once per area). */
  inclusiveAreas: Array<[string, number]>;
  functions: Array<[string, number]>;
  /** Time with a function of the service's own code (src/) on the stack. */
  inclusiveSource: Array<[string, number]>;
};

const bundleModules = new Map<string, Array<{ line: number; module: string }>>();

/** esbuild writes `// path/to/module.ts` before each module of a bundle. */
function moduleAt(url: string, line: number): string | undefined {
  if (!url.endsWith('.mjs') || !url.includes('/bench/.build/')) return undefined;
  let markers = bundleModules.get(url);
  if (!markers) {
    markers = [];
    try {
      const lines = readFileSync(fileURLToPath(url), 'utf8').split('\n');
      lines.forEach((text, index) => {
        const match = /^\/\/ ((?:src|bench|test)\/\S+\.ts)$/.exec(text);
        if (match?.[1]) markers?.push({ line: index, module: match[1] });
      });
    } catch {
      // the bundle is gone: fall back to the url
    }
    bundleModules.set(url, markers);
  }
  let found: string | undefined;
  for (const marker of markers) {
    if (marker.line <= line) found = marker.module;
    else break;
  }
  return found;
}

function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'program (native, unattributed)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  if (url.startsWith('node:')) return `node: ${url.slice(5).replace(/^internal\//, '').split('/')[0]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return `pkg: ${pkg[1]}`;
  const module = moduleAt(url, frame.lineNumber);
  if (module) return module;
  return url.replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/');
}

function functionOf(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const module = moduleAt(frame.url, frame.lineNumber);
  if (module) return `${name}  ${module}`; // a bundle line number would not help
  const where = frame.url.replace(/^file:\/\/.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/');
  return `${name}  ${where}:${frame.lineNumber + 1}`;
}

export function summarize(file: string): Summary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfMs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, index) => selfMs.set(id, (selfMs.get(id) ?? 0) + (deltas[index] ?? 0) / 1000));

  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  const areas = new Map<string, number>();
  const inclusiveAreas = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusiveSource = new Map<string, number>();
  let totalMs = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    totalMs += ms;
    const area = areaOf(node.callFrame);
    add(areas, area, ms);
    if (area === 'idle') continue;
    add(functions, functionOf(node.callFrame), ms);
    const stackAreas = new Set<string>();
    const stackSource = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame) break;
      const frameArea = areaOf(frame);
      stackAreas.add(frameArea);
      if (frameArea.startsWith('src/')) stackSource.add(functionOf(frame));
    }
    for (const name of stackAreas) add(inclusiveAreas, name, ms);
    for (const name of stackSource) add(inclusiveSource, name, ms);
  }
  const sorted = (map: Map<string, number>) => [...map.entries()].sort((x, y) => y[1] - x[1]);
  return { file, totalMs, areas: sorted(areas), inclusiveAreas: sorted(inclusiveAreas), functions: sorted(functions), inclusiveSource: sorted(inclusiveSource) };
}

export function formatSummary(summary: Summary, top: number): string {
  const busy = summary.totalMs - (summary.areas.find(([name]) => name === 'idle')?.[1] ?? 0);
  const pct = (ms: number) => `${((100 * ms) / Math.max(1, busy)).toFixed(1).padStart(5)}%`;
  const lines = [`${summary.file}`, `  busy ${(busy / 1000).toFixed(1)} s of ${(summary.totalMs / 1000).toFixed(1)} s sampled (percentages are of busy time)`, '  self time by area:'];
  for (const [name, ms] of summary.areas.filter(([name]) => name !== 'idle').slice(0, top)) lines.push(`    ${pct(ms)}  ${name}`);
  lines.push('  hottest functions (self time):');
  for (const [name, ms] of summary.functions.slice(0, top)) lines.push(`    ${pct(ms)}  ${name}`);
  lines.push('  time with an area on the stack (inclusive; a sample counts once per area):');
  for (const [name, ms] of summary.inclusiveAreas.filter(([name]) => name !== 'program (native, unattributed)').slice(0, top)) lines.push(`    ${pct(ms)}  ${name}`);
  lines.push("  time with a function of the service's own code on the stack (inclusive):");
  for (const [name, ms] of summary.inclusiveSource.slice(0, top)) lines.push(`    ${pct(ms)}  ${name}`);
  return lines.join('\n');
}

function profilesIn(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((entry) => {
    const full = join(path, entry);
    return statSync(full).isDirectory() ? profilesIn(full) : entry.endsWith('.cpuprofile') ? [full] : [];
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 20);
  const paths = args.filter((a) => !a.startsWith('--'));
  if (paths.length === 0) {
    process.stderr.write('usage: npx tsx bench/profile-summary.ts <file.cpuprofile | directory> [--top=20]\n');
    process.exit(2);
  }
  for (const file of paths.flatMap(profilesIn)) process.stdout.write(`${formatSummary(summarize(file), top)}\n\n`);
}
