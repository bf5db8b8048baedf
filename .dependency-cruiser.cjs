/**
 * Architecture boundaries of hookline, checked by `npm run lint` (dependency-cruiser, no tsc needed)
 * and by .ci/run right after the type check.
 *
 * The shape these rules keep:
 *   ingress ──writes──▶ queue (the contract: job names, job shapes, RawEvent) ◀──reads── workers
 *   normalizers + providers: pure code (parse, verify, normalize), no I/O, used by both sides.
 *   src/main.ts is the one place that wires ingress and workers together (all-in-one process).
 *
 * Every exception below is named, narrow (one file, one target) and says why. Add to them only
 * with a reason; fix the import instead when there is none.
 */

/** The processes' entry points: nothing imports them, and they are allowed to import anything. */
const ENTRY_POINTS = [
  '^src/main\\.ts$', // npm start / start:ingress / start:worker; dist/main.js in the image
  '^src/healthcheck\\.ts$', // the image's HEALTHCHECK (dist/healthcheck.js)
  '^src/cli/main\\.ts$', // bin/hookline.mjs (npx hookline …)
  '^src/demo/demo\\.ts$', // npm run demo
];

/**
 * Node built-ins that do I/O (files, sockets, processes). Matched with and without the `node:`
 * prefix: dependency-cruiser reports `node:fs` as `fs`.
 */
const IO_CORE_MODULES =
  '^(node:)?(fs|fs/promises|net|http|https|http2|tls|dgram|dns|dns/promises|child_process|cluster|worker_threads|readline|repl|inspector)$';

/** npm packages that talk to the outside world (Redis, PostgreSQL, HTTP servers, SMTP). */
const IO_PACKAGES = [
  '(^|/)node_modules/ioredis/',
  '(^|/)node_modules/bullmq/',
  '(^|/)node_modules/pg/',
  '(^|/)node_modules/pg-[^/]+/',
  '(^|/)node_modules/@electric-sql/pglite/',
  '(^|/)node_modules/express/',
  '(^|/)node_modules/nodemailer/',
  '(^|/)node_modules/@bull-board/',
  '(^|/)node_modules/pino/',
];

