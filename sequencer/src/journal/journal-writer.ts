import {
  closeSync,
  constants,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  write,
} from "node:fs";
import { join } from "node:path";
import type { EngineInput } from "../engine/types.js";
import { JournalError } from "./journal-error.js";
import type { RecordCodec } from "./record-codec.js";
import { HEADER_BYTES, writeHeader } from "./record-frame.js";
import { segmentName } from "./segment-files.js";

const INITIAL_BUFFER = 1 << 20;

/**
 * Segments are opened with O_DSYNC where the platform has it: each write returns only once its
 * data (and, if it grew the file, the new size) is on disk, as a write followed by fdatasync
 * would, but in one system call, so a group commit is one trip through libuv's thread pool
 * instead of two. Each trip waits for a thread and then for the event loop, which under CPU
 * contention is what a commit's time was made of (`docs/service.md`). Elsewhere: write, then
 * fdatasync.
 */
const DSYNC = constants.O_DSYNC !== undefined;
const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | (DSYNC ? constants.O_DSYNC : 0);

/**
 * Bytes of zeros written ahead of the records (see `preallocateBytes`). A durable write that
 * grows the file must also commit the file system's journal (the new size, the new blocks), and
 * on Linux that is a kernel thread which, when the cores are busy, waits for one: measured here
 * with three CPU burners on two cores, appends took 4-8 ms at p99 (up to 300 ms), overwrites of
 * already written zeros 0.4-2.3 ms. So records go into zeros written beforehand, off the
 * commit path.
 */
export const DEFAULT_PREALLOCATE_BYTES = 8 << 20;
/**
 * Zeros go out in pieces of up to 256 KiB (and at least four pieces per fill), one at a time, so
 * a commit's write never queues behind much of them.
 */
const ZEROS = Buffer.alloc(1 << 18);

export interface JournalWriterOptions {
  /**
   * Where the next record goes: the end of the valid records. Default: the file's size. After a
   * crash the file may end in preallocated zeros, and recovery passes where the records end.
   */
  position?: number;
  /**
   * Zeros to keep written ahead of the records, in bytes (0 turns preallocation off). Default
   * DEFAULT_PREALLOCATE_BYTES. A cleanly closed or rotated segment is cut back to its records;
   * a crashed one ends in zeros, which recovery reads as the clean end of the journal.
   */
  preallocateBytes?: number;
}

/**
 * Appends inputs to the current journal segment with group commit: appends made while a durable
 * write is in flight are gathered and made durable together by the next one, and each
 * append's promise resolves only once its record is on disk. Throughput therefore scales with
 * concurrency while every acknowledgment stays durable.
 *
 * Records are written at explicit offsets into zeros preallocated ahead of them (see
 * DEFAULT_PREALLOCATE_BYTES). The zeros go out concurrently with the records, always beyond
 * them, and a record range that reaches zeros still in flight waits for them to land first, so
 * zeros are never written over a record.
 *
 * A failed write or fsync is fatal: after it the page cache may not match the disk (the Linux
 * "fsyncgate" lesson), so the writer rejects everything pending and later, and the process must
 * restart and recover from the files.
 */
export class JournalWriter<T = EngineInput> {
  private fd: number;
  private nextSeq: number;
  private durable: number;
  /** Records encoded but not yet handed to the kernel, and their waiters. */
  private pending: Buffer = Buffer.allocUnsafe(INITIAL_BUFFER);
  private pendingBytes = 0;
  private waiters: Array<(seq: number) => void> = [];
  private failures: Array<(error: Error) => void> = [];
  /** The other buffer of the pair: written while `pending` fills. */
  private spare: Buffer = Buffer.allocUnsafe(INITIAL_BUFFER);
  private flushing = false;
  private idle: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private failed: JournalError | null = null;
  private closed = false;
  /** Offset of the next record in the segment (the end of the records written). */
  private position: number;
  /** Zeros are on disk up to here (and records below `position`). */
  private allocated: number;
  /** Zeros in flight, from `extendFrom` on; null when none. */
  private extending: Promise<void> | null = null;
  private extendFrom = 0;
  private readonly preallocate: number;
  /** Set while `rotate` switches segments: commits wait for it. */
  private barrier: Promise<void> | null = null;
  /** Group commits made, and records they carried (for metrics and the benchmark). */
  commits = 0;
  /** Called after each durable write: the records it carried, and ms from its start to on disk. */
  onCommit: ((records: number, ms: number) => void) | undefined;

