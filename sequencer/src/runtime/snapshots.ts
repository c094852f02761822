/**
 * Periodic snapshots of the running core: on the snapshot thread (`snapshot-thread.ts`) when it is
 * up, else on this thread; what waits for the archive (`PendingHistory`) is written durably before
 * the snapshot that no longer holds it. Due per `SnapshotSchedule`, checked on every applied record.
 */
import type { AppliedListener } from "../core/core-types.js";
import type { ExchangeCore } from "../core/exchange-core.js";
import type { ServiceRecord } from "../core/service-record.js";
import type { JournalWriter } from "../journal/journal-writer.js";
import { pruneJournal, takeSnapshot } from "../journal/recovery.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { HistoryStore } from "../read/history-store.js";
import type { PendingHistory } from "../read/pending-history.js";
import type { SnapshotSchedule } from "./snapshot-schedule.js";
import type { SnapshotThread } from "./snapshot-thread.js";

export interface SnapshotsDeps {
  core: ExchangeCore;
  journal: JournalWriter<ServiceRecord>;
  journalDir: string;
  history: PendingHistory;
  archive: HistoryStore;
  schedule: SnapshotSchedule;
  /** The worker, when SNAPSHOT_THREAD=worker. */
  thread: SnapshotThread | undefined;
  metrics: Metrics;
  logger: Logger;
}

const monotonicMs = () => performance.now();

export class Snapshots implements AppliedListener {
  /** The periodic snapshot in progress, if one is. */
  #run: Promise<void> | undefined;

  constructor(private readonly deps: SnapshotsDeps) {}

  /** Keeps the pending-history gauge current (it changes when ticks prune and snapshots release). */
  gaugePending(): void {
    this.deps.metrics.historyPending.set(this.deps.history.size);
  }

  applied(): void {
    if (this.#run === undefined && this.deps.schedule.due(this.deps.journal.lastSeq, monotonicMs)) {
      this.#run = this.#periodic().finally(() => (this.#run = undefined));
    }
  }

  /** Waits for a periodic snapshot in progress, closes the thread, then snapshots here (stop). */
  async final(): Promise<void> {
    await this.#run;
    await this.deps.thread?.close();
    await this.deps.journal.flush();
    await this.#onMain();
  }

  /** A snapshot on this thread: what waits for the archive is written (durably) first. */
  async #onMain(): Promise<void> {
    const { journal, history, archive, core, journalDir } = this.deps;
    const seq = journal.lastSeq;
    history.persist();
    archive.checkpoint();
    await takeSnapshot(core, journal, { dir: journalDir });
    history.release(seq);
    this.gaugePending();
  }

  async #periodic(): Promise<void> {
    const { journal, thread, metrics, logger, history, schedule } = this.deps;
    const started = monotonicMs();
    /** How long the snapshot kept its thread busy, when the thread says (the worker does). */
    let busyMs: number | undefined;
    try {
      const onWorker = thread !== undefined && thread.failure === undefined;
      if (onWorker) {
        const seq = journal.lastSeq;
        await journal.flush();
        const done = await thread.snapshot(seq);
        // The worker archived (durably) what records up to `seq` pruned before writing.
        history.release(seq);
        this.gaugePending();
        busyMs = done.replayMs + done.snapshotMs;
        await journal.rotate();
        pruneJournal({ dir: this.deps.journalDir });
        logger.info(
          {
            seq,
            file: done.file,
            replayedRecords: done.records,
            replayMs: Math.round(done.replayMs),
            snapshotMs: Math.round(done.snapshotMs),
          },
          "snapshot written by the snapshot thread",
        );
      } else {
        if (thread !== undefined) {
          logger.warn(
            { err: thread.failure },
            "snapshot thread is gone: snapshotting on the main thread",
          );
        }
        await this.#onMain();
      }
      metrics.snapshotDuration.observe(
        { thread: onWorker ? "worker" : "main" },
        (monotonicMs() - started) / 1000,
      );
    } catch (error) {
      metrics.snapshotFailures.inc();
      logger.error({ err: error }, "snapshot failed; the next is due in SNAPSHOT_EVERY records");
    } finally {
      // Counted from where this one ended, success or not: a snapshot that keeps failing is
      // retried at the configured pace, not on every record.
      const ended = monotonicMs();
      const waitMs = schedule.ended(journal.lastSeq, ended, busyMs ?? ended - started);
      if (waitMs >= 1_000) {
        logger.info(
          { waitMs: Math.round(waitMs), dueSeq: schedule.dueSeq },
          "next snapshot waits for SNAPSHOT_BUSY_PERCENT after this one's busy time",
        );
      }
    }
  }
}