/** The parts of src that do I/O, or own a process, a connection, a logger. */
const IO_SRC = [
  '^src/db/',
  '^src/sinks/',
  '^src/workers/',
  '^src/ingress/',
  '^src/admin/',
  '^src/cli/',
  '^src/replay/',
  '^src/demo/',
  '^src/shared/redis\\.ts$',
  '^src/shared/local-redis\\.ts$',
  '^src/shared/logger\\.ts$',
  '^src/shared/http-server\\.ts$',
  '^src/shared/queue-depth\\.ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ---------------------------------------------------------------- ingress / workers / queue
    {
      name: 'ingress-not-to-delivery',
      comment:
        'The ingress only authenticates, stores the raw event in the queue and answers. Delivery ' +
        '(workers, sinks, alerts) and the database belong to the workers: an ingress that imports ' +
        'them could block a 202 on Slack or PostgreSQL, and a separate ingress process would pull ' +
        'in code (and connections) it never runs. It talks to the workers through src/queue only.',
      severity: 'error',
      from: { path: '^src/ingress/' },
      to: {
        path: '^src/(workers|sinks|alerts|db)/',
        pathNot: [
          // EXCEPTION (one file, one target): the spool needs the single-writer lock file of its
          // directory, and that generic helper lives in src/db/lock-file.ts (the embedded database
          // uses it too). It does no database work; it belongs in src/shared/ — move it there and
          // delete this line.
          '^src/db/lock-file\\.ts$',
        ],
      },
    },
    {
      // Applies only to the one file allowed above, so the exception cannot widen to other files
      // of src/ingress.
      name: 'ingress-lock-file-exception-is-narrow',
      comment:
        'Only src/ingress/spool/spool-log.ts may import src/db/lock-file.ts (the spool directory ' +
        'lock); any other ingress file importing it breaks the ingress/database boundary.',
      severity: 'error',
      from: { path: '^src/ingress/', pathNot: '^src/ingress/spool/spool-log\\.ts$' },
      to: { path: '^src/db/lock-file\\.ts$' },
    },
    {
      name: 'workers-not-to-ingress',
      comment:
        'Workers read jobs from the queue; they never call the ingress (its HTTP app, event store ' +
        'or spool). Both sides share only src/queue, so either can be deployed, scaled and ' +
        'restarted alone. The all-in-one wiring of both lives in src/main.ts.',
      severity: 'error',
      from: { path: '^src/workers/' },
      to: { path: '^src/ingress/' },
    },
    {
      name: 'queue-contract-types-only',
      comment:
        'src/queue is the contract between ingress and workers (job names, job shapes, RawEvent): ' +
        'it may import other modules only for their types, so importing the contract never loads ' +
        'a provider, a sink or a Redis client, and it cannot come to depend on either side.',
      severity: 'error',
      from: { path: '^src/queue/' },
      to: {
        pathNot: [
          '^src/queue/',
          // EXCEPTION (one file, one target): raw-body.ts is the codec of RawEvent.body that both
          // sides must agree on (bytes <-> string), and it needs isUtf8 from node:buffer — a pure
          // function of the runtime, no I/O, no state.
          '^(node:)?buffer$',
        ],
        dependencyTypesNot: ['type-only', 'type-import'],
      },
    },
    {
      name: 'queue-buffer-exception-is-narrow',
      comment: 'Only src/queue/raw-body.ts (the RawEvent body codec) may import node:buffer for a value.',
      severity: 'error',
      from: { path: '^src/queue/', pathNot: '^src/queue/raw-body\\.ts$' },
      to: { path: '^(node:)?buffer$', dependencyTypesNot: ['type-only', 'type-import'] },
    },

    // ---------------------------------------------------------------- pure code
    {
      name: 'pure-no-io-core-modules',
      comment:
        'Normalizers and providers are pure functions (verify bytes, parse, normalize): unit-' +
        'testable without servers, safe to run anywhere (ingress, worker, CLI, replay). Node ' +
        'built-ins that do I/O are forbidden; type-only imports (IncomingHttpHeaders) are fine.',
      severity: 'error',
      from: { path: '^src/(normalizers|providers)/' },
      to: {
        dependencyTypes: ['core'],
        path: IO_CORE_MODULES,
        dependencyTypesNot: ['type-only', 'type-import'],
      },
    },
    {
      name: 'pure-no-io-packages',
      comment:
        'Normalizers and providers never load a Redis, queue, database, HTTP, mail, logging or ' +
        'metrics library: those belong to the processes that own the connections.',
      severity: 'error',
      from: { path: '^src/(normalizers|providers)/' },
      to: { path: IO_PACKAGES, dependencyTypesNot: ['type-only', 'type-import'] },
    },
    {
      name: 'pure-no-io-src',
      comment:
        'Normalizers and providers never import the parts of src that do I/O or own a process ' +
        '(database, sinks, workers, ingress, admin, CLI, replay, demo, Redis clients, the logger, ' +
        'the HTTP server) — not even for a type: a type declared there is a dependency on that ' +
        'layer, and the pure code must not know about the layers that use it.',
      severity: 'error',
      from: { path: '^src/(normalizers|providers)/' },
      to: { path: IO_SRC },
    },
    {
      name: 'providers-independent',
      comment:
        'Each provider (src/providers/<id>/) is a folder of its own, added or removed with one ' +
        'registry line: it never imports another provider. What they share lives in ' +
        'src/providers/auth/, provider.ts, event-id.ts and registry.ts.',
      severity: 'error',
      from: { path: '^src/providers/([^/]+)/', pathNot: '^src/providers/auth/' },
      to: { path: '^src/providers/[^/]+/', pathNot: ['^src/providers/$1/', '^src/providers/auth/'] },
    },
    {
      name: 'providers-shared-part-not-to-a-provider',
      comment:
        'The shared part of the providers (auth schemes, provider.ts, event-id.ts) knows no ' +
        'particular provider; only registry.ts lists them.',
      severity: 'error',
      from: { path: '^src/providers/(auth/|provider\\.ts$|event-id\\.ts$)' },
      to: { path: '^src/providers/[^/]+/', pathNot: '^src/providers/auth/' },
    },

    // ---------------------------------------------------------------- hygiene
    {
      name: 'no-circular',
      comment:
        'Import cycles make load order matter (undefined at import time) and every module in the ' +
        'cycle part of every other. Cycles through type-only imports vanish at compile time and are ' +
        'not counted.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only', 'type-import'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import of a module that does not exist (a typo, a moved or deleted file, a missing package).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      comment:
        'A package that is not in package.json (only installed as someone else\'s dependency): it ' +
        'can disappear or change version on any npm install.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-dev-dep',
      comment:
        'src runs in production, where the image installs dependencies only (npm ci --omit=dev): a ' +
        'devDependency imported from src would crash there. Type-only imports (@types/…) are fine.',
      severity: 'error',
      from: { path: '^src/' },
      to: {
        dependencyTypes: ['npm-dev'],
        dependencyTypesNot: ['type-only', 'type-import'],
        pathNot: ['node_modules/@types/'],
      },
    },
    {
      name: 'no-orphans',
      comment:
        'A module nothing imports and that imports nothing is dead code (or a forgotten entry ' +
        'point). The entry points are the exceptions.',
      severity: 'error',
      from: { orphan: true, path: '^src/', pathNot: [...ENTRY_POINTS, '\\.d\\.ts$', '\\.json$'] },
      to: {},
    },
    {
      name: 'reachable-from-an-entry-point',
      comment:
        'Every module of src is used by one of the processes (main, healthcheck, CLI, demo): one ' +
        'only tests import is dead in production. Wider than no-orphans, which misses dead ' +
        'modules that import something.',
      severity: 'error',
      from: { path: ENTRY_POINTS },
      to: { path: '^src/', pathNot: [...ENTRY_POINTS, '\\.d\\.ts$'], reachable: false },
    },
  ],
  options: {
    // Our own code only: node_modules is resolved (to tell dependency types apart) but not cruised.
    doNotFollow: { path: 'node_modules' },
    // Keep `import type` edges in the graph, marked type-only, so rules can allow them explicitly.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // ESM + package "exports", as Node resolves them.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
