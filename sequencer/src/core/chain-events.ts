/**
 * The settlement contract's events, as the chain watcher delivers them (typed from viem's logs,
 * `SettlementEvent`), folded into the core: markets and pauses, deposits and withdrawals, on-chain
 * cancels and nonce floors, batch commits and finalizations, proofs and challenges, rollbacks.
 * Each is applied once: a record at or below the last position applied is a no-op.
 */
import type { Address } from "viem";
import type { MarketConfig } from "../engine/types.js";
import { lowercase } from "../crypto/lowercase.js";
import type { ApplyResult, CoreOutput } from "./core-types.js";
import { pushIndex, withdrawalKey, type CoreContext } from "./core-state.js";
import { runEngine, setBatchFills } from "./fills.js";
import { rollback } from "./rollback.js";
import { recordTime, type ChainEventRecord } from "./service-record.js";

export function applyChainEvent(c: CoreContext, r: ChainEventRecord): ApplyResult {
  const s = c.s;
  if (r.position <= s.lastPosition) return { outputs: [], mutated: false };
  s.lastPosition = r.position;
  const outputs: CoreOutput[] = [];
  const time = recordTime(r);
  switch (r.name) {
    case "MarketRegistered": {
      const market: MarketConfig = {
        marketId: Number(r.args.marketId),
        baseToken: r.args.baseToken,
        quoteToken: r.args.quoteToken,
        tickSize: r.args.tickSize,
        lotSize: r.args.lotSize,
        baseDecimals: Number(r.args.baseDecimals),
        makerFeeBps: s.makerFeeBps,
        takerFeeBps: s.takerFeeBps,
      };
      runEngine(c, { type: "addMarket", time, market }, r.ms, outputs);
      break;
    }
    case "MarketPaused": {
      const marketId = Number(r.args.marketId);
      const paused = Boolean(r.args.paused);
      runEngine(c, { type: "setMarketPaused", time, marketId, paused }, r.ms, outputs);
      break;
    }
    case "Paused":
    case "Unpaused":
      s.paused = r.name === "Paused";
      break;
    case "FeeRecipientSet":
      s.feeRecipient = r.args.feeRecipient;
      break;
    case "Deposited":
      s.depositors.add(lowercase(r.args.account));
      c.ledger.deposit(r.args.account, r.args.token, r.args.amount);
      break;
    case "WithdrawalRequested": {
      // A new request replaces the earlier one (ISettlement.requestWithdrawal).
      releaseWithdrawalRequest(c, r.args.account, r.args.token);
      const amount = r.args.amount;
      if (amount > 0n) c.ledger.requestWithdrawal(r.args.account, r.args.token, amount);
      s.withdrawals.set(withdrawalKey(r.args.account, r.args.token), amount);
      break;
    }
    case "Withdrawn": {
      const k = withdrawalKey(r.args.account, r.args.token);
      const prev = s.withdrawals.get(k) ?? 0n;
      const amount = r.args.amount;
      // `withdraw` pays min(requested, balance) and consumes the whole request.
      if (amount > 0n) c.ledger.withdraw(r.args.account, r.args.token, amount);
      if (prev > amount) {
        c.ledger.cancelWithdrawalRequest(r.args.account, r.args.token, prev - amount);
      }
      s.withdrawals.delete(k);
      break;
    }
    case "WithdrawalCancelled":
      // The trader took its request back (ISettlement.cancelWithdrawal).
      releaseWithdrawalRequest(c, r.args.account, r.args.token);
      break;
    case "OrderCancelled": {
      const orderHash = lowercase(r.args.orderHash);
      s.chainCancels.add(orderHash);
      runEngine(c, { type: "cancel", time, orderHash, source: "chain" }, r.ms, outputs);
      break;
    }
    case "NoncesInvalidated": {
      const trader = lowercase(r.args.trader);
      const minNonce = r.args.minNonce;
      if ((s.nonceFloors.get(trader) ?? 0n) < minNonce) s.nonceFloors.set(trader, minNonce);
      runEngine(c, { type: "invalidateNonces", time, trader, minNonce }, r.ms, outputs);
      break;
    }
    case "BatchCommitted": {
      const b = s.batches.get(String(r.args.batchId));
      if (b && b.state === "BATCHED") {
        b.state = "COMMITTED";
        b.committedAt = r.ms;
        b.finalizableAt = r.args.finalizableAt;
        b.commitTx = r.transactionHash;
        setBatchFills(c, b, "COMMITTED");
        outputs.push({ type: "batch", batch: b });
      }
      break;
    }
    case "BatchFinalized": {
      const b = s.batches.get(String(r.args.batchId));
      if (b && (b.state === "COMMITTED" || b.state === "BATCHED")) {
        b.state = "FINALIZED";
        b.settledAt = r.ms;
        b.settleTx = r.transactionHash;
        c.ledger.applyBatchFinalized(b.fillIds.map(String));
        setBatchFills(c, b, "FINALIZED");
        outputs.push({ type: "batch", batch: b });
      }
      break;
    }
    case "FraudProven":
      pushIndex(s.provenOrders, String(r.args.batchId), lowercase(r.args.orderHash));
      break;
    case "ChallengeOpened":
      s.challenges.set(String(r.args.challengeId), {
        batchId: r.args.batchId,
        orderHash: lowercase(r.args.orderHash),
      });
      outputs.push({
        type: "challenge",
        challengeId: r.args.challengeId,
        batchId: r.args.batchId,
        orderHash: r.args.orderHash,
      });
      break;
    case "ChallengeUpheld": {
      const ch = s.challenges.get(String(r.args.challengeId));
      if (ch) pushIndex(s.provenOrders, String(ch.batchId), ch.orderHash);
      break;
    }
    case "BatchesRolledBack":
      rollback(c, r.args.fromBatchId, r.args.toBatchId, Number(r.args.reason), r, outputs);
      break;
    default:
      break;
  }
  return { outputs, mutated: true };
}

/** Releases the amount `account` has requested to withdraw in `token`, if any, in the ledger. */
function releaseWithdrawalRequest(c: CoreContext, account: Address, token: Address): void {
  const k = withdrawalKey(account, token);
  const prev = c.s.withdrawals.get(k) ?? 0n;
  if (prev > 0n) c.ledger.cancelWithdrawalRequest(account, token, prev);
  c.s.withdrawals.delete(k);
}
