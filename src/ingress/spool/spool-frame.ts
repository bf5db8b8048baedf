import { crc32 } from 'node:zlib';

/**
 * One spool record on disk: magic, payload length, CRC-32 of the payload, payload. A process that
 * dies mid-write leaves a torn frame at the end of a segment; the magic lets a reader find the next
 * whole frame after damage anywhere else, and the checksum tells a whole frame from a torn one.
 */
const MAGIC = 0x484c5350; // "HLSP"
export const FRAME_HEADER_BYTES = 12;
/** Far above any event (MAX_BODY_BYTES is at most 100 MiB): a larger length is damage, not data. */
const MAX_PAYLOAD_BYTES = 512 * 1024 * 1024;

export function encodeFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(MAGIC, 0);
  frame.writeUInt32BE(payload.length, 4);
  frame.writeUInt32BE(crc32(payload), 8);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export type DecodedFrames = {
  payloads: Buffer[];
  /** Bytes that belonged to no whole frame: a torn tail, or damage skipped to reach the next frame. */
  skippedBytes: number;
};

export function decodeFrames(data: Buffer): DecodedFrames {
  const payloads: Buffer[] = [];
  let skippedBytes = 0;
  let offset = 0;
  while (offset < data.length) {
    const payload = frameAt(data, offset);
    if (payload) {
      payloads.push(payload);
      offset += FRAME_HEADER_BYTES + payload.length;
      continue;
    }
    const next = nextMagic(data, offset + 1);
    skippedBytes += next - offset;
    offset = next;
  }
  return { payloads, skippedBytes };
}

function frameAt(data: Buffer, offset: number): Buffer | undefined {
  if (data.length - offset < FRAME_HEADER_BYTES || data.readUInt32BE(offset) !== MAGIC) return undefined;
  const length = data.readUInt32BE(offset + 4);
  const start = offset + FRAME_HEADER_BYTES;
  if (length > MAX_PAYLOAD_BYTES || start + length > data.length) return undefined;
  const payload = data.subarray(start, start + length);
  return crc32(payload) === data.readUInt32BE(offset + 8) ? payload : undefined;
}

function nextMagic(data: Buffer, from: number): number {
  const magic = Buffer.alloc(4);
  magic.writeUInt32BE(MAGIC, 0);
  const found = data.indexOf(magic, from);
  return found === -1 ? data.length : found;
}
