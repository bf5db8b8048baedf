import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
/** Two levels below the repository, like bench/<dir>/, so paths relative to import.meta.url still hold. */
const BUILD_DIR = join(BENCH_DIR, '.build');

/** The scripts the bench starts as processes. */
export const CHILD_SCRIPTS = [
  'servers/baseline.ts',
  'servers/ingress.ts',
  'servers/workers.ts',
  'servers/noop-worker.ts',
  'servers/sink-stand-ins.ts',
  'servers/paced-stand-ins.ts',
  'load/cannon.ts',
  'load/paced.ts',
  'load/burst.ts',
] as const;
export type ChildScript = (typeof CHILD_SCRIPTS)[number];

/**
 * How a child process is run. By default each script is bundled first (esbuild, dependencies left
 * in node_modules) and run by plain `node`, as a compiled deployment runs: `node --import tsx` would
 * add the loader's own thread (~30 MB RSS) and on-the-fly transpiling to every figure.
 * BENCH_RUNNER=tsx runs the sources through tsx instead.
 */
export type Launcher = { kind: 'bundle' | 'tsx'; nodeArgs(script: ChildScript): Promise<string[]> };

export function createLauncher(): Launcher {
  if (process.env.BENCH_RUNNER === 'tsx') {
    return { kind: 'tsx', nodeArgs: async (script) => ['--import', 'tsx', join(BENCH_DIR, script)] };
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  const built = new Map<ChildScript, Promise<string[]>>();
  const bundle = async (script: ChildScript): Promise<string[]> => {
    const outfile = join(BUILD_DIR, `${script.replace(/\//g, '-').replace(/\.ts$/, '')}.mjs`);
    await build({
      entryPoints: [join(BENCH_DIR, script)],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      keepNames: true,
      logLevel: 'silent',
    });
    return [outfile];
  };
  return {
    kind: 'bundle',
    nodeArgs(script) {
      let args = built.get(script);
      if (!args) {
        args = bundle(script);
        built.set(script, args);
      }
      return args;
    },
  };
}
