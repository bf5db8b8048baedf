import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

export type LockHolder = { pid: number; hostname: string; startedAt: string };

export type HeldLock = { readonly path: string; release(): Promise<void> };

/** Another live process holds the lock. */
export class LockHeldError extends Error {
  readonly path: string;
  readonly holder: LockHolder | undefined;
  constructor(path: string, holder: LockHolder | undefined, message: string) {
    super(message);
    this.name = 'LockHeldError';
    this.path = path;
    this.holder = holder;
  }
}

export type LockOptions = {
  /** How often the holder touches the file, so that others can tell it is alive. */
  heartbeatMs?: number;
  /** A lock untouched for this long is stale whoever wrote it (a crashed process, another host). */
  staleAfterMs?: number;
  /** Text appended to the refusal, saying what to do instead. */
  advice?: string;
  /** What the lock guards, for the refusal: "<what> can be opened by one process only". */
  what?: string;
};

/** Paths this process holds, with the content it wrote: a second opener in this process is refused too. */
const heldHere = new Map<string, string>();
let exitHookInstalled = false;

/** A crash skips release(); a normal exit (even process.exit) still removes our lock files. */
function removeHeldOnExit(): void {
  for (const [path, content] of heldHere) {
    try {
      if (readFileSync(path, 'utf8') === content) unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

/**
 * An exclusive lock file holding the owner's pid and host. Liveness is judged two ways because pids
 * alone lie across containers (every container's main process is pid 1): the holder refreshes the
 * file's mtime every few seconds, and a lock is stale when that heartbeat stopped, or when its pid
 * is dead on this same host.
 */
export async function acquireLockFile(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const staleAfterMs = options.staleAfterMs ?? 30_000;
  const absolute = resolve(path);
  const mine: LockHolder = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  const content = `${JSON.stringify(mine)}\n`;

  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(absolute, content)) return hold(absolute, content, heartbeatMs);
    const found = await readLock(absolute);
    if (found === undefined) continue; // released meanwhile
    if (!isStale(absolute, found, staleAfterMs)) {
      const who = found.holder ? `process ${found.holder.pid} on ${found.holder.hostname}` : 'another process';
      throw new LockHeldError(
        absolute,
        found.holder,
        `${absolute} is held by ${who}: ${options.what ?? 'the embedded database'} can be opened by one process only.` +
          (options.advice ? ` ${options.advice}` : '') +
          ` If no such process runs, delete the lock file or wait ${Math.round(staleAfterMs / 1000)} s.`,
      );
    }
    await removeStale(absolute, found.raw);
  }
  throw new LockHeldError(absolute, undefined, `${absolute}: could not take the lock; other processes keep taking it`);
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

type FoundLock = { raw: string; holder: LockHolder | undefined; ageMs: number };

async function readLock(path: string): Promise<FoundLock | undefined> {
  try {
    const [raw, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { raw, holder: parseHolder(raw), ageMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const value = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof value.pid !== 'number' || typeof value.hostname !== 'string') return undefined;
    return { pid: value.pid, hostname: value.hostname, startedAt: String(value.startedAt ?? '') };
  } catch {
    return undefined; // also a lock being written right now: judged by its age alone
  }
}

function isStale(path: string, found: FoundLock, staleAfterMs: number): boolean {
  if (found.ageMs > staleAfterMs) return true;
  const holder = found.holder;
  if (!holder || holder.hostname !== hostname()) return false;
  // Our own pid: held by this process, or left by an earlier process that had our pid (a restarted container).
  if (holder.pid === process.pid) return !heldHere.has(path);
  return !isAlive(holder.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Moves the stale lock aside atomically, so that two processes cannot both remove it and both win. */
async function removeStale(path: string, staleContent: string): Promise<void> {
  const aside = `${path}.stale-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readFile(aside, 'utf8').catch(() => staleContent);
  if (moved !== staleContent) {
    // Someone took the lock between our read and our rename: give it back (it is theirs).
    await rename(aside, path).catch(() => undefined);
    return;
  }
  await unlink(aside).catch(() => undefined);
}

function hold(path: string, content: string, heartbeatMs: number): HeldLock {
  heldHere.set(path, content);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', removeHeldOnExit);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, heartbeatMs);
  heartbeat.unref();
  let released: Promise<void> | undefined;
  return {
    path,
    release() {
      released ??= (async () => {
        clearInterval(heartbeat);
        heldHere.delete(path);
        const current = await readFile(path, 'utf8').catch(() => undefined);
        if (current === content) await unlink(path).catch(() => undefined);
      })();
      return released;
    },
  };
}
