/**
 * The snapshot thread's entry point (see snapshot-thread.ts): a replica of the exchange core,
 * restored from the newest snapshot and kept at the writer's state by following the journal, that
 * writes the snapshots the service asks for. Nothing here touches the service's own state.
 */
import { readlinkSync } from "node:fs";
import { constants, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { JournalFollower } from "../journal/journal-follower.js";
import type { JournalLogger } from "../journal/journal-error.js";
import { restoreNewestSnapshot } from "../journal/recovery.js";
import { writeSnapshot } from "../journal/snapshot-store.js";
import type { CoreSnapshot } from "../core/core-snapshot.js";
import { ExchangeCore } from "../core/exchange-core.js";
import { HistoryStore } from "../read/history-store.js";
import { discardHistory, type HistoryArchive } from "../core/history.js";
import { serviceRecordCodec } from "../core/service-record.js";
import { CLOSE_WORKER } from "../threads/close-worker.js";
import type { SnapshotReply, SnapshotRequest, SnapshotWorkerData } from "./snapshot-thread.js";

const port = parentPort!;
const { dir, engineCapacity, historyPath } = workerData as SnapshotWorkerData;
const post = (reply: SnapshotReply) => port.postMessage(reply);
const log: JournalLogger = {
  warn: (fields, message) => post({ type: "log", level: "warn", fields, message }),
  info: (fields, message) => post({ type: "log", level: "info", fields, message }),
};

/**
 * The lowest CPU priority for this thread alone (Linux: a thread id given to setpriority is that
 * thread). A snapshot can wait; the order path cannot. On two cores the replay and serialization
 * otherwise take CPU from the signature workers, the journal and the load, and acknowledgements
 * waited behind them (measured in docs/service.md). Where this fails (not Linux), the thread
 * keeps the process's priority.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, constants.priority.PRIORITY_LOW);
  } catch {
    // Best effort.
  }
}
lowerPriority();

// What the replica prunes goes to the archive from here, off the main thread, whose core holds
// the same entries until the snapshot that follows is done (pending-history.ts).
const archive = historyPath === undefined ? undefined : new HistoryStore(historyPath);
/**
 * Set when an archive write failed inside a record's apply: the replica then holds that record
 * only in part (the engine's expiry sweep, not the pruning), so it must not snapshot again. The
 * worker replies that the snapshot failed and exits; the service snapshots on its own thread from
 * then on, from its own core, which is whole.
 */
let poisoned = false;
const history: HistoryArchive = archive
  ? {
      ...discardHistory,
      order: (hash) => archive.order(hash),
      write: (entries) => {
        try {
          archive.write(entries);
        } catch (error) {
          poisoned = true;
          throw error;
        }
      },
    }
  : discardHistory;
const options = {
  history,
  ...(engineCapacity === undefined ? {} : { engineCapacity }),
};
let restored: ExchangeCore | undefined;
const fromSeq = restoreNewestSnapshot<CoreSnapshot>(
  dir,
  (state) => (restored = ExchangeCore.restore(state, options)),
  log,
);
const core = restored ?? new ExchangeCore(options);
const follower = new JournalFollower(dir, serviceRecordCodec, fromSeq + 1);

/** Lets the thread end: nothing else keeps it alive. */
function stop(): void {
  archive?.close();
  port.close();
}

port.on("message", (request: SnapshotRequest | typeof CLOSE_WORKER) => {
  if (request === CLOSE_WORKER) return stop();
  try {
    const t0 = performance.now();
    const records = request.seq - follower.nextSeq + 1;
    follower.readTo(request.seq, (_seq, record) => core.apply(record));
    const t1 = performance.now();
    // The snapshot no longer holds what was pruned up to here: the archive must be durable first.
    archive?.checkpoint();
    const name = writeSnapshot(dir, { seq: request.seq, engine: core.snapshot() });
    post({
      type: "done",
      id: request.id,
      seq: request.seq,
      file: name,
      records,
      replayMs: t1 - t0,
      snapshotMs: performance.now() - t1,
    });
  } catch (error) {
    const e = error as { message?: string; code?: string };
    post({
      type: "failed",
      id: request.id,
      message: String(e.message ?? error),
      ...(e.code !== undefined ? { code: e.code } : {}),
    });
    if (poisoned) stop();
  }
});
