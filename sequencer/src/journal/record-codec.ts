/**
 * How a journal turns its records into payload bytes and back. The journal itself (framing,
 * crc32, sequence numbers, group commit, segments, recovery) does not care what a record is:
 * the engine journals `EngineInput`s, the service its own tagged records.
 */
export interface RecordCodec<T> {
  /** Bytes `encode` may need for `record`. */
  bound(record: T): number;
  /** Writes `record` at `off` in `buf` (which holds `bound` bytes there); returns the end offset. */
  encode(record: T, buf: Buffer, off: number): number;
  /** Reads the record encoded in `buf[off, end)`; throws JournalError INVALID_RECORD if malformed. */
  decode(buf: Buffer, off: number, end: number): T;
}
