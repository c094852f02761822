import { closeSync, constants, fdatasync, fsyncSync, openSync, write } from "node:fs";
import { join } from "node:path";
import type { EngineInput } from "../engine/types.js";
import { JournalError } from "./journal-error.js";
import { engineInputCodec, type RecordCodec } from "./record-codec.js";
import { HEADER_BYTES, writeHeader } from "./record-frame.js";
import { segmentName } from "./segment-files.js";

const INITIAL_BUFFER = 1 << 20;

/**
 * Segments are opened with O_DSYNC where the platform has it: each write returns only once its
 * data (and the file size) is on disk, as a write followed by fdatasync would, but in one system
 * call, so a group commit is one trip through libuv's thread pool instead of two. Each trip waits
 * for a thread and then for the event loop, which under CPU contention is what a commit's time
 * was made of (`docs/service.md`). Elsewhere: plain append, then fdatasync.
 */
const DSYNC = constants.O_DSYNC !== undefined;
const APPEND: string | number = DSYNC
  ? constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC
  : "a";

/**
 * Appends inputs to the current journal segment with group commit: appends made while a durable
 * write is in flight are gathered and made durable together by the next one, and each
 * append's promise resolves only once its record is on disk. Throughput therefore scales with
 * concurrency while every acknowledgment stays durable.
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
  /** Group commits made, and records they carried (for metrics and the benchmark). */
  commits = 0;

  private constructor(
    readonly dir: string,
    fd: number,
    nextSeq: number,
    private readonly codec: RecordCodec<T>,
  ) {
    this.fd = fd;
    this.nextSeq = nextSeq;
    this.durable = nextSeq - 1;
  }

  /**
   * Open (creating if needed) the segment file `name` in `dir` for appending at `nextSeq`.
   * Records are encoded with `codec` (default: the engine's input codec).
   */
  static open(dir: string, name: string, nextSeq: number): JournalWriter<EngineInput>;
  static open<T>(
    dir: string,
    name: string,
    nextSeq: number,
    codec: RecordCodec<T>,
  ): JournalWriter<T>;
  static open<T>(
    dir: string,
    name: string,
    nextSeq: number,
    codec?: RecordCodec<T>,
  ): JournalWriter<T> {
    const fd = openSync(join(dir, name), APPEND);
    syncDir(dir);
    return new JournalWriter(dir, fd, nextSeq, codec ?? (engineInputCodec as RecordCodec<T>));
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
    // Records appended since the flush are not written yet: they open the new segment.
    closeSync(this.fd);
    this.fd = openSync(join(this.dir, segmentName(this.durable + 1)), APPEND);
    syncDir(this.dir);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => undefined);
    this.closed = true;
    closeSync(this.fd);
  }

  private grow(need: number): void {
    let size = this.pending.length * 2;
    while (size < this.pendingBytes + need) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.pending.copy(bigger, 0, 0, this.pendingBytes);
    this.pending = bigger;
  }

  private async flushLoop(): Promise<void> {
    while (this.pendingBytes > 0 && this.failed === null) {
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
      try {
        await writeAll(this.fd, buf, bytes);
        if (!DSYNC) await datasync(this.fd);
      } catch (cause) {
        this.failed = new JournalError(
          "WRITE_FAILED",
          `journal write failed after seq ${this.durable}`,
          {
            cause,
          },
        );
        for (const fail of failures) fail(this.failed);
        for (const fail of this.failures) fail(this.failed);
        this.waiters = [];
        this.failures = [];
        break;
      }
      this.spare = buf;
      this.durable = lastSeq;
      this.commits++;
      let seq = lastSeq - waiters.length;
      for (const resolve of waiters) resolve(++seq);
    }
    this.flushing = false;
    const idle = this.idle;
    this.idle = [];
    for (const waiter of idle) {
      if (this.failed === null) waiter.resolve();
      else waiter.reject(this.failed);
    }
  }
}

function writeAll(fd: number, buf: Buffer, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number) =>
      write(fd, buf, offset, bytes - offset, null, (error, written) => {
        if (error) return reject(error);
        if (offset + written < bytes) return step(offset + written);
        resolve();
      });
    step(0);
  });
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