  private constructor(
    readonly dir: string,
    fd: number,
    nextSeq: number,
    private readonly codec: RecordCodec<T>,
    options: JournalWriterOptions,
  ) {
    this.fd = fd;
    this.nextSeq = nextSeq;
    this.durable = nextSeq - 1;
    this.allocated = fstatSync(fd).size;
    this.position = options.position ?? this.allocated;
    this.preallocate = Math.max(
      0,
      Math.floor(options.preallocateBytes ?? DEFAULT_PREALLOCATE_BYTES),
    );
  }

  /**
   * Open (creating if needed) the segment file `name` in `dir` for appending at `nextSeq`.
   * Records are encoded with `codec`.
   */
  static open<T>(
    dir: string,
    name: string,
    nextSeq: number,
    codec: RecordCodec<T>,
    options: JournalWriterOptions = {},
  ): JournalWriter<T> {
    const fd = openSync(join(dir, name), OPEN_FLAGS);
    syncDir(dir);
    return new JournalWriter(dir, fd, nextSeq, codec, options);
  }

  /** Sequence number of the last appended record (durable or not). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Sequence number of the last record known to be on disk. */
  get durableSeq(): number {
    return this.durable;
  }

  /**
   * Append `input` as the next record; resolves with its sequence number once it is durable.
   * Records are numbered (and written) in call order.
   */
  append(input: T): Promise<number> {
    if (this.failed !== null || this.closed) {
      return Promise.reject(this.failed ?? new JournalError("CLOSED", "journal is closed"));
    }
    const seq = this.nextSeq;
    const need = HEADER_BYTES + this.codec.bound(input);
    if (this.pendingBytes + need > this.pending.length) this.grow(need);
    const start = this.pendingBytes;
    let end: number;
    try {
      // Encode before numbering: a refused input must not leave a gap in the sequence.
      end = this.codec.encode(input, this.pending, start + HEADER_BYTES);
    } catch (error) {
      return Promise.reject(error);
    }
    writeHeader(this.pending, start, seq, end - start - HEADER_BYTES);
    this.nextSeq++;
    this.pendingBytes = end;
    const promise = new Promise<number>((resolve, reject) => {
      this.waiters.push(resolve);
      this.failures.push(reject);
    });
    if (!this.flushing) {
      this.flushing = true;
      // Let the current burst of synchronous appends join this commit.
      setImmediate(() => this.flushLoop());
    }
    return promise;
  }

