/**
 * Assembles the running sequencer from a validated config: journal recovery (snapshot + replay of
 * service records into the exchange core), chain client, chain sync, settlement pipeline, batcher,
 * challenge responder, HTTP + WebSocket. `main.ts` runs it as a process; tests run it in-process.
 */
import { join } from "node:path";
import { getAddress } from "viem";
import { Redis } from "ioredis";
import { createApp } from "../api/app.js";
import { startHttpServer, type HttpServer } from "../api/http-server.js";
import { clearmatchDomain, OrderHasher } from "@clearmatch/protocol";
import type { ChainClock } from "../chain/chain-clock.js";
import type { Config } from "../config/config.js";
import { VerifyPool } from "../crypto/verify-pool.js";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import { recoverRecords } from "../journal/recovery.js";
import { createLogger, type Logger } from "../logging/logger.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { FileBatchStore } from "../settlement/batch-store.js";
import { SettlementPipeline } from "../settlement/settlement-pipeline.js";
import { breakerHalts, CircuitBreaker } from "../intake/circuit-breaker.js";
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
import { commitGate } from "../settlement/pre-commit-audit.js";
import { publishOutputs } from "../api/stream-publisher.js";
import { serviceRecordCodec, type ServiceRecord } from "../core/service-record.js";
import { observeSettlement } from "../settlement/settlement-observer.js";
import { chainClients } from "./chain-clients.js";
import { checkExpiryMargin, initJournal } from "./journal-init.js";
import { retry } from "./retry.js";
import { OutputRouter } from "./output-router.js";
import { Snapshots } from "./snapshots.js";

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
  const journalDir = join(dataDir, "journal");
  const snapshots = new Snapshots({
    core,
    journal,
    journalDir,
    history,
    archive,
    // When the next periodic snapshot is due (records, and the last one's busy time).
    schedule: new SnapshotSchedule(
      config.SNAPSHOT_EVERY,
      config.SNAPSHOT_BUSY_PERCENT,
      recovered.snapshotSeq,
    ),
    thread:
      config.SNAPSHOT_THREAD === "worker"
        ? new SnapshotThread(
            { dir: journalDir, engineCapacity: config.ENGINE_CAPACITY, historyPath },
            logger,
          )
        : undefined,
    metrics,
    logger,
  });
  snapshots.gaugePending();
  logger.info(
    {
      snapshotSeq: recovered.snapshotSeq,
      replayed: recovered.replayed,
      lastSeq: recovered.lastSeq,
    },
    "service: journal recovered",
  );

  const { publicClient, sender, client, clock } = chainClients(config, metrics, logger);
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

  // Each record applied live goes to these, in the order added (output-router.ts): the observer,
  // latency metrics, the circuit breaker and the snapshot schedule from the start, the batcher
  // and the challenge responder once they exist, the stream once the HTTP server is up.
  const router = new OutputRouter();
  router.add("settlement-observer", observer).add("latency-metrics", {
    applied: (record, result) => {
      // Arrival (the order record's receive time) to its match result, just applied.
      if (record.kind === "order")
        metrics.matchLatency.observe(Math.max(0, now() - record.ms) / 1000);
      // Ticks prune settled history into `history`, to wait for the archive.
      if (record.kind === "expire") snapshots.gaugePending();
      for (const out of result.outputs) {
        if (out.type !== "batch" || out.batch.state !== "FINALIZED") continue;
        for (const id of out.batch.fillIds) {
          const f = core.fill(id);
          if (f) metrics.matchToFinality.observe((record.ms - f.matchedAt) / 1000);
        }
      }
    },
  });
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
    onApplied: router.applied,
    onFatal,
    onSignatureCheck: (path) => metrics.signatureChecks.inc({ path }),
  });
  const commit = (record: ServiceRecord) => intake.commit(record);
  const isHalted = (marketId: number) => core.halt(marketId) !== undefined;
  router
    .add("circuit-breaker", breakerHalts(circuitBreaker, { isHalted, commit }))
    .add("snapshots", snapshots);
  await initJournal({ core, commit, client, publicClient, config, logger, now });
  checkExpiryMargin(core, config);

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
      beforeCommit: commitGate({
        core,
        pollClock: () => clock.poll(),
        commitBy,
        hashOrder: (o) => hasher.hashOrder(o),
        commit,
        withdraw: (batchId): Promise<void> => batcher.withdraw(batchId),
        now,
        metrics,
        logger,
      }),
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
  const batcher = new Batcher({
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
  router.add("batcher", batcher);
  if (config.CHALLENGE_RESPONDER) {
    const responder = new ChallengeResponder(core, client, logger);
    router.add("challenge-responder", responder);
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
  const http_ = await startHttpServer({
    app,
    logger,
    host: config.HOST,
    port: config.PORT,
    stream: { maxSubscriptions: config.WS_MAX_SUBSCRIPTIONS },
  });
  router.add("stream", { applied: (_r, result) => publishOutputs(http_.hub, result.outputs) });
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
        batcher.stop();
        await watcher.stop();
        await http_.close();
        await pipeline.stop().catch(() => undefined);
        redis.disconnect();
        await snapshots.final();
        await journal.close();
        archive.close();
        await verifyPool?.close();
        logger.info("service: stopped");
      })()),
  };
}
