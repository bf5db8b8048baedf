import { defineConfig } from 'vitest/config';

/** The faults suite (`npm run test:faults`): real processes, one scenario at a time. */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // Scenarios kill and restart services and measure what arrives: they must not share the CPU.
    fileParallelism: false,
    maxWorkers: 1,
  },
});
