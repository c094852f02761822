/**
 * Service records for exchange-core tests: the tokens, accounts and time base they share, chain
 * events with consecutive log positions, and signed-order records (the signature is a
 * placeholder: the core trusts intake to have checked it).
 */
import type { Address, Hex } from "viem";
import type { ServiceRecord } from "../../src/core/service-record.js";

export const WETH = "0x00000000000000000000000000000000000000e1" as Address;
export const USDC = "0x00000000000000000000000000000000000000c1" as Address;
export const FEE = "0x00000000000000000000000000000000000000fe" as Address;
export const T0 = 1_800_000_000_000;
export const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
export const sig = `0x${"11".repeat(65)}` as Hex;

/** The core's first record: batch ids from 1, fees to FEE, no maker fee. */
export function initRecord(takerFeeBps = 10): ServiceRecord {
  return { kind: "init", ms: T0, nextBatchId: 1n, feeRecipient: FEE, makerFeeBps: 0, takerFeeBps };
}

/**
 * Chain-event records numbered from 1 (`reset` starts over, for a fresh script); `market` is the
 * WETH/USDC registration (tick 0.01 USDC, lot 0.001 WETH) under `marketId`.
 */
export function chainRecords(txHash: Hex = hash(999)): {
  chain: (name: string, args: Record<string, unknown>) => ServiceRecord;
  market: (marketId?: number) => ServiceRecord;
  reset: () => void;
} {
  let pos = 0n;
  // Cases give only the arguments they need: typed loosely here, as the journal never is.
  const chain = (name: string, args: Record<string, unknown>): ServiceRecord =>
    ({
      kind: "chain",
      ms: T0,
      name,
      args,
      blockNumber: 1n,
      transactionHash: txHash,
      position: ++pos,
    }) as ServiceRecord;
  return {
    chain,
    market: (marketId = 1) =>
      chain("MarketRegistered", {
        marketId,
        baseToken: WETH,
        quoteToken: USDC,
        tickSize: 10_000n,
        lotSize: 10n ** 15n,
        baseDecimals: 18,
      }),
    reset: () => {
      pos = 0n;
    },
  };
}

/** Order record `n` (hash, nonce and time from `n`), a good-till-cancel limit order. */
export function orderRecord(
  n: number,
  trader: Address,
  side: number,
  price: bigint,
  amount: bigint,
  marketId = 1,
): ServiceRecord {
  return {
    kind: "order",
    ms: T0 + n,
    orderHash: hash(n),
    signature: sig,
    order: {
      trader,
      marketId,
      side,
      price,
      amount,
      nonce: BigInt(n),
      expiry: 4_000_000_000n,
      maxFeeBps: 50,
      flags: 0,
    },
  };
}
