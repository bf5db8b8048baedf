import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockHeldError } from '../../src/db/lock-file.ts';
import type { RawEvent } from '../../src/queue/contract.ts';
import { decodeFrames, encodeFrame } from '../../src/ingress/spool/spool-frame.ts';
import { SpoolFullError, SpoolLog } from '../../src/ingress/spool/spool-log.ts';
import { decodeSpooledEvent, encodeSpooledEvent } from '../../src/ingress/spool/spooled-event.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hookline-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const event = (n: number, body = `{"id":"job-${n}"}`): RawEvent => ({
  provider: 'reachfive',
  key: `reachfive:job-${n}`,
  receivedAt: new Date(0).toISOString(),
  body,
  headers: {},
});

async function segments(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith('segment-')).sort();
}

async function readAll(log: SpoolLog): Promise<RawEvent[]> {
  const events: RawEvent[] = [];
  for (const segment of await log.sealedForDrain()) {
    for (const payload of await log.read(segment)) events.push(decodeSpooledEvent(payload)!);
  }
  return events;
}

describe('spool frames', () => {
  it('round-trip, skip a torn tail and resynchronise after damage in the middle', () => {
    const frames = [1, 2, 3].map((n) => encodeFrame(Buffer.from(`payload-${n}`)));
    const whole = Buffer.concat(frames);
    expect(decodeFrames(whole).payloads.map(String)).toEqual(['payload-1', 'payload-2', 'payload-3']);

    const torn = whole.subarray(0, whole.length - 4);
    expect(decodeFrames(torn)).toMatchObject({ skippedBytes: frames[2]!.length - 4 });
    expect(decodeFrames(torn).payloads.map(String)).toEqual(['payload-1', 'payload-2']);

    const damaged = Buffer.from(whole);
    const at = frames[0]!.length + 14; // a payload byte of the second frame
    damaged.writeUInt8(damaged.readUInt8(at) ^ 0xff, at);
    expect(decodeFrames(damaged).payloads.map(String)).toEqual(['payload-1', 'payload-3']);
  });
});

describe('SpoolLog', () => {
  it('keeps what was appended across a reopen, in order', async () => {
    const { log } = await SpoolLog.open({ dir, maxBytes: 1 << 20 });
    await Promise.all([1, 2, 3].map((n) => log.append(encodeSpooledEvent(event(n)))));
    await log.append(encodeSpooledEvent(event(4)));
    expect(log.stats().events).toBe(4);
    await log.close();

    const { log: again } = await SpoolLog.open({ dir, maxBytes: 1 << 20 });
    expect(again.stats().events).toBe(4);
    expect((await readAll(again)).map((e) => e.key)).toEqual([1, 2, 3, 4].map((n) => `reachfive:job-${n}`));
    await again.close();
  });

  it('skips a record torn by a crash mid-write and keeps the whole ones', async () => {
    const { log } = await SpoolLog.open({ dir, maxBytes: 1 << 20 });
    await log.append(encodeSpooledEvent(event(1)));
    await log.append(encodeSpooledEvent(event(2)));
    await log.close();
    // What a process killed mid-write leaves: the start of a third frame.
    const [segment] = await segments();
    const third = encodeFrame(encodeSpooledEvent(event(3)));
    await appendFile(join(dir, segment!), third.subarray(0, 20));

    const { log: reopened, skippedBytes } = await SpoolLog.open({ dir, maxBytes: 1 << 20 });
    expect(skippedBytes).toBe(20);
    expect((await readAll(reopened)).map((e) => e.key)).toEqual(['reachfive:job-1', 'reachfive:job-2']);
    await reopened.close();
  });

  it('deletes a segment left with no whole record', async () => {
    await writeFile(join(dir, 'segment-0000000000000007.log'), Buffer.from([0x48, 0x4c, 0x53]));
    const { log } = await SpoolLog.open({ dir, maxBytes: 1 << 20 });
    expect(log.stats().events).toBe(0);
    expect(await segments()).toEqual([]);
    await log.append(encodeSpooledEvent(event(1)));
    // Numbering continues after the highest segment seen, so order survives restarts.
    expect(await segments()).toEqual(['segment-0000000000000008.log']);
    await log.close();
  });

  it('refuses an append that would pass maxBytes, and takes appends again once drained', async () => {
    const { log } = await SpoolLog.open({ dir, maxBytes: 2_000 });
    const big = event(1, JSON.stringify({ id: 'big', pad: 'x'.repeat(800) }));
    await log.append(encodeSpooledEvent(big));
    await log.append(encodeSpooledEvent({ ...big, key: 'reachfive:big-2' }));
    await expect(log.append(encodeSpooledEvent({ ...big, key: 'reachfive:big-3' }))).rejects.toBeInstanceOf(SpoolFullError);
    expect(log.stats().events).toBe(2);
    for (const segment of await log.sealedForDrain()) await log.remove(segment);
    expect(log.stats()).toEqual({ events: 0, bytes: 0 });
    await log.append(encodeSpooledEvent({ ...big, key: 'reachfive:big-3' }));
    await log.close();
  });

  it('seals segments at segmentBytes, so drained ones can be deleted whole', async () => {
    const { log } = await SpoolLog.open({ dir, maxBytes: 1 << 20, segmentBytes: 300 });
    for (let n = 0; n < 10; n++) await log.append(encodeSpooledEvent(event(n)));
    expect((await segments()).length).toBeGreaterThan(2);
    const sealed = await log.sealedForDrain();
    await log.remove(sealed[0]!);
    expect(log.stats().events).toBeLessThan(10);
    await log.close();
  });

  it('is owned by one process: a second opener of the directory is refused', async () => {
    const { log } = await SpoolLog.open({ dir, maxBytes: 1 << 20 });
    await expect(SpoolLog.open({ dir, maxBytes: 1 << 20 })).rejects.toThrow(LockHeldError);
    await expect(SpoolLog.open({ dir, maxBytes: 1 << 20 })).rejects.toThrow(/own SPOOL_DIR/);
    await log.close();
    const { log: next } = await SpoolLog.open({ dir, maxBytes: 1 << 20 });
    await next.close();
  });

  it('measures append latency (fsync per group commit)', async () => {
    const { log } = await SpoolLog.open({ dir, maxBytes: 64 << 20 });
    const payload = encodeSpooledEvent(event(0, JSON.stringify({ id: 'x', pad: 'y'.repeat(1_500) })));
    const sequential: number[] = [];
    for (let n = 0; n < 50; n++) {
      const started = process.hrtime.bigint();
      await log.append(payload);
      sequential.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: 200 }, () => log.append(payload)));
    const concurrentMs = Number(process.hrtime.bigint() - started) / 1e6;
    sequential.sort((a, b) => a - b);
    console.log(
      `[spool] sequential append p50 ${sequential[25]!.toFixed(2)} ms, p99 ${sequential[49]!.toFixed(2)} ms; ` +
        `200 concurrent appends ${concurrentMs.toFixed(1)} ms (${(concurrentMs / 200).toFixed(3)} ms each)`,
    );
    expect(log.stats().events).toBe(250);
    await log.close();
    expect((await readFile(join(dir, (await segments())[0]!))).length).toBeGreaterThan(0);
  });
});

