import { mkdir, open, readFile, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLockFile, type HeldLock } from '../../db/lock-file.ts';
import { decodeFrames, encodeFrame } from './spool-frame.ts';

/** The spool has no room for this record: the caller must refuse the event (503). */
export class SpoolFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpoolFullError';
  }
}

export type SpoolStats = { events: number; bytes: number };

export type SpoolLogOptions = {
  dir: string;
  /** Upper bound on the bytes of every segment together. */
  maxBytes: number;
  /** The active segment is sealed once it grows past this; drained segments are deleted whole. */
  segmentBytes?: number;
};

type Segment = { path: string; events: number; bytes: number };

type PendingAppend = { frame: Buffer; resolve: () => void; reject: (error: Error) => void };

const SEGMENT_PATTERN = /^segment-(\d{16})\.log$/;
const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

/**
 * An append-only, fsync'd, size-bounded log of records in numbered segment files, owned by one
 * process at a time (a lock file in the directory). Appends that arrive while a write is under way
 * are written and fsync'd together (group commit); each append resolves only once its bytes are on
 * disk. Segments are read and deleted whole, oldest first, after being sealed.
 */
export class SpoolLog {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly lock: HeldLock;
  private readonly sealedSegments: Segment[];
  private nextNumber: number;
  private active: (Segment & { handle: FileHandle }) | undefined;
  private reservedBytes = 0;
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(options: Required<SpoolLogOptions>, lock: HeldLock, sealed: Segment[], nextNumber: number) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.segmentBytes = options.segmentBytes;
    this.lock = lock;
    this.sealedSegments = sealed;
    this.nextNumber = nextNumber;
  }

  /** Takes the directory's lock and finds the segments an earlier process left behind. */
  static async open(options: SpoolLogOptions): Promise<{ log: SpoolLog; skippedBytes: number }> {
    await mkdir(options.dir, { recursive: true });
    const lock = await acquireLockFile(join(options.dir, 'spool.lock'), {
      what: 'a spool directory',
      advice: 'Give each ingress process its own SPOOL_DIR.',
    });
    try {
      const names = (await readdir(options.dir)).filter((name) => SEGMENT_PATTERN.test(name)).sort();
      const sealed: Segment[] = [];
      let skippedBytes = 0;
      for (const name of names) {
        const path = join(options.dir, name);
        const data = await readFile(path);
        const decoded = decodeFrames(data);
        skippedBytes += decoded.skippedBytes;
        if (decoded.payloads.length === 0) await unlink(path);
        else sealed.push({ path, events: decoded.payloads.length, bytes: data.length });
      }
      const last = names.at(-1);
      const nextNumber = last === undefined ? 1 : Number(SEGMENT_PATTERN.exec(last)?.[1] ?? 0) + 1;
      const log = new SpoolLog(
        { dir: options.dir, maxBytes: options.maxBytes, segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES },
        lock,
        sealed,
        nextNumber,
      );
      return { log, skippedBytes };
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  stats(): SpoolStats {
    const segments = this.active ? [...this.sealedSegments, this.active] : this.sealedSegments;
    return {
      events: segments.reduce((sum, segment) => sum + segment.events, 0),
      bytes: segments.reduce((sum, segment) => sum + segment.bytes, 0),
    };
  }

  /** Resolves once the record is fsync'd; rejects SpoolFullError when it does not fit. */
  append(payload: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the spool is closed'));
    const frame = encodeFrame(payload);
    if (this.stats().bytes + this.reservedBytes + frame.length > this.maxBytes) {
      return Promise.reject(new SpoolFullError(`the spool holds ${this.stats().bytes} of ${this.maxBytes} bytes`));
    }
    this.reservedBytes += frame.length;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ frame, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        void this.serialized(() => this.flush());
      }
    });
  }

  /** Seals the active segment if it holds anything, and lists the sealed segments, oldest first. */
  async sealedForDrain(): Promise<readonly string[]> {
    await this.serialized(async () => {
      if (this.active && this.active.events > 0) await this.sealActive();
    });
    return this.sealedSegments.map((segment) => segment.path);
  }

  /** The records of a sealed segment; damaged or torn frames are skipped. */
  async read(path: string): Promise<Buffer[]> {
    return decodeFrames(await readFile(path)).payloads;
  }

  /** Deletes a sealed segment whose records are all stored elsewhere. */
  async remove(path: string): Promise<void> {
    const index = this.sealedSegments.findIndex((segment) => segment.path === path);
    if (index === -1) return;
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    this.sealedSegments.splice(index, 1);
    await this.syncDir();
  }

  /** Waits for pending appends, closes the active segment (its records stay for the next start), releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.serialized(async () => {
      if (this.active) await this.sealActive();
    });
    await this.lock.release();
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const data = Buffer.concat(batch.map((item) => item.frame));
    this.reservedBytes -= data.length;
    try {
      const active = await this.activeSegment();
      await writeFully(active.handle, data, active.bytes);
      await active.handle.datasync();
      active.bytes += data.length;
      active.events += batch.length;
      if (active.bytes >= this.segmentBytes) await this.sealActive();
    } catch (error) {
      // The segment may now end in a torn frame: readers skip it, and writes move to a new segment.
      if (this.active) await this.sealActive().catch(() => undefined);
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const item of batch) item.reject(failure);
      return;
    }
    for (const item of batch) item.resolve();
  }

  private async activeSegment(): Promise<Segment & { handle: FileHandle }> {
    if (this.active) return this.active;
    const path = join(this.dir, `segment-${String(this.nextNumber++).padStart(16, '0')}.log`);
    const handle = await open(path, 'wx');
    // The new file's directory entry must be durable too, or a crash could lose the whole file.
    await this.syncDir();
    this.active = { path, events: 0, bytes: 0, handle };
    return this.active;
  }

  private async sealActive(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    await active.handle.close().catch(() => undefined);
    if (active.events > 0) {
      this.sealedSegments.push({ path: active.path, events: active.events, bytes: (await sizeOf(active.path)) ?? active.bytes });
    } else {
      await unlink(active.path).catch(() => undefined);
    }
  }

  private async syncDir(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
    written += bytesWritten;
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
