export const SECTIONS = ['ingress', 'pipeline', 'e2e', 'growth', 'memory'] as const;
export type Section = (typeof SECTIONS)[number];

export type Settings = {
  mode: 'full' | 'quick';
  /** autocannon connections, the same for every closed-loop run. */
  connections: number;
  ingress: { rounds: number; seconds: number; warmupSeconds: number };
  /** Events per pipeline run; the all-sinks run may use fewer (its Slack worker runs one at a time). */
  pipeline: { events: number; allSinksEvents: number };
  e2e: { ratePerSecond: number; seconds: number; warmupSeconds: number; pollMs: number };
  growth: { waitingJobs: number; rounds: number; seconds: number; smallBodyBytes: number; bigBodyBytes: number; events: number };
};

export const FULL: Settings = {
  mode: 'full',
  connections: 32,
  ingress: { rounds: 3, seconds: 10, warmupSeconds: 3 },
  pipeline: { events: 20_000, allSinksEvents: 20_000 },
  e2e: { ratePerSecond: 200, seconds: 30, warmupSeconds: 3, pollMs: 5 },
  growth: { waitingJobs: 100_000, rounds: 2, seconds: 6, smallBodyBytes: 1024, bigBodyBytes: 65_536, events: 20_000 },
};

export const QUICK: Settings = {
  mode: 'quick',
  connections: 32,
  ingress: { rounds: 2, seconds: 3, warmupSeconds: 1 },
  pipeline: { events: 2_000, allSinksEvents: 500 },
  e2e: { ratePerSecond: 200, seconds: 5, warmupSeconds: 1, pollMs: 5 },
  growth: { waitingJobs: 10_000, rounds: 1, seconds: 2, smallBodyBytes: 1024, bigBodyBytes: 65_536, events: 1_000 },
};

export type Args = { settings: Settings; sections: ReadonlySet<Section>; profile: boolean };

export function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let profile = false;
  let sections = new Set<Section>(SECTIONS);
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--profile') profile = true;
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',').filter(Boolean);
      const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name));
      if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; expected ${SECTIONS.join(', ')}`);
      sections = new Set(names as Section[]);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'npm run bench [-- --quick] [--only=ingress,pipeline,e2e,growth,memory] [--profile]\n' +
          '  --quick    every figure in under a minute (shorter rounds, fewer events)\n' +
          '  --only     run some sections; memory needs ingress and pipeline, which it then runs\n' +
          '  --profile  write V8 CPU profiles of the ingress and worker processes to bench/profiles/\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  // Memory is measured on the ingress and pipeline runs.
  if (sections.has('memory')) {
    sections.add('ingress');
    sections.add('pipeline');
  }
  return { settings: quick ? QUICK : FULL, sections, profile };
}
