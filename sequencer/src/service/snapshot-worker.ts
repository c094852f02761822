/**
 * The snapshot thread's entry point (see snapshot-thread.ts): a replica of the exchange core,
 * restored from the newest snapshot and kept at the writer's state by following the journal, that
 * writes the snapshots the service asks for. Nothing here touches the service's own state.
 */
import { parentPort, workerData } from "node:worker_threads";
import { JournalFollower } from "../journal/journal-follower.js";
import type { JournalLogger } from "../journal/journal-error.js";
import { restoreNewestSnapshot } from "../journal/recovery.js";
import { writeSnapshot } from "../journal/snapshot-store.js";
import { ExchangeCore, type CoreSnapshot } from "./exchange-core.js";
import { serviceRecordCodec } from "./service-record.js";
import type { SnapshotReply, SnapshotRequest, SnapshotWorkerData } from "./snapshot-thread.js";

const port = parentPort!;
const { dir, engineCapacity } = workerData as SnapshotWorkerData;
const post = (reply: SnapshotReply) => port.postMessage(reply);
const log: JournalLogger = {
  warn: (fields, message) => post({ type: "log", level: "warn", fields, message }),
  info: (fields, message) => post({ type: "log", level: "info", fields, message }),
};

const options = engineCapacity === undefined ? {} : { engineCapacity };
let restored: ExchangeCore | undefined;
const fromSeq = restoreNewestSnapshot<CoreSnapshot>(
  dir,
  (state) => (restored = ExchangeCore.restore(state, options)),
  log,
);
const core = restored ?? new ExchangeCore(options);
const follower = new JournalFollower(dir, serviceRecordCodec, fromSeq + 1);
post({ type: "ready", seq: fromSeq });

port.on("message", (request: SnapshotRequest) => {
  try {
    const t0 = performance.now();
    const records = request.seq - follower.nextSeq + 1;
    follower.readTo(request.seq, (_seq, record) => core.apply(record));
    const t1 = performance.now();
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
  }
});
