import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import { ChainError, revertErrorName, toChainError } from "../chain/chain-errors.js";
import { BatchStatus, type SettlementClient } from "../chain/settlement-client.js";
import type { BatchRecord, BatchStore } from "./batch-store.js";

/** Options of {@link SettlementPipeline}; defaults in {@link PIPELINE_DEFAULTS}. */
export interface SettlementPipelineOptions {
  /** Redis connection URL. Default redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** BullMQ queue name; one per deployment (and per test). Default "clearmatch-settlement". */
  queueName?: string;
  /** BullMQ key prefix. Default "bull". */
  prefix?: string;
  /** Attempts of a job before it fails (transient faults only; permanent ones fail at once). Default 20. */
  attempts?: number;
  /** First retry delay, doubled each attempt. Default 500 ms. */
  backoffMs?: number;
  /** Re-check interval while a batch waits for an earlier batch or open claims. Default 1,000 ms. */
  waitPollMs?: number;
  /**
   * Longest a finalize job sleeps before asking the chain again. The window is measured in chain
   * time, which can run ahead of the wall clock (and does on test chains). Default 15,000 ms.
   */
  maxDelayMs?: number;
}

export const PIPELINE_DEFAULTS: Required<SettlementPipelineOptions> = {
  redisUrl: "redis://127.0.0.1:6379",
  queueName: "clearmatch-settlement",
  prefix: "bull",
  attempts: 20,
  backoffMs: 500,
  waitPollMs: 1_000,
  maxDelayMs: 15_000,
};

/** What the pipeline tells the service as batches move. */
export interface PipelineEvents {
  committed?(record: BatchRecord): void;
  finalized?(record: BatchRecord): void;
  /** The chain rolled the batch back (fraud proof, challenge, dispute, negative balance). */
  rolledBack?(record: BatchRecord): void;
  failed?(batchId: bigint, error: Error): void;
  /**
   * Asked right before a batch's commit is sent (the pre-commit self-audit): `false` means the
   * batch was withdrawn (its record is gone from the store, a new cut takes its id) and must not
   * be committed. Default: commit.
   */
  beforeCommit?(record: BatchRecord): Promise<boolean>;
}

/** `root`: the record's fillsRoot when enqueued (absent in jobs of older versions). */
type JobData = { batchId: string; root?: string };

/** Reverts that mean "not yet" rather than "never": the job waits and asks again. */
const WAIT_ON_REVERT = new Set(["SettlementPaused", "SettlementBatchOutOfOrder"]);
// Keyed by id and root: a batch withdrawn before its commit leaves its id to the next cut, whose
// job must not be taken for the withdrawn one's (BullMQ keeps finished jobs and ignores an add
// with a finished job's id).
const rootKey = (root: string) => root.slice(2, 18).toLowerCase();
const commitJobId = (id: bigint, root: string) => `commit-${id}-${rootKey(root)}`;
const finalizeJobId = (id: bigint, root: string) => `finalize-${id}-${rootKey(root)}`;

/**
 * The two-phase commit on BullMQ. Each batch gets a `commit` job then a `finalize` job, keyed by the
 * batch id so adding one twice is a no-op. Every job asks the chain first (the chain is the truth),
 * so a crash or retry at any point never commits or finalizes twice. One worker with concurrency 1
 * keeps commits in id order; batches wait for their turn, window and open claims by re-delaying.
 */
export class SettlementPipeline {
  readonly options: Required<SettlementPipelineOptions>;
  readonly queue: Queue<JobData>;
  #worker: Worker<JobData> | undefined;

  constructor(
    private readonly store: BatchStore,
    private readonly client: SettlementClient,
    private readonly events: PipelineEvents = {},
    options: SettlementPipelineOptions = {},
  ) {
    this.options = { ...PIPELINE_DEFAULTS, ...options };
    this.queue = new Queue<JobData>(this.options.queueName, {
      connection: connection(this.options.redisUrl),
      prefix: this.options.prefix,
      defaultJobOptions: {
        attempts: this.options.attempts,
        backoff: { type: "exponential", delay: this.options.backoffMs },
        removeOnComplete: { count: 10_000 },
        removeOnFail: { count: 10_000 },
      },
    });
  }

