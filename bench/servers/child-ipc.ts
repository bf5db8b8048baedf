import type { ChildMessage, MemoryPeaks, ParentMessage } from '../lib/messages.ts';

/** The child's side of the IPC channel; a child whose orchestrator is gone exits. */

export function sendToParent(message: ChildMessage): void {
  if (!process.send) throw new Error('this script runs as a child of bench/run.ts (it needs an IPC channel)');
  process.send(message);
}

export function onParentMessage(handler: (message: ParentMessage) => void | Promise<void>): void {
  process.on('message', (raw) => {
    const message = raw as ParentMessage;
    Promise.resolve(handler(message)).catch((error: unknown) => {
      sendToParent({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    });
  });
  process.on('disconnect', () => process.exit(1));
}

/** Runs `close` on the parent's 'stop' and exits 0, so a --cpu-prof profile gets written. */
export function exitOnStop(close: () => Promise<void>): void {
  onParentMessage(async (message) => {
    if (message.type !== 'stop') return;
    await close().catch(() => undefined);
    process.exit(0);
  });
}

export function reportFailure(error: unknown): never {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.send) sendToParent({ type: 'error', message: text });
  process.stderr.write(`${text}\n`);
  process.exit(1);
}

const SAMPLE_MS = 100;

/**
 * Samples process.memoryUsage() every 100 ms and keeps the peaks, so a peak RSS can be split into
 * V8 heap and memory outside it (Buffers, native). Answers 'getMemory'; 'memoryReset' starts over.
 */
export function trackMemory(): void {
  const zero = (): MemoryPeaks => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 });
  let peaks = zero();
  const sample = () => {
    const usage = process.memoryUsage();
    for (const key of Object.keys(peaks) as Array<keyof MemoryPeaks>) peaks[key] = Math.max(peaks[key], usage[key] / 1e6);
  };
  setInterval(sample, SAMPLE_MS).unref();
  process.on('message', (raw) => {
    const message = raw as ParentMessage;
    if (message.type === 'memoryReset') peaks = zero();
    if (message.type === 'getMemory') {
      sample();
      sendToParent({ type: 'memory', peaks });
    }
  });
}
