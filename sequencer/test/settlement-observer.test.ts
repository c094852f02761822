import { describe, expect, it } from "vitest";
import type { Address, Hex, TransactionReceipt } from "viem";
import { ChainError } from "../src/chain/chain-errors.js";
import type { TxOutcome } from "../src/chain/tx-sender.js";
import { createLogger } from "../src/logging/logger.js";
import { createMetrics } from "../src/metrics/metrics.js";
import type { CoreBatch, CoreFill } from "../src/core/core-types.js";
import { bustReasonClass, observeSettlement } from "../src/settlement/settlement-observer.js";
import type { ChainEventRecord } from "../src/core/service-record.js";

const ACCOUNT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;
const TX = `0x${"ab".repeat(32)}` as Hex;

function setup(options: { balance?: bigint; warnWei?: bigint } = {}) {
  const metrics = createMetrics();
  const lines: Record<string, any>[] = [];
  const logger = createLogger({
    level: "debug",
    destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
  });
  let balance = options.balance ?? 10n ** 18n;
  let reads = 0;
  const publicClient = {
    getBalance: async () => {
      reads++;
      return balance;
    },
  };
  const sender: { address: Address; onSettled: ((o: TxOutcome) => void) | undefined } = {
    address: ACCOUNT,
    onSettled: undefined,
  };
  let clock = 0;
  const observer = observeSettlement({
    metrics,
    logger,
    publicClient: publicClient as never,
    sender: sender as never,
    gasBalanceWarnWei: options.warnWei ?? 0n,
    gasBalanceRefreshMs: 3_600_000,
    now: () => clock,
  });
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const v = (await metrics.registry.getMetricsAsJSON())
      .flatMap((m) =>
        m.values.map((x) => ({
          ...x,
          metricName: (x as { metricName?: string }).metricName ?? m.name,
        })),
      )
      .find(
        (x) =>
          x.metricName === name &&
          Object.entries(labels).every(([k, l]) => (x.labels as Record<string, unknown>)[k] === l),
      );
    return v?.value;
  };
  return {
    metrics,
    lines,
    observer,
    sender,
    value,
    reads: () => reads,
    setBalance: (wei: bigint) => (balance = wei),
    advance: (ms: number) => (clock += ms),
  };
}

const batch = (state: CoreBatch["state"], extra: Partial<CoreBatch> = {}): CoreBatch => ({
  batchId: 7n,
  fillIds: [1, 2],
  state,
  cutAt: 1_000,
  ...extra,
});
const fill = (fillId: number, batchId?: bigint) => ({ fillId, batchId }) as unknown as CoreFill;
/** A chain record with only the arguments a case needs (real ones carry them all). */
const chainRecord = (name: string, args: Record<string, unknown> = {}) =>
  ({
    kind: "chain",
    ms: 5_000,
    name,
    args,
    blockNumber: 12n,
    transactionHash: TX,
    position: 12n << 20n,
  }) as ChainEventRecord;