  /** Called with Redis connection errors of the queue and worker (they reconnect by themselves). */
  onConnectionError: (error: Error) => void = () => {};

  /** Starts processing. Re-enqueues every unsettled batch in the store (after a crash or a Redis loss). */
  async start(): Promise<void> {
    this.#worker = new Worker<JobData>(this.options.queueName, (job) => this.#process(job), {
      connection: connection(this.options.redisUrl),
      prefix: this.options.prefix,
      concurrency: 1,
    });
    this.#worker.on("failed", (job, error) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        this.events.failed?.(BigInt(job.data.batchId), error);
      } else if (job && error instanceof UnrecoverableError) {
        this.events.failed?.(BigInt(job.data.batchId), error);
      }
    });
    // Connection errors: ioredis reconnects by itself; jobs resume when Redis is back. Without a
    // listener an EventEmitter would print (or throw) them.
    this.#worker.on("error", (error) => this.onConnectionError(error));
    this.queue.on("error", (error) => this.onConnectionError(error));
    await this.recover();
  }

  async stop(): Promise<void> {
    await this.#worker?.close();
    await this.queue.close();
  }

  /** Stores a newly cut batch and schedules its commit. */
  async submit(record: BatchRecord): Promise<void> {
    await this.store.put(record);
    await this.#enqueue(record);
  }

  /** Ensures every unsettled batch has its job; safe to call any time (jobs are keyed by id). */
  async recover(): Promise<void> {
    for (const record of await this.store.list()) await this.#enqueue(record);
  }

  async #enqueue(record: BatchRecord): Promise<void> {
    const data = { batchId: record.batchId.toString(), root: record.fillsRoot };
    if (record.state === "BATCHED") {
      await this.queue.add("commit", data, {
        jobId: commitJobId(record.batchId, record.fillsRoot),
      });
    } else if (record.state === "COMMITTED") {
      await this.queue.add("finalize", data, {
        jobId: finalizeJobId(record.batchId, record.fillsRoot),
      });
    }
  }

  async #process(job: Job<JobData>): Promise<void> {
    const batchId = BigInt(job.data.batchId);
    // A job of a withdrawn batch (gone from the store, or its id taken by a later cut) is done.
    const record = await this.store.get(batchId);
    if (
      record === undefined ||
      (job.data.root !== undefined &&
        record.fillsRoot.toLowerCase() !== job.data.root.toLowerCase())
    ) {
      return;
    }
    try {
      if (job.name === "commit") await this.#commit(job, batchId);
      else await this.#finalize(job, batchId);
    } catch (error) {
      if (error instanceof DelayedError || error instanceof UnrecoverableError) throw error;
      const chainError = toChainError(error, `${job.name} batch ${batchId}`);
      if (!chainError.transient)
        throw new UnrecoverableError(`${chainError.code}: ${chainError.message}`);
      throw chainError;
    }
  }

  /** Wall-clock wait until chain time reaches `at`, capped by maxDelayMs. */
  #windowDelay(at: bigint, now: bigint): number {
    const ms = at > now ? Number(at - now) * 1000 : 0;
    return Math.min(ms, this.options.maxDelayMs);
  }

  async #wait(job: Job<JobData>, ms: number): Promise<never> {
    await job.moveToDelayed(Date.now() + ms, job.token);
    throw new DelayedError();
  }

  async #commit(job: Job<JobData>, batchId: bigint): Promise<void> {
    const record = await this.#load(batchId);
    if (record.state !== "BATCHED") return this.#enqueue(record);

    let onChain = await this.client.batch(batchId);
    if (onChain.status === BatchStatus.None) {
      const next = await this.client.nextBatchId();
      // An earlier batch is not committed yet: its job runs first (FIFO), so wait for it.
      if (next < batchId) return this.#wait(job, this.options.waitPollMs);
      if (next > batchId) {
        throw new UnrecoverableError(`batch ${batchId} was skipped on-chain (next is ${next})`);
      }
      // Never commit what the self-audit finds provable: the batch is withdrawn instead.
      if (this.events.beforeCommit && !(await this.events.beforeCommit(record))) return;
      try {
        const receipt = await this.client.commitBatch(batchId, record.commitFills, record.deltas);
        record.commitTx = receipt.transactionHash;
      } catch (error) {
        // Paused by the guardian (until it or the timelock unpauses), or an earlier batch landed in
        // between: the batch is fine, only not committable yet.
        if (WAIT_ON_REVERT.has(revertErrorName(error) ?? "")) {
          return this.#wait(job, this.options.waitPollMs);
        }
        throw error;
      }
      onChain = await this.client.batch(batchId);
    }
    // Committed by us before a crash, or just now: it must be our root.
    if (onChain.fillsRoot.toLowerCase() !== record.fillsRoot.toLowerCase()) {
      throw new ChainError(
        "CHAIN_STATE_CONFLICT",
        `batch ${batchId} on-chain root ${onChain.fillsRoot} is not ours ${record.fillsRoot}`,
        false,
      );
    }
    record.finalizableAt = onChain.finalizableAt;
    record.committedAtMs ??= Date.now();
    if (onChain.status === BatchStatus.RolledBack) return this.#settle(record, "ROLLED_BACK");
    if (onChain.status === BatchStatus.Finalized) return this.#settle(record, "FINALIZED");
    record.state = "COMMITTED";
    await this.store.put(record);
    this.events.committed?.(record);
    const now = await this.client.chainTime();
    await this.queue.add(
      "finalize",
      { batchId: batchId.toString(), root: record.fillsRoot },
      {
        jobId: finalizeJobId(batchId, record.fillsRoot),
        delay: this.#windowDelay(onChain.finalizableAt, now),
      },
    );
  }

  async #finalize(job: Job<JobData>, batchId: bigint): Promise<void> {
    const record = await this.#load(batchId);
    if (record.state !== "COMMITTED") return;

    const onChain = await this.client.batch(batchId);
    if (onChain.status === BatchStatus.Finalized) return this.#settle(record, "FINALIZED");
    if (onChain.status === BatchStatus.RolledBack) return this.#settle(record, "ROLLED_BACK");
    if (onChain.status !== BatchStatus.Pending) {
      throw new UnrecoverableError(`batch ${batchId} is not on-chain`);
    }
    const [nextFinalize, now] = await Promise.all([
      this.client.nextFinalizeId(),
      this.client.chainTime(),
    ]);
    if (
      nextFinalize < batchId ||
      now < onChain.finalizableAt ||
      onChain.openChallenges > 0 ||
      onChain.openDisputes > 0
    ) {
      const windowMs =
        Number(onChain.finalizableAt > now ? onChain.finalizableAt - now : 0n) * 1000;
      return this.#wait(job, Math.max(this.options.waitPollMs, windowMs));
    }
    try {
      const receipt = await this.client.finalizeBatch(batchId, record.deltas);
      record.finalizeTx = receipt.transactionHash;
    } catch (error) {
      // The window is measured in chain time (a node whose clock lags ours refuses once more);
      // a paused contract finalizes nothing until it is unpaused.
      const name = revertErrorName(error) ?? "";
      if (name === "SettlementBatchNotFinalizable" || WAIT_ON_REVERT.has(name)) {
        return this.#wait(job, this.options.waitPollMs);
      }
      throw error;
    }
    const after = await this.client.batch(batchId);
    return this.#settle(
      record,
      after.status === BatchStatus.Finalized ? "FINALIZED" : "ROLLED_BACK",
    );
  }

  async #settle(record: BatchRecord, state: "FINALIZED" | "ROLLED_BACK"): Promise<void> {
    if (record.state === state) return;
    record.state = state;
    record.settledAtMs = Date.now();
    await this.store.put(record);
    if (state === "FINALIZED") this.events.finalized?.(record);
    else this.events.rolledBack?.(record);
  }

  async #load(batchId: bigint): Promise<BatchRecord> {
    const record = await this.store.get(batchId);
    if (record === undefined) throw new UnrecoverableError(`batch ${batchId} is not in the store`);
    return record;
  }
}

function connection(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password || undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    // BullMQ workers need unlimited retries per request to survive Redis restarts.
    maxRetriesPerRequest: null,
  };
}
