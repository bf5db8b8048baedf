export const SECTIONS = ['ingress', 'pipeline', 'e2e', 'growth', 'memory', 'alerts', 'amplification'] as const;
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
  /**
   * Bursts of ReachFive failures at Slack's real pace: hookline's digests (defaults) at each size in
   * `digestEvents`, the per-event baseline (SLACK_DIGEST_MAX=1, one message a second) at each size in
   * `perEventEvents`; `extrapolatedPerEvent`: sizes where the baseline is only extrapolated (N messages
   * at 1 per second). `emailEvents`: the digests run of that size also times email at its default pace.
   */
  alerts: { digestEvents: number[]; perEventEvents: number[]; extrapolatedPerEvent: number[]; emailEvents: number | undefined; connections: number };
};

export const FULL: Settings = {
  mode: 'full',
  connections: 32,
  ingress: { rounds: 3, seconds: 10, warmupSeconds: 3 },
  pipeline: { events: 20_000, allSinksEvents: 20_000 },
  e2e: { ratePerSecond: 200, seconds: 30, warmupSeconds: 3, pollMs: 5 },
  growth: { waitingJobs: 100_000, rounds: 2, seconds: 6, smallBodyBytes: 1024, bigBodyBytes: 65_536, events: 20_000 },
  // A 400-event baseline would take ~400 s at 1 message a second: it is extrapolated, not run.
  alerts: { digestEvents: [400, 60], perEventEvents: [60], extrapolatedPerEvent: [400], emailEvents: 400, connections: 16 },
};

export const QUICK: Settings = {
  mode: 'quick',
  connections: 32,
  ingress: { rounds: 2, seconds: 3, warmupSeconds: 1 },
  pipeline: { events: 2_000, allSinksEvents: 500 },
  e2e: { ratePerSecond: 200, seconds: 5, warmupSeconds: 1, pollMs: 5 },
  growth: { waitingJobs: 10_000, rounds: 1, seconds: 2, smallBodyBytes: 1024, bigBodyBytes: 65_536, events: 1_000 },
  // A 60-event baseline alone takes ~60 s, the whole quick budget: it runs on 20 (digests too, for a
  // like-for-like ratio) and its 60 is extrapolated.
  alerts: { digestEvents: [60, 20], perEventEvents: [20], extrapolatedPerEvent: [60], emailEvents: undefined, connections: 16 },
};

export type Args = {
  settings: Settings;
  sections: ReadonlySet<Section>;
  profile: boolean;
  /** --runtimes / --node / BENCH_NODE: the Node runtimes to run the bench on, one run each (lib/runtimes.ts). */
  runtimes: string[] | undefined;
  /** The arguments without --runtimes and --node: what each per-runtime run is given. */
  perRuntimeArgv: string[];
};

export function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let profile = false;
  let sections = new Set<Section>(SECTIONS);
  let runtimes: string[] | undefined = process.env.BENCH_NODE ? [process.env.BENCH_NODE] : undefined;
  const perRuntimeArgv: string[] = [];
  const args = [...argv];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg.startsWith('--runtimes=') || arg === '--runtimes' || arg.startsWith('--node=') || arg === '--node') {
      const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, args[++i] ?? ''];
      const list = name === '--node' ? [inline] : inline.split(',');
      if (list.some((item) => item === '')) throw new Error(`${name} needs ${name === '--node' ? 'a node binary' : 'runtimes: majors (20,24) or node binaries'}`);
      runtimes = list;
      continue;
    }
    perRuntimeArgv.push(arg);
    if (arg === '--quick') quick = true;
    else if (arg === '--profile') profile = true;
    else if (arg.startsWith('--only=') || arg === '--only') {
      if (arg === '--only') perRuntimeArgv.push(args[i + 1] ?? '');
      const list = arg === '--only' ? (args[++i] ?? '') : arg.slice('--only='.length);
      const names = list.split(',').filter(Boolean);
      if (names.length === 0) throw new Error(`--only needs sections: ${SECTIONS.join(', ')}`);
      const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name));
      if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; expected ${SECTIONS.join(', ')}`);
      sections = new Set(names as Section[]);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'npm run bench [-- --quick] [--only=ingress,pipeline,e2e,growth,memory,alerts,amplification] [--profile] [--runtimes 20,24 | --node <path>]\n' +
          '  --quick    every figure, shorter rounds and fewer events (alerts still waits for Slack\'s 1 message/s)\n' +
          '  --only     run some sections (--only=a,b or --only a,b); memory needs ingress and pipeline, which it then runs\n' +
          '             (alerts: bursts of failures at Slack\'s real pace, digests vs one message per event;\n' +
          '              amplification: signed requests while unauthenticated clients send 190 signature sets)\n' +
          '  --profile  write V8 CPU profiles of the ingress and worker processes to bench/profiles/\n' +
          '  --runtimes 20,24  the whole bench once per Node runtime, then the key figures side by side; a major is\n' +
          '             the version CI pins (scripts/fetch-node.sh: fetched from the npm registry, cached), or a node path\n' +
          '  --node <path>     (or BENCH_NODE=<path>) the bench on that node binary\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  // Memory is measured on the ingress and pipeline runs.
  if (sections.has('memory')) {
    sections.add('ingress');
    sections.add('pipeline');
  }
  return { settings: quick ? QUICK : FULL, sections, profile, runtimes, perRuntimeArgv };
}
