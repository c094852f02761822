import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
} from "node:fs";
import { join } from "node:path";
import type { EngineSnapshot } from "../engine/snapshot.js";
import { JournalError, stderrLogger, type JournalLogger } from "./journal-error.js";
import { JournalWriter, type JournalWriterOptions } from "./journal-writer.js";
import { HEADER_BYTES, findValidRecord, frameEnd, frameProblem, frameSeq } from "./record-frame.js";
import { listSegments, listSnapshots, segmentName } from "./segment-files.js";
import type { RecordCodec } from "./record-codec.js";
import {
  pruneSnapshots,
  readSnapshot,
  removeStaleSnapshotTemps,
  writeSnapshot,
} from "./snapshot-store.js";

/** What {@link recoverRecords} needs to rebuild any state machine journaled with `codec`. */
export interface RecoverRecordsOptions<T, S> {
  /** Directory of segments and snapshots; created if missing. */
  dir: string;
  codec: RecordCodec<T>;
  /** Default: JSON lines on stderr. */
  log?: JournalLogger;
  /** Restores the state from a snapshot's state (throwing rejects that snapshot). */
  restore: (state: S) => void;
  /** Applies one replayed record on top of the restored state. */
  apply: (seq: number, record: T) => void;
  /**
   * Decodes replayed records instead of `codec.decode`: for example one that reuses its objects,
   * when `apply` keeps nothing of a record once it returns.
   */
  replayDecode?: RecordCodec<T>["decode"];
  /** Zeros the journal keeps written ahead of its records (JournalWriterOptions). */
  preallocateBytes?: number;
}

/** What start-up recovery leaves: the journal to append to, and what it found. */
export interface RecoveredRecords<T> {
  /** Positioned to append record `lastSeq + 1`. */
  journal: JournalWriter<T>;
  /** Sequence number of the snapshot restored, 0 if none. */
  snapshotSeq: number;
  /** Records applied on top of the snapshot. */
  replayed: number;
  lastSeq: number;
  /** Bytes of torn tail cut off the last segment (0 if it was clean). */
  truncatedBytes: number;
}

/**
 * Start-up for any record type: restore the newest sound snapshot, replay the journal after it
 * through caller-supplied functions, cut a torn tail off the last segment (logged), and refuse
 * (JournalError) anything else that does not check out: damage followed by valid records, a
 * sequence gap, a missing segment.
 */
export function recoverRecords<T, S>(options: RecoverRecordsOptions<T, S>): RecoveredRecords<T> {
  const { dir, codec, log = stderrLogger, restore, apply, preallocateBytes } = options;
  const decode = options.replayDecode ?? codec.decode.bind(codec);
  const writerOptions = (position?: number): JournalWriterOptions => ({
    ...(position !== undefined ? { position } : {}),
    ...(preallocateBytes !== undefined ? { preallocateBytes } : {}),
  });
  mkdirSync(dir, { recursive: true });
  // A snapshot write cut short (kill -9 before its rename) leaves its temporary file behind.
  for (const file of removeStaleSnapshotTemps(dir)) {
    log.warn({ file }, "journal: removed the temporary file of an unfinished snapshot");
  }
  const snapshotSeq = restoreNewestSnapshot<S>(dir, restore, log);
  const segments = listSegments(dir);
  if (segments.length === 0) {
    const journal = JournalWriter.open(
      dir,
      segmentName(snapshotSeq + 1),
      snapshotSeq + 1,
      codec,
      writerOptions(),
    );
    return { journal, snapshotSeq, replayed: 0, lastSeq: snapshotSeq, truncatedBytes: 0 };
  }
  let first = -1;
  for (let i = 0; i < segments.length; i++) if (segments[i]!.seq <= snapshotSeq + 1) first = i;
  if (first === -1) {
    throw new JournalError(
      "MISSING_SEGMENT",
      `no journal segment holds record ${snapshotSeq + 1} (first segment starts at ${segments[0]!.seq})`,
    );
  }
  let expected = segments[first]!.seq;
  let replayed = 0;
  let truncatedBytes = 0;
  /** Where the last segment's records end (the writer appends there). */
  let end = 0;
  for (let s = first; s < segments.length; s++) {
    const seg = segments[s]!;
    if (seg.seq !== expected) {
      throw new JournalError(
        "SEQUENCE_GAP",
        `${seg.name} starts at ${seg.seq}, expected ${expected}`,
      );
    }
    const buf = readFileSync(join(dir, seg.name));
    let off = 0;
    while (off < buf.length) {
      const next = frameEnd(buf, off);
      // Zeros to the end: preallocated space the records had not reached (JournalWriter).
      if (next < 0 && zeroFrom(buf, off)) break;
      if (next < 0) {
        const problem = frameProblem(buf, off, next);
        const isLast = s === segments.length - 1;
        const later = findValidRecord(buf, off + 1);
        if (!isLast || later !== -1) {
          throw new JournalError(
            "CORRUPT_RECORD",
            `${seg.name}: ${problem} at offset ${off} (after seq ${expected - 1}), ` +
              (isLast ? `valid records follow at offset ${later}` : "in a sealed segment") +
              ": refusing to start; restore the file from a replica or backup",
          );
        }
        // The torn record and any preallocated zeros after it.
        truncatedBytes = buf.length - off;
        truncate(join(dir, seg.name), off);
        log.warn(
          {
            file: seg.name,
            offset: off,
            droppedBytes: truncatedBytes,
            lastSeq: expected - 1,
            problem,
          },
          "journal: torn tail truncated (a crash interrupted the last write; it was never acknowledged)",
        );
        break;
      }
      const seq = frameSeq(buf, off);
      if (seq !== expected) {
        throw new JournalError(
          "SEQUENCE_GAP",
          `${seg.name}: record at offset ${off} has seq ${seq}, expected ${expected}`,
        );
      }
      if (seq > snapshotSeq) {
        apply(seq, decode(buf, off + HEADER_BYTES, next));
        replayed++;
      }
      expected++;
      off = next;
    }
    end = off;
  }
  const lastSeq = expected - 1;
  if (lastSeq < snapshotSeq) {
    throw new JournalError(
      "SEQUENCE_GAP",
      `journal ends at seq ${lastSeq}, before snapshot seq ${snapshotSeq}`,
    );
  }
  const journal = JournalWriter.open(
    dir,
    segments[segments.length - 1]!.name,
    lastSeq + 1,
    codec,
    writerOptions(end),
  );
  log.info({ snapshotSeq, replayed, lastSeq }, "journal: recovered");
  return { journal, snapshotSeq, replayed, lastSeq, truncatedBytes };
}

