/**
 * Assembles the running sequencer from a validated config: journal recovery (snapshot + replay of
 * service records into the exchange core), chain client, chain sync, settlement pipeline, batcher,
 * challenge responder, HTTP + WebSocket. `main.ts` runs it as a process; tests run it in-process.
 */
import { join } from "node:path";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  http,
  type Address,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { Redis } from "ioredis";
import { createApp } from "../api/app.js";
import { startHttpServer, type HttpServer } from "../api/http-server.js";
import { settlementAbi, clearmatchDomain, OrderHasher } from "@clearmatch/protocol";
import { ChainClock } from "../chain/chain-clock.js";
import { SettlementClient } from "../chain/settlement-client.js";
import { TxSender } from "../chain/tx-sender.js";
import { requiredExpiryMarginSec, type Config } from "../config/config.js";
import { VerifyPool } from "../crypto/verify-pool.js";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import { pruneJournal, recoverRecords, takeSnapshot } from "../journal/recovery.js";
import { createLogger, type Logger } from "../logging/logger.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { FileBatchStore } from "../settlement/batch-store.js";
import { SettlementPipeline } from "../settlement/settlement-pipeline.js";
import { CircuitBreaker } from "../intake/circuit-breaker.js";
import type { ApplyResult, MarketHalt } from "../core/core-types.js";
import { PriceBand } from "../intake/price-band.js";
import { RateLimiter } from "../intake/rate-limiter.js";
import { Batcher } from "../settlement/batcher.js";
import { journaledAdminControls } from "../intake/admin-actions.js";
import { ChallengeResponder } from "../settlement/challenge-responder.js";
import { checkChainIdentity } from "./chain-identity.js";
import { createChainSync } from "../settlement/chain-sync.js";
import { ClearmatchService } from "../read/clearmatch-service.js";
import type { CoreSnapshot } from "../core/core-snapshot.js";
import { ExchangeCore } from "../core/exchange-core.js";
import { HistoryStore } from "../read/history-store.js";
import { PendingHistory } from "../read/pending-history.js";
import { SnapshotSchedule } from "./snapshot-schedule.js";
import { SnapshotThread } from "./snapshot-thread.js";
import { OrderIntake } from "../intake/order-intake.js";
import { auditBeforeCommit } from "../settlement/pre-commit-audit.js";
import { publishOutputs } from "../api/stream-publisher.js";
import { serviceRecordCodec, type ServiceRecord } from "../core/service-record.js";
import { observeSettlement } from "../settlement/settlement-observer.js";

export interface RunningService {
  readonly url: string;
  readonly core: ExchangeCore;
  readonly metrics: Metrics;
  readonly http: HttpServer;
  /** Stop intake, flush the journal, snapshot, close everything. */
  stop(): Promise<void>;
}

export interface StartServiceOptions {
  logger?: Logger;
  /** A journal write failed. Default: log fatal and exit(1) (restart recovers from the files). */
  onFatal?: (error: unknown) => void;
  now?: () => number;
}

