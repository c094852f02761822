/**
 * What an operator watches of settlement: counters and one `info` log line per event for batches
 * committed, finalized and rolled back (by reason), fills busted (by reason class), settlement
 * events seen on-chain (fraud proofs, challenges, answers, disputes, ...), the sequencer's own
 * transactions (commits, finalizations, challenge answers: outcome, time, gas, fees) and its gas
 * balance (a gauge, with a warning below `GAS_BALANCE_WARN_WEI`).
 *
 * Everything on-chain is counted from records as they are applied live (`applied`, wired into
 * the intake's `onApplied`): journal replay never calls it, and the chain sync skips re-delivered
 * events before they reach the core, so a restart does not count anything twice. The sequencer's
 * transactions are counted where they are sent (the TxSender's `onSettled`).
 */
import type { Address, PublicClient } from "viem";
import { ChainError, revertErrorName } from "../chain/chain-errors.js";
import type { TxOutcome, TxSender } from "../chain/tx-sender.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { ApplyResult, CoreFill } from "../core/core-types.js";
import { ROLLBACK_REASONS } from "../core/rollback.js";
import type { ServiceRecord } from "../core/service-record.js";

/** Default interval of the gas balance refresh. */
export const GAS_BALANCE_REFRESH_MS = 15_000;
/** While the balance stays below the threshold, the warning is repeated this often. */
export const GAS_BALANCE_WARN_REPEAT_MS = 600_000;

/** Settlement events logged (at `info`) as they are seen; every event is counted. */
const LOGGED_EVENTS = new Set([
  "FraudProven",
  "ChallengeOpened",
  "ChallengeAnswered",
  "ChallengeUpheld",
  "DisputeOpened",
  "DisputeResolved",
  "Paused",
  "Unpaused",
  "MarketPaused",
]);

/** Events whose series exist (at 0) from the start, so alerts on their increase work at once. */
const ZERO_EVENTS = [
  "FraudProven",
  "ChallengeOpened",
  "ChallengeAnswered",
  "ChallengeUpheld",
  "DisputeOpened",
  "DisputeResolved",
  "BatchCommitted",
  "BatchFinalized",
  "BatchesRolledBack",
];

/** Bust reason classes other than the rollback reasons (exchange-core's `#invalidAtCommit`). */
const CUT_BUST_CLASSES: ReadonlyArray<readonly [string, string]> = [
  ["order cancelled on-chain", "OrderCancelledOnChain"],
  ["nonce invalidated on-chain", "NoncesInvalidated"],
  ["order expires before the commit", "OrderExpiring"],
];

/**
 * The class of a fill's bust reason, a bounded label value: the rollback reason (`FraudProof in
 * batch 7` is `FraudProof`), the cut's reasons by name, or `Other`.
 */
export function bustReasonClass(reason: string): string {
  const word = reason.split(" ", 1)[0] ?? "";
  if ((ROLLBACK_REASONS as readonly string[]).includes(word)) return word;
  for (const [text, name] of CUT_BUST_CLASSES) if (reason.startsWith(text)) return name;
  return "Other";
}

/** `commitBatch(5)` is method `commitBatch` about `5`; any other label is method `other`. */
function parseLabel(label: string): { method: string; arg?: string } {
  const m = /^([A-Za-z]\w*)\((.*)\)$/.exec(label);
  return m ? { method: m[1]!, arg: m[2]! } : { method: "other" };
}

const ARG_FIELD: Record<string, string> = {
  commitBatch: "batchId",
  finalizeBatch: "batchId",
  answerChallenge: "challengeId",
};

export interface SettlementObserverDeps {
  metrics: Metrics;
  logger: Logger;
  /** Reads the sequencer's balance. */
  publicClient: Pick<PublicClient, "getBalance">;
  /** The sequencer's sender: its outcomes are observed (`onSettled`), its address's balance read. */
  sender: Pick<TxSender, "address" | "onSettled">;
  /** Warn below this balance (wei); 0 never warns. */
  gasBalanceWarnWei: bigint;
  /** Interval of the balance refresh. Default {@link GAS_BALANCE_REFRESH_MS}. */
  gasBalanceRefreshMs?: number;
  now?: () => number;
}

export interface SettlementObserver {
  /** A record the core applied live (the intake's `onApplied`; never replay). */
  applied(record: ServiceRecord, result: ApplyResult): void;
  /** Reads the sequencer's balance into the gauge (coalesced: one read at a time, one queued). */
  refreshGasBalance(): Promise<void>;
  /** Stops the periodic refresh. */
  stop(): void;
}

/**
 * Starts observing: hooks the sender's outcomes, reads the gas balance now and every
 * `gasBalanceRefreshMs`. Feed it applied records with {@link SettlementObserver.applied}.
 */
