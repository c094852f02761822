import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { JournalError } from "./journal-error.js";
import type { RecordCodec } from "./record-codec.js";
import { HEADER_BYTES, MAX_PAYLOAD, RECORD_MAGIC, checkFrame } from "./record-frame.js";
import { listSegments } from "./segment-files.js";

/** Bytes buffered from a segment: more than any record (HEADER_BYTES + MAX_PAYLOAD), so one always fits. */
const CHUNK = 4 << 20;

/**
 * Reads a live journal from beside its writer, read-only: the records another thread or process
 * is appending, in order, across segment rotations, up to a sequence number the writer has made
 * durable. A replica of the journaled state machine (the snapshot worker's, say) follows it to
 * stay at the writer's state without the writer doing anything for it.
 *
 * Only durable records are asked for, so every record read is whole on disk: the follower never
 * cuts a torn tail (that is recovery's job, done before any follower starts) and treats whatever
 * does not check out before the requested record as the journal being damaged.
 */
export class JournalFollower<T> {
  readonly #dir: string;
  readonly #codec: RecordCodec<T>;
  /** Next record to apply. */
  #next: number;
  /** The segment being read: its name, descriptor, and file offset of `#buf[0]`. */
  #segment = "";
  #fd = -1;
  #base = 0;
  #buf: Buffer = Buffer.allocUnsafe(CHUNK);
  /** `#buf` up to `#len`: what `checkFrame` may read. */
  #view: Buffer = this.#buf.subarray(0, 0);
  /** Valid bytes in `#buf`, and the offset of the next record there. */
  #len = 0;
  #pos = 0;

  /** Follows `dir` from record `nextSeq` on (records before it are skipped). */
  constructor(dir: string, codec: RecordCodec<T>, nextSeq: number) {
    this.#dir = dir;
    this.#codec = codec;
    this.#next = nextSeq;
  }

  /** The next record `readTo` will apply. */
  get nextSeq(): number {
    return this.#next;
  }

  /**
   * Apply records `nextSeq..upTo` in order. They must be durable: a record that is missing, or
   * anything that does not check out before `upTo`, is a JournalError (CORRUPT_RECORD,
   * SEQUENCE_GAP or MISSING_SEGMENT), and the follower stays at the record it could not read.
   */
  readTo(upTo: number, apply: (seq: number, record: T) => void): void {
    // What was buffered past the last record read may have been zeros or a record in flight
    // then: read it again.
    this.#len = this.#pos;
    this.#view = this.#buf.subarray(0, this.#len);
    while (this.#next <= upTo) {
      if (this.#fd === -1) this.#open();
      const frame = checkFrame(this.#view, this.#pos);
      if (!frame.ok) {
        // A record running past what is buffered: read on from its start.
        if (this.#partial() && this.#refill()) continue;
        if (!this.#atEnd()) {
          throw new JournalError(
            "CORRUPT_RECORD",
            `${this.#segment}: ${frame.problem} at offset ${this.#base + this.#pos} (before durable record ${this.#next})`,
          );
        }
        // This segment's records end here: record `#next` starts the next one.
        this.#advance();
        continue;
      }
      if (frame.seq > this.#next) {
        throw new JournalError(
          "SEQUENCE_GAP",
          `${this.#segment}: record at offset ${this.#base + this.#pos} has seq ${frame.seq}, expected ${this.#next}`,
        );
      }
      if (frame.seq === this.#next) {
        apply(frame.seq, this.#codec.decode(this.#buf, this.#pos + HEADER_BYTES, frame.end));
        this.#next++;
      }
      this.#pos = frame.end;
    }
  }

  close(): void {
    if (this.#fd !== -1) closeSync(this.#fd);
    this.#fd = -1;
  }

  /** Open the segment that holds `#next`: the last one starting at or before it. */
  #open(): void {
    const segments = listSegments(this.#dir);
    let holder: string | undefined;
    for (const s of segments) if (s.seq <= this.#next) holder = s.name;
    if (holder === undefined) {
      throw new JournalError(
        "MISSING_SEGMENT",
        `no journal segment holds record ${this.#next}` +
          (segments.length > 0 ? ` (first segment starts at ${segments[0]!.seq})` : ""),
      );
    }
    this.#switchTo(holder);
  }

  /** This segment has no more records: move to the one starting at `#next`. */
  #advance(): void {
    const segments = listSegments(this.#dir);
    const following = segments.find((s) => s.seq === this.#next);
    if (following === undefined || following.name === this.#segment) {
      const later = segments.find((s) => s.seq > this.#next);
      throw new JournalError(
        "SEQUENCE_GAP",
        later !== undefined
          ? `${this.#segment} ends before record ${this.#next}, and ${later.name} starts after it`
          : `the journal ends before record ${this.#next} (${this.#segment} is its last segment)`,
      );
    }
    this.#switchTo(following.name);
  }

  /** Does the buffer end inside what could be a whole record at `#pos`? */
  #partial(): boolean {
    const left = this.#len - this.#pos;
    if (left < HEADER_BYTES) return true;
    if (this.#buf.readUInt32BE(this.#pos) !== RECORD_MAGIC) return false;
    const payload = this.#buf.readUInt32BE(this.#pos + 4);
    return payload <= MAX_PAYLOAD && HEADER_BYTES + payload > left;
  }

  /** Nothing but zeros (preallocated space, JournalWriter) from `#pos` to the end of the file. */
  #atEnd(): boolean {
    for (let i = this.#pos; i < this.#len; i++) if (this.#buf[i] !== 0) return false;
    const scratch = Buffer.allocUnsafe(64 << 10);
    for (let at = this.#base + this.#len; ;) {
      const n = readSync(this.#fd, scratch, 0, scratch.length, at);
      if (n === 0) return true;
      for (let i = 0; i < n; i++) if (scratch[i] !== 0) return false;
      at += n;
    }
  }

  #switchTo(name: string): void {
    this.close();
    this.#fd = openSync(join(this.#dir, name), "r");
    this.#segment = name;
    this.#base = 0;
    this.#len = 0;
    this.#pos = 0;
    this.#refill();
  }

  /**
   * Move the unread bytes to the front of the buffer and read more after them. False when the
   * file had nothing more to give.
   */
  #refill(): boolean {
    const keep = this.#len - this.#pos;
    if (this.#pos > 0) {
      this.#buf.copy(this.#buf, 0, this.#pos, this.#len);
      this.#base += this.#pos;
      this.#pos = 0;
      this.#len = keep;
    }
    const n = readSync(
      this.#fd,
      this.#buf,
      this.#len,
      this.#buf.length - this.#len,
      this.#base + this.#len,
    );
    this.#len += n;
    this.#view = this.#buf.subarray(0, this.#len);
    return n > 0;
  }
}