export async function startService(
  config: Config,
  options: StartServiceOptions = {},
): Promise<RunningService> {
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
  // Exchange time: the chain's clock once it is read (chain-clock.ts), the wall clock before.
  let chainClock: ChainClock | undefined;
  const now = options.now ?? (() => (chainClock ? chainClock.now() : Date.now()));
  /** Unix seconds by which a commit sent now lands. */
  const commitBy = () => Math.ceil(now() / 1000) + config.COMMIT_LATENCY_MAX;
  const metrics = createMetrics({ collectDefaultMetrics: true });
  const dataDir = config.DATA_DIR;
  // Before anything reads or writes DATA_DIR: it must belong to this chain (chain-identity.ts).
  await checkChainIdentity(config, { logger });

  // Settled orders, fills and batches leave the core's memory for the archive. The snapshot
  // thread writes it; until the snapshot after them is done they wait in `history`, which the
  // queries read with the archive (pending-history.ts).
  const historyPath = join(dataDir, "history.sqlite");
  const archive = new HistoryStore(historyPath);
  const history = new PendingHistory(archive);
  let replaySeq = 0;
  history.recordSeq = () => replaySeq;
  const coreOptions = { engineCapacity: config.ENGINE_CAPACITY, history };
  // Built by the snapshot's restore, or fresh on the first replayed record (or after recovery,
  // for an empty journal): never twice, since a sized engine allocates and pre-faults its tables.
  const recovering: { core?: ExchangeCore } = {};
  const recovered = recoverRecords<ServiceRecord, CoreSnapshot>({
    dir: join(dataDir, "journal"),
    codec: serviceRecordCodec,
    log: logger,
    restore: (state) => {
      recovering.core = ExchangeCore.restore(state, coreOptions);
    },
    apply: (seq, record) => {
      replaySeq = seq;
      (recovering.core ??= new ExchangeCore(coreOptions)).apply(record);
    },
  });
  const core = recovering.core ?? new ExchangeCore(coreOptions);
  const journal = recovered.journal;
  // A record is applied, then appended: the one being applied gets the next number.
  history.recordSeq = () => journal.lastSeq + 1;
  journal.onCommit = (_records, ms) => metrics.journalCommitLatency.observe(ms / 1000);
  const gaugePending = () => metrics.historyPending.set(history.size);
  gaugePending();
  const monotonicMs = () => performance.now();
  /** When the next periodic snapshot is due (records, and the last one's busy time). */
  const snapshotSchedule = new SnapshotSchedule(
    config.SNAPSHOT_EVERY,
    config.SNAPSHOT_BUSY_PERCENT,
    recovered.snapshotSeq,
  );
  logger.info(
    {
      snapshotSeq: recovered.snapshotSeq,
      replayed: recovered.replayed,
      lastSeq: recovered.lastSeq,
    },
    "service: journal recovered",
  );

  const chain = defineChain({
    id: config.CHAIN_ID,
    name: `chain-${config.CHAIN_ID}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.RPC_URL] } },
  });
  const transport = http(config.RPC_URL, { retryCount: 0, timeout: 5_000 });
  const publicClient = createPublicClient({ chain, transport }) as PublicClient;
  const wallet = createWalletClient({
    chain,
    transport,
    account: privateKeyToAccount(config.SEQUENCER_PRIVATE_KEY),
  });
  const sender = new TxSender(publicClient, wallet, {
    confirmations: Math.max(1, config.CONFIRMATIONS),
    pollIntervalMs: 200,
  });
  const client = new SettlementClient(config.SETTLEMENT_ADDRESS, publicClient, sender);
  const clock = new ChainClock({
    readHead: async () => {
      const block = await publicClient.getBlock({ blockTag: "latest" });
      return { number: block.number, timestamp: block.timestamp };
    },
    commitLatencySec: config.COMMIT_LATENCY_MAX,
    pollMs: Math.min(config.CHAIN_POLL_MS, 1_000),
    onReadyChange: (ready, reason) => {
      metrics.chainCommitReady.set(ready ? 1 : 0);
      if (ready) logger.info("chain: commits can land within COMMIT_LATENCY_MAX; orders accepted");
      else logger.warn({ reason }, "chain: no commit can land in time; new orders refused");
    },
    onReadError: (error) => logger.debug({ err: error }, "chain clock: head read failed"),
    onPoll: (status) => {
      if (status.skewSec !== undefined) metrics.chainClockSkew.set(status.skewSec);
    },
  });
  await retry(logger, "read the chain head", () => clock.start());
  chainClock = clock;
  logger.info(
    { skewSec: clock.skewSec, commitLatencyMaxSec: config.COMMIT_LATENCY_MAX },
    "chain clock: exchange time follows the chain head",
  );
  // Settlement counters and logs, the sequencer's transactions and gas balance.
  const observer = observeSettlement({
    metrics,
    logger,
    publicClient,
    sender,
    gasBalanceWarnWei: config.GAS_BALANCE_WARN_WEI,
  });

  // Detects price moves only: the halts it triggers are journaled and held by the core.
  const circuitBreaker = new CircuitBreaker({
    moveBps: config.CIRCUIT_BREAKER_BPS,
    windowMs: config.CIRCUIT_BREAKER_WINDOW_MS,
  });
  const rateLimiter = new RateLimiter({
    ratePerSec: config.RATE_LIMIT_PER_SEC,
    burst: config.RATE_LIMIT_BURST,
  });

  let http_: HttpServer | undefined;
  let batcher: Batcher | undefined;
  let responder: ChallengeResponder | undefined;
  const onApplied = (record: ServiceRecord, result: ApplyResult) => {
    observer.applied(record, result);
    // Arrival (the order record's receive time) to its match result, just applied.
    if (record.kind === "order")
      metrics.matchLatency.observe(Math.max(0, now() - record.ms) / 1000);
    // A resumed market's breaker window starts afresh (as CircuitBreaker.reset documents).
    if (record.kind === "resume") circuitBreaker.reset(record.marketId);
    // Ticks prune settled history into `history`, to wait for the archive.
    if (record.kind === "expire") gaugePending();
    const halts: MarketHalt[] = [];
    for (const out of result.outputs) {
      if (out.type === "batchCut") batcher?.submitCut(out.batch, out.leaves);
      if (out.type === "challenge") responder?.answer(out.challengeId, out.orderHash);
      if (out.type === "fill") {
        const halt = circuitBreaker.recordTrade(
          out.fill.fill.marketId,
          out.fill.fill.price,
          record.ms,
        );
        if (halt && !core.halt(halt.marketId)) halts.push(halt);
      }
      if (out.type === "batch" && out.batch.state === "FINALIZED") {
        for (const id of out.batch.fillIds) {
          const f = core.fill(id);
          if (f) metrics.matchToFinality.observe((record.ms - f.matchedAt) / 1000);
        }
      }
    }
    if (http_) publishOutputs(http_.hub, result.outputs, core);
    // The breaker's halt is core state too: journaled right behind the trade that tripped it
    // (applied synchronously here, so the next order is already refused).
    for (const h of halts) {
      void commit({
        kind: "halt",
        ms: record.ms,
        marketId: h.marketId,
        cause: "circuit_breaker",
        ...(h.fromPrice !== undefined ? { fromPrice: h.fromPrice } : {}),
        ...(h.toPrice !== undefined ? { toPrice: h.toPrice } : {}),
      }).catch(() => undefined);
    }
    if (record.kind === "order" && core.matchedCount >= config.BATCH_MAX_FILLS) {
      void batcher?.maybeCut();
    }
    if (snapshotRun === undefined && snapshotSchedule.due(journal.lastSeq, monotonicMs)) snapshot();
  };
  const onFatal =
    options.onFatal ??
    ((error: unknown) => {
      logger.fatal({ err: error }, "journal write failed: exiting to recover from the files");
      process.exit(1);
    });
  const hasher = new OrderHasher(clearmatchDomain(config.CHAIN_ID, config.SETTLEMENT_ADDRESS));
  const verifyPool = VerifyPool.create(config.VERIFY_THREADS, hasher.domainSeparatorBytes());
  const intake = new OrderIntake({
    core: core,
    journal,
    hasher,
    verifier: config.SIGNATURE_VERIFIER,
    verifyPool,
    chainId: config.CHAIN_ID,
    settlement: config.SETTLEMENT_ADDRESS,
    rateLimiter,
    priceBand: new PriceBand({ bandBps: config.PRICE_BAND_BPS }),
    maxLifetimeSec: config.MAX_ORDER_LIFETIME_SEC,
    publicClient,
    now,
    chainUnavailable: () =>
      clock.check()
        ? undefined
        : new ClearmatchError("CHAIN_UNAVAILABLE", undefined, {
            details: { reason: clock.status().reason ?? null },
          }),
    onApplied,
    onFatal,
    onSignatureCheck: (path) => metrics.signatureChecks.inc({ path }),
  });
  const commit = (record: ServiceRecord) => intake.commit(record);
  const journalDir = join(dataDir, "journal");
  const snapshotThread =
    config.SNAPSHOT_THREAD === "worker"
      ? new SnapshotThread(
          { dir: journalDir, engineCapacity: config.ENGINE_CAPACITY, historyPath },
          logger,
        )
      : undefined;
  /** A snapshot on this thread: what waits for the archive is written (durably) first. */
  async function snapshotOnMain(): Promise<void> {
    const seq = journal.lastSeq;
    history.persist();
    archive.checkpoint();
    await takeSnapshot(core, journal, { dir: journalDir });
    history.release(seq);
    gaugePending();
  }
  /** The periodic snapshot in progress, if one is. */
  let snapshotRun: Promise<void> | undefined;
  function snapshot(): void {
    const run = async () => {
      const started = monotonicMs();
      /** How long the snapshot kept its thread busy, when the thread says (the worker does). */
      let busyMs: number | undefined;
      try {
        const onWorker = snapshotThread !== undefined && snapshotThread.failure === undefined;
        if (onWorker) {
          const seq = journal.lastSeq;
          await journal.flush();
          const done = await snapshotThread!.snapshot(seq);
          // The worker archived (durably) what records up to `seq` pruned before writing.
          history.release(seq);
          gaugePending();
          busyMs = done.replayMs + done.snapshotMs;
          await journal.rotate();
          pruneJournal({ dir: journalDir });
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
          if (snapshotThread !== undefined) {
            logger.warn(
              { err: snapshotThread.failure },
              "snapshot thread is gone: snapshotting on the main thread",
            );
          }
          await snapshotOnMain();
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
        const waitMs = snapshotSchedule.ended(journal.lastSeq, ended, busyMs ?? ended - started);
        if (waitMs >= 1_000) {
          logger.info(
            { waitMs: Math.round(waitMs), dueSeq: snapshotSchedule.dueSeq },
            "next snapshot waits for SNAPSHOT_BUSY_PERCENT after this one's busy time",
          );
        }
      }
    };
    snapshotRun = run().finally(() => (snapshotRun = undefined));
  }

  // First start: the chain's next batch id and fee recipient, journaled once.
  if (!core.initialized) {
    const [nextBatchId, feeRecipient] = await retry(logger, "read chain parameters", () =>
      Promise.all([
        client.nextBatchId(),
        publicClient.readContract({
          address: config.SETTLEMENT_ADDRESS,
          abi: settlementAbi,
          functionName: "feeRecipient",
        }) as Promise<Address>,
      ]),
    );
    await commit({
      kind: "init",
      ms: now(),
      nextBatchId,
      feeRecipient,
      makerFeeBps: config.MAKER_FEE_BPS,
      takerFeeBps: config.TAKER_FEE_BPS,
      expiryMarginSec: config.EXPIRY_MARGIN_SECONDS,
    });
  }

  // The margin is the journal's (its init record); the batch age and latency bound are today's.
  const margin = requiredExpiryMarginSec(config);
  if (core.expiryMarginSec < margin) {
    // main.ts prints `fix` under the message.
    throw Object.assign(
      new ClearmatchError(
        "CONFIG_INVALID",
        `this journal's expiry margin is ${core.expiryMarginSec} s, less than BATCH_MAX_MS rounded up to seconds + COMMIT_LATENCY_MAX + 1 = ${margin} s: a fill matched just before its order stops trading could commit after the order expired`,
      ),
      {
        fix: `lower BATCH_MAX_MS or COMMIT_LATENCY_MAX, or start on a new DATA_DIR with EXPIRY_MARGIN_SECONDS >= ${margin}`,
      },
    );
  }

  const store = new FileBatchStore(join(dataDir, "batches"));
  const pipeline = new SettlementPipeline(
    store,
    client,
    {
      committed: (r) => {
        if (r.committedAtMs) metrics.commitLatency.observe((r.committedAtMs - r.cutAtMs) / 1000);
      },
      finalized: (r) => {
        if (r.settledAtMs && r.committedAtMs) {
          metrics.finalizeLatency.observe((r.settledAtMs - r.committedAtMs) / 1000);
        }
      },
      failed: (batchId, error) => logger.error({ err: error, batchId }, "pipeline: batch failed"),
      beforeCommit: async (record) => {
        // Only the core's live cut is ever committed (a withdrawn one's record may linger).
        const live = core.batch(record.batchId);
        if (live?.state !== "BATCHED") {
          await batcher!.withdraw(record.batchId);
          return false;
        }
        // Judged on a fresh head: after an outage the chain's clock may have moved on.
        await clock.poll();
        const at = commitBy();
        const found = auditBeforeCommit(core, record, at, (o) => hasher.hashOrder(o));
        metrics.selfAudits.inc({ outcome: found.audit.clean ? "clean" : "withdrawn" });
        if (found.audit.clean) return true;
        logger.error(
          {
            batchId: record.batchId,
            commitBy: at,
            kinds: found.summary,
            faults: found.audit.faults.length,
            conflicts: found.audit.conflicts.length,
            leafFaults: found.audit.leafFaults.length,
            bust: found.bust,
          },
          "self-audit: committing this batch would be provable; withdrawing it (its other fills are re-batched)",
        );
        await commit({
          kind: "recut",
          ms: now(),
          fromBatchId: record.batchId,
          bust: found.bust,
          reason: `self-audit: ${found.summary}`,
        });
        await batcher!.withdraw(record.batchId);
        return false;
      },
    },
    {
      redisUrl: config.REDIS_URL,
      queueName: config.QUEUE_NAME,
      waitPollMs: 300,
      maxDelayMs: 2_000,
    },
  );
  pipeline.onConnectionError = (error) =>
    logger.warn({ err: error.message }, "pipeline: Redis connection error (reconnecting)");
  batcher = new Batcher({
    core: core,
    pipeline,
    store,
    commit,
    maxFills: config.BATCH_MAX_FILLS,
    maxDeltas: config.BATCH_MAX_DELTAS,
    maxMs: config.BATCH_MAX_MS,
    now,
    commitBy,
    logger,
    metrics,
  });
  if (config.CHALLENGE_RESPONDER) {
    responder = new ChallengeResponder(core, client, logger);
    responder.resume().then(
      (n) => n > 0 && logger.info({ challenges: n }, "responder: answering challenges left open"),
      (error: unknown) => logger.warn({ err: error }, "responder: resume failed"),
    );
  }

  const watcher = createChainSync({
    core: core,
    publicClient,
    settlement: config.SETTLEMENT_ADDRESS,
    cursorPath: join(dataDir, "chain-cursor.json"),
    commit,
    now,
    logger,
    metrics,
    confirmations: config.CONFIRMATIONS,
    pollIntervalMs: config.CHAIN_POLL_MS,
    startBlock: config.SETTLEMENT_START_BLOCK,
  });
  // Catch up with the chain (markets, deposits, batch outcomes) before taking orders.
  await retry(logger, "initial chain sync", () => watcher.pollOnce());
  await batcher.resubmitMissing();
  await pipeline.start();
  watcher.start();
  batcher.start();
  const expiryTimer = setInterval(() => {
    void commit({ kind: "expire", ms: now() }).catch(() => undefined);
  }, config.EXPIRY_TICK_MS);

  // Readiness only: fails fast instead of queueing commands while Redis is down.
  const redis = new Redis(config.REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  redis.on("error", () => undefined);
  await redis.connect().catch(() => undefined);
  const service = new ClearmatchService({
    core,
    intake,
    store,
    metrics,
    info: {
      domain: hasher.domain,
      orders: {
        maxLifetimeSec: config.MAX_ORDER_LIFETIME_SEC,
        maxBatchOrders: config.MAX_BATCH_ORDERS,
        priceBandBps: config.PRICE_BAND_BPS,
      },
      rateLimit: { perSecond: config.RATE_LIMIT_PER_SEC, burst: config.RATE_LIMIT_BURST },
    },
  });
  const app = createApp({
    orderService: service,
    adminControls: journaledAdminControls({ core, commit, now }),
    metrics,
    logger,
    readiness: async () => {
      const status = watcher.status();
      const chainOk = status.failures === 0 && status.head !== undefined;
      const redisOk = await redis
        .ping()
        .then(() => true)
        .catch(() => false);
      return {
        ready: chainOk && redisOk,
        checks: { journal: true, chain: chainOk, redis: redisOk },
      };
    },
    options: {
      maxBodyBytes: config.MAX_BODY_BYTES,
      maxBatchOrders: config.MAX_BATCH_ORDERS,
      adminToken: config.ADMIN_TOKEN,
      trustProxy: config.TRUST_PROXY,
    },
  });
  http_ = await startHttpServer({
    app,
    logger,
    host: config.HOST,
    port: config.PORT,
    stream: { maxSubscriptions: config.WS_MAX_SUBSCRIPTIONS },
  });
  const url = `http://${http_.address.address}:${http_.address.port}`;
  logger.info({ url, settlement: getAddress(config.SETTLEMENT_ADDRESS) }, "service: started");

  let stopped: Promise<void> | undefined;
  return {
    url,
    get core() {
      return core;
    },
    metrics,
    http: http_,
    stop: () =>
      (stopped ??= (async () => {
        intake.close();
        clock.stop();
        clearInterval(expiryTimer);
        observer.stop();
        batcher!.stop();
        await watcher.stop();
        await http_!.close();
        await pipeline.stop().catch(() => undefined);
        redis.disconnect();
        await snapshotRun;
        await snapshotThread?.close();
        await journal.flush();
        await snapshotOnMain();
        await journal.close();
        archive.close();
        await verifyPool?.close();
        logger.info("service: stopped");
      })()),
  };
}

/** Retries `fn` with a 500 ms pause until it succeeds (start-up dependencies). */
async function retry<T>(logger: Logger, what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt % 10 === 1)
        logger.warn({ err: error, attempt }, `service: ${what} failed, retrying`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