describe("settlement observer", () => {
  it("classes bust reasons into bounded labels", () => {
    expect(bustReasonClass("FraudProof in batch 3")).toBe("FraudProof");
    expect(bustReasonClass("ChallengeUnanswered in batch 12")).toBe("ChallengeUnanswered");
    expect(bustReasonClass("NegativeBalance in batch 1")).toBe("NegativeBalance");
    expect(bustReasonClass("ConflictingFills in batch 1")).toBe("ConflictingFills");
    expect(bustReasonClass("order cancelled on-chain")).toBe("OrderCancelledOnChain");
    expect(bustReasonClass("nonce invalidated on-chain")).toBe("NoncesInvalidated");
    expect(bustReasonClass("order expires before the commit")).toBe("OrderExpiring");
    expect(bustReasonClass("Reason9 in batch 1")).toBe("Other");
    expect(bustReasonClass("")).toBe("Other");
  });

  it("counts and logs batches, rollbacks by reason, busts and chain events from applied records", async () => {
    const t = setup();
    // Series of every rollback reason and of the claim events exist from the start.
    expect(await t.value("clearmatch_batches_rolled_back_total", { reason: "FraudProof" })).toBe(0);
    expect(await t.value("clearmatch_chain_events_total", { event: "DisputeOpened" })).toBe(0);

    t.observer.applied(chainRecord("BatchCommitted", { batchId: 7n }), {
      mutated: true,
      outputs: [{ type: "batch", batch: batch("COMMITTED", { committedAt: 3_500, commitTx: TX }) }],
    });
    t.observer.applied(chainRecord("ChallengeOpened", { challengeId: 1n, batchId: 7n }), {
      mutated: true,
      outputs: [],
    });
    t.observer.applied(
      chainRecord("BatchesRolledBack", { fromBatchId: 7n, toBatchId: 8n, reason: 2 }),
      {
        mutated: true,
        outputs: [
          { type: "batch", batch: batch("ROLLED_BACK", { rollbackReason: "ChallengeUnanswered" }) },
          {
            type: "batch",
            batch: batch("ROLLED_BACK", { batchId: 8n, rollbackReason: "ChallengeUnanswered" }),
          },
          { type: "bust", fill: fill(1, 7n), reason: "ChallengeUnanswered in batch 7" },
          { type: "bust", fill: fill(2, 7n), reason: "ChallengeUnanswered in batch 7" },
        ],
      },
    );
    t.observer.applied(
      { kind: "cut", ms: 6_000, maxFills: 10 },
      {
        mutated: true,
        outputs: [{ type: "bust", fill: fill(3), reason: "order cancelled on-chain" }],
      },
    );
    t.observer.applied(chainRecord("BatchFinalized", { batchId: 9n }), {
      mutated: true,
      outputs: [{ type: "batch", batch: batch("FINALIZED", { batchId: 9n, settleTx: TX }) }],
    });

    expect(await t.value("clearmatch_batches_committed_total")).toBe(1);
    expect(await t.value("clearmatch_batches_finalized_total")).toBe(1);
    expect(
      await t.value("clearmatch_batches_rolled_back_total", { reason: "ChallengeUnanswered" }),
    ).toBe(2);
    expect(await t.value("clearmatch_fills_busted_total", { reason: "ChallengeUnanswered" })).toBe(
      2,
    );
    expect(
      await t.value("clearmatch_fills_busted_total", { reason: "OrderCancelledOnChain" }),
    ).toBe(1);
    expect(await t.value("clearmatch_chain_events_total", { event: "ChallengeOpened" })).toBe(1);
    expect(await t.value("clearmatch_chain_events_total", { event: "BatchesRolledBack" })).toBe(1);

    const msgs = t.lines.filter((l) => l.level === 30).map((l) => l.msg);
    expect(msgs).toEqual([
      "batch committed",
      "chain: ChallengeOpened",
      "batch rolled back",
      "batch rolled back",
      "fills busted",
      "fills busted",
      "batch finalized",
    ]);
    const committed = t.lines.find((l) => l.msg === "batch committed")!;
    expect(committed).toMatchObject({ batchId: 7, fills: 2, txHash: TX, cutToCommitMs: 2_500 });
    const rolled = t.lines.filter((l) => l.msg === "batch rolled back");
    expect(rolled.map((l) => [l.batchId, l.reason, l.fromBatchId, l.toBatchId])).toEqual([
      [7, "ChallengeUnanswered", 7, 8],
      [8, "ChallengeUnanswered", 7, 8],
    ]);
    expect(t.lines.find((l) => l.msg === "fills busted")).toMatchObject({
      reasonClass: "ChallengeUnanswered",
      count: 2,
      fillIds: [1, 2],
      batchId: 7,
    });
    expect(t.lines.find((l) => l.msg === "chain: ChallengeOpened")).toMatchObject({
      event: "ChallengeOpened",
      challengeId: 1,
      batchId: 7,
      txHash: TX,
    });
    t.observer.stop();
  });

  it("counts the sequencer's transactions by method and outcome and refreshes the balance after them", async () => {
    const t = setup();
    await t.observer.refreshGasBalance();
    const before = t.reads();
    const receipt = {
      transactionHash: TX,
      blockNumber: 5n,
      gasUsed: 100_000n,
      effectiveGasPrice: 2_000_000_000n,
    } as TransactionReceipt;
    t.sender.onSettled!({
      request: { to: ACCOUNT, data: "0x", label: "commitBatch(4)" },
      receipt,
      seconds: 1.5,
    });
    t.sender.onSettled!({
      request: { to: ACCOUNT, data: "0x", label: "finalizeBatch(4)" },
      error: new ChainError("CALL_REVERTED", "reverted with X", false),
      seconds: 0.1,
    });
    t.sender.onSettled!({
      request: { to: ACCOUNT, data: "0x", label: "answerChallenge(2)" },
      error: new ChainError("TX_NOT_MINED", "not mined", true),
      seconds: 60,
    });
    await t.observer.refreshGasBalance();
    expect(
      await t.value("clearmatch_sequencer_transactions_total", {
        method: "commitBatch",
        outcome: "confirmed",
      }),
    ).toBe(1);
    expect(
      await t.value("clearmatch_sequencer_transactions_total", {
        method: "finalizeBatch",
        outcome: "CALL_REVERTED",
      }),
    ).toBe(1);
    expect(
      await t.value("clearmatch_sequencer_transactions_total", {
        method: "answerChallenge",
        outcome: "TX_NOT_MINED",
      }),
    ).toBe(1);
    expect(
      await t.value("clearmatch_sequencer_transaction_gas_used_total", { method: "commitBatch" }),
    ).toBe(100_000);
    expect(
      await t.value("clearmatch_sequencer_transaction_fees_wei_total", { method: "commitBatch" }),
    ).toBe(2e14);
    expect(
      await t.value("clearmatch_sequencer_transaction_seconds_sum", { method: "commitBatch" }),
    ).toBe(1.5);
    const sent = t.lines.find((l) => l.msg === "sequencer sent commitBatch: confirmed")!;
    expect(sent).toMatchObject({
      batchId: "4",
      txHash: TX,
      gasUsed: 100_000,
      feeWei: "200000000000000",
    });
    expect(t.lines.find((l) => l.msg === "sequencer sent answerChallenge: failed")).toMatchObject({
      challengeId: "2",
      code: "TX_NOT_MINED",
    });
    // The confirmed commit and the unmined answer may have spent gas (coalesced reads); the
    // reverted estimate sent nothing.
    expect(t.reads()).toBeGreaterThan(before);
    t.observer.stop();
    expect(t.sender.onSettled).toBeUndefined();
  });

  it("sets the gas balance gauge and warns once when it drops below the threshold", async () => {
    const t = setup({ balance: 5n * 10n ** 18n, warnWei: 10n ** 18n });
    await t.observer.refreshGasBalance();
    expect(await t.value("clearmatch_sequencer_gas_balance_wei")).toBe(5e18);
    expect(t.lines.filter((l) => l.level === 40)).toEqual([]);
    t.setBalance(5n * 10n ** 17n);
    await t.observer.refreshGasBalance();
    await t.observer.refreshGasBalance();
    expect(await t.value("clearmatch_sequencer_gas_balance_wei")).toBe(5e17);
    const warns = t.lines.filter((l) => l.level === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({
      account: ACCOUNT,
      balanceWei: "500000000000000000",
      thresholdWei: "1000000000000000000",
    });
    // Still low ten minutes later: warned again.
    t.advance(600_000);
    await t.observer.refreshGasBalance();
    expect(t.lines.filter((l) => l.level === 40)).toHaveLength(2);
    // Funded again: one info line, no more warnings.
    t.setBalance(2n * 10n ** 18n);
    await t.observer.refreshGasBalance();
    t.advance(600_000);
    await t.observer.refreshGasBalance();
    expect(t.lines.filter((l) => l.level === 40)).toHaveLength(2);
    expect(t.lines.filter((l) => l.msg.includes("back above"))).toHaveLength(1);
    t.observer.stop();
  });
});
