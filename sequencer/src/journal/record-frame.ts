import { crc32Range } from "./crc32.js";

/**
 * A journal record on disk:
 *   u32 magic "CMJ1" | u32 payload length | u32 crc32(seq ‖ payload) | u64 seq | payload
 * all big-endian. The magic lets recovery tell a torn tail (no valid record after the damage)
 * from corruption in the middle (valid records follow it).
 */
export const RECORD_MAGIC = 0x434d4a31; // "CMJ1"
export const HEADER_BYTES = 20;
const MAGIC_BYTES = Buffer.from([0x43, 0x4d, 0x4a, 0x31]);
const TWO_32 = 2 ** 32;
/** Larger payloads are refused: no input comes near, so a bigger length is damage. */
export const MAX_PAYLOAD = 1 << 20;

/** Fill in the header of a record whose payload is already at `off + HEADER_BYTES`. */
export function writeHeader(buf: Buffer, off: number, seq: number, payloadLength: number): void {
  buf.writeUInt32BE(RECORD_MAGIC, off);
  buf.writeUInt32BE(payloadLength, off + 4);
  buf.writeUInt32BE(Math.floor(seq / TWO_32), off + 12);
  buf.writeUInt32BE(seq % TWO_32, off + 16);
  buf.writeUInt32BE(crc32Range(buf, off + 12, off + HEADER_BYTES + payloadLength), off + 8);
}

export interface FrameCheck {
  ok: boolean;
  /** Sequence number (valid when ok). */
  seq: number;
  /** Offset after the record (valid when ok). */
  end: number;
  /** What is wrong (when not ok). */
  problem: string;
}

/**
 * Offset after the record at `off` if its framing, bounds and checksum check out, else a negative
 * code (`checkFrame` says what it means). Allocates nothing: recovery calls it once per record.
 */
export function frameEnd(buf: Buffer, off: number): number {
  if (off + HEADER_BYTES > buf.length) return INCOMPLETE_HEADER;
  if (buf.readUInt32BE(off) !== RECORD_MAGIC) return BAD_MAGIC;
  const len = buf.readUInt32BE(off + 4);
  if (len > MAX_PAYLOAD) return BAD_LENGTH;
  const end = off + HEADER_BYTES + len;
  if (end > buf.length) return PAST_END;
  if (crc32Range(buf, off + 12, end) !== buf.readUInt32BE(off + 8)) return BAD_CHECKSUM;
  return end;
}

/** Sequence number of the record at `off` (whose frame checked out). */
export function frameSeq(buf: Buffer, off: number): number {
  return buf.readUInt32BE(off + 12) * TWO_32 + buf.readUInt32BE(off + 16);
}

const INCOMPLETE_HEADER = -1;
const BAD_MAGIC = -2;
const BAD_LENGTH = -3;
const PAST_END = -4;
const BAD_CHECKSUM = -5;

/** What `frameEnd`'s negative `code` for the record at `off` means. */
export function frameProblem(buf: Buffer, off: number, code: number): string {
  switch (code) {
    case INCOMPLETE_HEADER:
      return "incomplete header";
    case BAD_MAGIC:
      return "bad magic";
    case BAD_LENGTH:
      return `implausible length ${buf.readUInt32BE(off + 4)}`;
    case PAST_END:
      return "record runs past the end of the file";
    default:
      return "checksum mismatch";
  }
}

/** Check the record at `off`: framing, bounds and checksum. */
export function checkFrame(buf: Buffer, off: number): FrameCheck {
  const end = frameEnd(buf, off);
  if (end < 0) return { ok: false, seq: 0, end: 0, problem: frameProblem(buf, off, end) };
  return { ok: true, seq: frameSeq(buf, off), end, problem: "" };
}

/** Offset of the first valid record at or after `from`, or -1: is there good data past damage? */
export function findValidRecord(buf: Buffer, from: number): number {
  for (let i = buf.indexOf(MAGIC_BYTES, from); i !== -1; i = buf.indexOf(MAGIC_BYTES, i + 1)) {
    if (frameEnd(buf, i) >= 0) return i;
  }
  return -1;
}
