/**
 * Snapshots of the exchange core taken on their own thread, so that intake never waits for one.
 *
 * A snapshot is the whole core as JSON: on the main thread, serializing and writing it stopped the
 * event loop for time that grows with what the core holds (measured, when it still held every
 * order and fill it had seen: 0.4 s at 10,000 orders, 4 s at 100,000, 10 s at 200,000), every
 * SNAPSHOT_EVERY records, and every acknowledgement waited behind it.
 *
 * The snapshot worker (snapshot-worker.ts) keeps its own replica of the core instead: restored
 * from the newest snapshot at start, then brought forward by reading the journal's durable
 * records from the segment files (JournalFollower). The core is deterministic over its records,
 * so the replica at record N is the service's core at record N, byte for byte in its snapshot.
 * The main thread only tells it up to which record to snapshot, and rotates and prunes the
 * journal when it is done. The cost is a second core in memory and the replay on the other CPU.
 * The replica also writes the settled history both cores prune to the archive, off the main
 * thread (pending-history.ts): when a snapshot at record N is done, the archive holds everything
 * pruned up to N.
 */
import { Worker } from "node:worker_threads";
import type { JournalLogger } from "../journal/journal-error.js";
import { closeWorker } from "../threads/close-worker.js";

export interface SnapshotWorkerData {
  /** The journal directory (segments and snapshots). */
  dir: string;
  /** ENGINE_CAPACITY, as the service's core has it. */
  engineCapacity?: number;
  /**
   * The settled-history archive the replica writes what it prunes to (checkpointed before each
   * snapshot: see pending-history.ts). Default: none (the replica archives nothing).
   */
  historyPath?: string;
}

export interface SnapshotRequest {
  id: number;
  /** Write the snapshot after record `seq` (durable by then). */
  seq: number;
}

export type SnapshotReply =
  | { type: "log"; level: "warn" | "info"; fields: Record<string, unknown>; message: string }
  | SnapshotDone
  | { type: "failed"; id: number; message: string; code?: string };

export interface SnapshotDone {
  type: "done";
  id: number;
  seq: number;
  /** The snapshot file written. */
  file: string;
  /** Journal records the replica applied to reach `seq`. */
  records: number;
  replayMs: number;
  /** Serializing and durably writing the snapshot. */
  snapshotMs: number;
}

/** A snapshot the worker could not take (`code`: a JournalError code, when it was one). */
export class SnapshotThreadError extends Error {
  override readonly name = "SnapshotThreadError";
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export class SnapshotThread {
  readonly #worker: Worker;
  /** Requests the worker has not answered yet, by id. */
  readonly #pending = new Map<
    number,
    { done: Promise<SnapshotDone>; resolve: (d: SnapshotDone) => void; reject: (e: Error) => void }
  >();
  #nextId = 1;
  #failure: Error | undefined;
  #exited: Promise<void>;

  /**
   * Start the worker on journal `dir`. Call after recovery (which cuts any torn tail); the
   * worker restores the newest snapshot itself.
   */
  constructor(data: SnapshotWorkerData, log: JournalLogger) {
    // Source (under tsx) or compiled: the worker file sits beside this one either way.
    const ts = import.meta.url.endsWith(".ts");
    const url = new URL(ts ? "./snapshot-worker.ts" : "./snapshot-worker.js", import.meta.url);
    const tsx = process.execArgv.some((a) => a.includes("tsx"));
    this.#worker = new Worker(url, {
      workerData: data,
      // A worker starts without the parent's module hooks unless its own flags load them. When
      // the parent's flags load them, the worker inherits them (undefined): passing them as an
      // explicit list fails on process-wide flags such as --trace-gc, which a worker may not set.
      execArgv: ts && !tsx ? [...process.execArgv, "--import", "tsx"] : undefined,
    });
    // Like the verify pool's: a service that fails to start must still be able to exit.
    this.#worker.unref();
    this.#worker.on("message", (reply: SnapshotReply) => {
      if (reply.type === "log") return log[reply.level](reply.fields, reply.message);
      const waiter = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.type === "done") waiter?.resolve(reply);
      else waiter?.reject(new SnapshotThreadError(reply.message, reply.code));
    });
    const fail = (error: Error) => {
      this.#failure ??= error;
      for (const w of this.#pending.values()) w.reject(this.#failure);
      this.#pending.clear();
    };
    this.#worker.on("error", fail);
    this.#exited = new Promise((resolve) =>
      this.#worker.once("exit", (code) => {
        fail(new SnapshotThreadError(`snapshot worker exited (code ${code})`));
        resolve();
      }),
    );
  }

  /** Why the worker is gone (an error it threw, or its exit), if it is. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /**
   * Snapshot the core as of record `seq`, which must already be durable. Resolves when the
   * snapshot file is written (and fsynced); rejects if the worker cannot (the journal did not
   * check out up to `seq`, the write failed, the worker died).
   */
  snapshot(seq: number): Promise<SnapshotDone> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    let resolve!: (d: SnapshotDone) => void;
    let reject!: (e: Error) => void;
    const done = new Promise<SnapshotDone>((res, rej) => ((resolve = res), (reject = rej)));
    this.#pending.set(id, { done, resolve, reject });
    this.#worker.postMessage({ id, seq } satisfies SnapshotRequest);
    return done;
  }

  /**
   * Let the snapshots asked for finish (or fail), then stop the worker: it is asked to exit
   * (`closeWorker`; terminated only if it has not within `graceMs`, say while still restoring).
   */
  async close(graceMs = 10_000): Promise<void> {
    await Promise.allSettled([...this.#pending.values()].map((p) => p.done));
    await closeWorker(this.#worker, graceMs);
    await this.#exited;
  }
}