export function observeSettlement(deps: SettlementObserverDeps): SettlementObserver {
  const { metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  for (const reason of ROLLBACK_REASONS) metrics.batchesRolledBack.inc({ reason }, 0);
  for (const event of ZERO_EVENTS) metrics.chainEvents.inc({ event }, 0);

  // ---------------------------------------------------------------- gas balance
  const account: Address = deps.sender.address;
  let low = false;
  let warnedAt = 0;
  let running: Promise<void> | undefined;
  let again = false;
  const readBalance = async () => {
    try {
      const wei = await deps.publicClient.getBalance({ address: account });
      metrics.sequencerGasBalance.set(Number(wei));
      const threshold = deps.gasBalanceWarnWei;
      if (threshold > 0n && wei < threshold) {
        const t = now();
        if (!low || t - warnedAt >= GAS_BALANCE_WARN_REPEAT_MS) {
          logger.warn(
            { account, balanceWei: wei.toString(), thresholdWei: threshold.toString() },
            "sequencer gas balance below GAS_BALANCE_WARN_WEI: fund the sequencer account",
          );
          warnedAt = t;
        }
        low = true;
      } else if (low) {
        low = false;
        logger.info(
          { account, balanceWei: wei.toString(), thresholdWei: threshold.toString() },
          "sequencer gas balance back above GAS_BALANCE_WARN_WEI",
        );
      }
    } catch (error) {
      logger.debug({ err: error, account }, "sequencer gas balance: read failed");
    }
  };
  const refreshGasBalance = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await readBalance();
      } while (again);
    })().finally(() => (running = undefined));
    return running;
  };
  void refreshGasBalance();
  const timer = setInterval(
    () => void refreshGasBalance(),
    deps.gasBalanceRefreshMs ?? GAS_BALANCE_REFRESH_MS,
  );
  timer.unref();

  // ---------------------------------------------------------------- sequencer transactions
  const onSettled = (outcome: TxOutcome) => {
    const { method, arg } = parseLabel(outcome.request.label);
    const about = arg !== undefined ? { [ARG_FIELD[method] ?? "arg"]: arg } : {};
    const receipt = outcome.receipt;
    if (receipt) {
      const fee = receipt.gasUsed * receipt.effectiveGasPrice;
      metrics.sequencerTransactions.inc({ method, outcome: "confirmed" });
      metrics.sequencerTransactionSeconds.observe({ method }, outcome.seconds);
      metrics.sequencerTransactionGas.inc({ method }, Number(receipt.gasUsed));
      metrics.sequencerTransactionFees.inc({ method }, Number(fee));
      logger.info(
        {
          method,
          ...about,
          txHash: receipt.transactionHash,
          block: receipt.blockNumber,
          gasUsed: receipt.gasUsed,
          feeWei: fee.toString(),
          seconds: Math.round(outcome.seconds * 1000) / 1000,
        },
        `sequencer sent ${method}: confirmed`,
      );
    } else {
      const code = outcome.error instanceof ChainError ? outcome.error.code : "UNKNOWN";
      metrics.sequencerTransactions.inc({ method, outcome: code });
      logger.info(
        {
          method,
          ...about,
          code,
          revert: revertErrorName(outcome.error),
          err: outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
        },
        `sequencer sent ${method}: failed`,
      );
    }
    // A reverted estimate sent nothing; anything else may have spent gas.
    if (!(outcome.error instanceof ChainError && outcome.error.code === "CALL_REVERTED")) {
      void refreshGasBalance();
    }
  };
  deps.sender.onSettled = onSettled;

  // ---------------------------------------------------------------- applied records
  const applied = (record: ServiceRecord, result: ApplyResult) => {
    try {
      observe(record, result);
    } catch (error) {
      // Observability never fails the intake.
      logger.warn({ err: error, kind: record.kind }, "settlement observer failed");
    }
  };
  const observe = (record: ServiceRecord, result: ApplyResult) => {
    const chain = record.kind === "chain" ? record : undefined;
    if (chain) {
      metrics.chainEvents.inc({ event: chain.name });
      if (LOGGED_EVENTS.has(chain.name)) {
        logger.info(
          {
            event: chain.name,
            ...chain.args,
            txHash: chain.transactionHash,
            block: chain.blockNumber,
          },
          `chain: ${chain.name}`,
        );
      }
    }
    const busts = new Map<string, CoreFill[]>();
    for (const out of result.outputs) {
      if (out.type === "bust") {
        const cls = bustReasonClass(out.reason);
        metrics.fillsBusted.inc({ reason: cls });
        const list = busts.get(out.reason) ?? [];
        list.push(out.fill);
        busts.set(out.reason, list);
        continue;
      }
      if (out.type !== "batch") continue;
      const b = out.batch;
      if (b.state === "COMMITTED") {
        metrics.batchesCommitted.inc();
        logger.info(
          {
            batchId: b.batchId,
            fills: b.fillIds.length,
            txHash: b.commitTx,
            finalizableAt: b.finalizableAt,
            cutToCommitMs: b.committedAt !== undefined ? b.committedAt - b.cutAt : undefined,
          },
          "batch committed",
        );
      } else if (b.state === "FINALIZED") {
        metrics.batchesFinalized.inc();
        logger.info(
          { batchId: b.batchId, fills: b.fillIds.length, txHash: b.settleTx },
          "batch finalized",
        );
      } else if (b.state === "ROLLED_BACK") {
        const reason = b.rollbackReason ?? "Unknown";
        metrics.batchesRolledBack.inc({ reason });
        logger.info(
          {
            batchId: b.batchId,
            reason,
            ...(chain?.name === "BatchesRolledBack"
              ? { fromBatchId: chain.args.fromBatchId, toBatchId: chain.args.toBatchId }
              : {}),
            fills: b.fillIds.length,
            txHash: b.settleTx,
          },
          "batch rolled back",
        );
      }
    }
    for (const [reason, fills] of busts) {
      logger.info(
        {
          reason,
          reasonClass: bustReasonClass(reason),
          count: fills.length,
          fillIds: fills.slice(0, 50).map((f) => f.fillId),
          batchId: fills[0]?.batchId,
        },
        "fills busted",
      );
    }
  };

  return {
    applied,
    refreshGasBalance,
    stop: () => {
      clearInterval(timer);
      if (deps.sender.onSettled === onSettled) deps.sender.onSettled = undefined;
    },
  };
}