/**
 * Restore the newest snapshot in `dir` that reads back sound (older ones stand in for damaged
 * ones, logged); returns its sequence number, 0 if there is none. Read-only.
 */
export function restoreNewestSnapshot<S>(
  dir: string,
  restore: (state: S) => void,
  log: JournalLogger,
): number {
  const snapshots = listSnapshots(dir);
  for (let i = snapshots.length - 1; i >= 0; i--) {
    const name = snapshots[i]!.name;
    try {
      const stored = readSnapshot<S>(dir, name);
      restore(stored.engine);
      return stored.seq;
    } catch (error) {
      if (!(error instanceof JournalError)) throw error;
      // An older snapshot plus a longer replay gives the same state, if its segments remain.
      log.warn(
        { file: name, code: error.code },
        "journal: snapshot unreadable, trying an older one",
      );
    }
  }
  return 0;
}

/** Is every byte of `buf` from `off` on zero? */
function zeroFrom(buf: Buffer, off: number): boolean {
  for (let i = off; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function truncate(path: string, length: number): void {
  const fd = openSync(path, "r+");
  try {
    ftruncateSync(fd, length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface SnapshotOptions {
  dir: string;
  /** Snapshots to keep (older ones, and segments only they need, are deleted). Default 2. */
  keep?: number;
}

/**
 * Snapshot the engine (or any state machine with a JSON-safe `snapshot()`) at the journal's last
 * appended record and start a new segment. The caller must apply each input to the state as it
 * appends it, so that at this synchronous instant the state reflects exactly records
 * 1..journal.lastSeq. Returns the snapshot's sequence number.
 */
export async function takeSnapshot<T, S = EngineSnapshot>(
  engine: { snapshot(): S },
  journal: JournalWriter<T>,
  options: SnapshotOptions,
): Promise<number> {
  const seq = journal.lastSeq;
  const state = engine.snapshot();
  // The snapshot must never be ahead of the durable journal.
  await journal.flush();
  writeSnapshot(options.dir, { seq, engine: state });
  await journal.rotate();
  pruneJournal(options);
  return seq;
}

/**
 * After a snapshot and a rotation: delete all but the newest `keep` snapshots, and the segments
 * only older snapshots needed.
 */
export function pruneJournal(options: SnapshotOptions): void {
  const oldestKept = pruneSnapshots(options.dir, options.keep ?? 2);
  const segments = listSegments(options.dir);
  // A segment can go when the next one starts at or before the oldest kept snapshot's next record.
  for (let i = 0; i + 1 < segments.length && segments[i + 1]!.seq <= oldestKept + 1; i++) {
    unlinkSync(join(options.dir, segments[i]!.name));
  }
}
