import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files start servers and workers; two cores do not gain from more forks.
    maxWorkers: 2,
    // `npm test` (= CI) runs with --coverage; these thresholds make it fail when coverage drops.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: [
        // The demo and the entry points run only as child processes (test/demo, the CLI and
        // process tests spawn them), where in-process coverage cannot see them.
        'src/demo/**',
        'src/main.ts',
        'src/healthcheck.ts',
        'src/cli/main.ts',
      ],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // Report coverage even when a test fails, so a red run still shows where coverage stands.
      reportOnFailure: true,
      // Below what a machine without chromium measures, where the browser tests skip (2026-12-01:
      // lines 83.9, branches 70.2, functions 81.4, statements 81.8; with them, in CI, about 2-4 points
      // more): `npm test` must pass on a new user's machine too. Raise them as coverage improves.
      thresholds: {
        lines: 82,
        branches: 68,
        functions: 79,
        statements: 80,
      },
    },
  },
});