  /** Resolves when every record appended so far is durable. */
  flush(): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed);
    if (!this.flushing) return Promise.resolve();
    return new Promise((resolve, reject) => this.idle.push({ resolve, reject }));
  }

  /** Start a new segment file at the next sequence number (after a snapshot, say). */
  async rotate(): Promise<void> {
    await this.flush();
    // Records appended from here on wait for the new segment (they are not written yet: no
    // commit starts until the barrier lifts).
    let lift!: () => void;
    this.barrier = new Promise<void>((resolve) => (lift = resolve));
    try {
      await this.seal();
      this.fd = openSync(join(this.dir, segmentName(this.durable + 1)), OPEN_FLAGS);
      this.position = 0;
      this.allocated = 0;
      syncDir(this.dir);
    } catch (cause) {
      this.fail(cause);
      throw this.failed;
    } finally {
      this.barrier = null;
      lift();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => undefined);
    this.closed = true;
    await this.seal();
  }

  /** Close the segment, cut back to its records (a crash would leave zeros, read as its end). */
  private async seal(): Promise<void> {
    await this.extending;
    if (this.allocated > this.position && this.failed === null) {
      ftruncateSync(this.fd, this.position);
    }
    closeSync(this.fd);
  }

  private grow(need: number): void {
    let size = this.pending.length * 2;
    while (size < this.pendingBytes + need) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.pending.copy(bigger, 0, 0, this.pendingBytes);
    this.pending = bigger;
  }

  /**
   * Keep zeros written ahead of `end`: when fewer than half `preallocate` bytes of them are
   * left, write the next `preallocate` bytes from `allocated`, or from an eighth of
   * `preallocate` beyond `end` if the records are closer than that to `allocated` or past it
   * (records go into the gap meanwhile by growing the file, the slow way).
   */
  private preallocateAfter(end: number): void {
    if (this.preallocate === 0 || this.extending !== null) return;
    if (end + this.preallocate / 2 <= this.allocated) return;
    const from = Math.max(this.allocated, end + (this.preallocate >> 3));
    const to = from + this.preallocate;
    this.extendFrom = from;
    const fd = this.fd;
    this.extending = writeZeros(fd, from, to).then(
      () => {
        this.allocated = to;
        this.extending = null;
      },
      () => {
        // Not fatal in itself (no record was touched); a full or failing disk will fail the
        // next record write. Records simply grow the file from here on.
        this.extending = null;
      },
    );
  }

  private async flushLoop(): Promise<void> {
    while (this.pendingBytes > 0 && this.failed === null) {
      if (this.barrier !== null) {
        await this.barrier;
        continue;
      }
      const buf = this.pending;
      const bytes = this.pendingBytes;
      const waiters = this.waiters;
      const failures = this.failures;
      const lastSeq = this.nextSeq - 1;
      this.pending =
        this.spare.length >= INITIAL_BUFFER ? this.spare : Buffer.allocUnsafe(INITIAL_BUFFER);
      this.pendingBytes = 0;
      this.waiters = [];
      this.failures = [];
      const at = this.position;
      const end = at + bytes;
      const started = performance.now();
      try {
        // Zeros still in flight where these records go: let them land first.
        if (this.extending !== null && end > this.extendFrom) await this.extending;
        this.preallocateAfter(end);
        await writeAll(this.fd, buf, bytes, at);
        if (!DSYNC) await datasync(this.fd);
      } catch (cause) {
        const error = this.fail(cause);
        for (const fail of failures) fail(error);
        break;
      }
      this.position = end;
      this.spare = buf;
      this.durable = lastSeq;
      this.commits++;
      this.onCommit?.(waiters.length, performance.now() - started);
      let seq = lastSeq - waiters.length;
      for (const resolve of waiters) resolve(++seq);
    }
    this.settleIdle();
  }

  /** No commit is running: answer `flush()` callers. */
  private settleIdle(): void {
    this.flushing = false;
    const idle = this.idle;
    this.idle = [];
    for (const waiter of idle) {
      if (this.failed === null) waiter.resolve();
      else waiter.reject(this.failed);
    }
  }

  /** The writer is broken for good: reject every waiting append; returns the error. */
  private fail(cause: unknown): JournalError {
    this.failed ??= new JournalError(
      "WRITE_FAILED",
      `journal write failed after seq ${this.durable}`,
      {
        cause,
      },
    );
    for (const fail of this.failures) fail(this.failed);
    this.waiters = [];
    this.failures = [];
    return this.failed;
  }
}

/** Write `buf[0, bytes)` at file offset `at`. */
function writeAll(fd: number, buf: Buffer, bytes: number, at: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number) =>
      write(fd, buf, offset, bytes - offset, at + offset, (error, written) => {
        if (error) return reject(error);
        if (offset + written < bytes) return step(offset + written);
        resolve();
      });
    step(0);
  });
}

/** Zeros over [from, to) of the file. */
async function writeZeros(fd: number, from: number, to: number): Promise<void> {
  const piece = Math.max(1, Math.min(ZEROS.length, (to - from) >> 2));
  for (let at = from; at < to; at += piece) {
    const n = Math.min(piece, to - at);
    await new Promise<void>((resolve, reject) =>
      write(fd, ZEROS, 0, n, at, (error, written) =>
        error ? reject(error) : written === n ? resolve() : reject(new Error("short write")),
      ),
    );
  }
  if (!DSYNC) await datasync(fd);
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

/** fsync a directory so a newly created or renamed file in it survives a crash. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
