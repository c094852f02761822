/**
 * The demo's traders and its read-outs (`scripts/demo.ts`): simulated market makers and takers
 * signing through the SDK against the embedded stack, and what the watchtower reported.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createWalletClient, getAddress, http, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { MarketView } from "@clearmatch/protocol";
import { ClearmatchClient, isClearmatchApiError } from "@clearmatch/sdk";
import type { EmbeddedRun } from "./embedded-run.js";
import { mulberry32 } from "./mulberry32.js";

/** Traders quoting both sides; the others take. */
export const MAKERS = 2;

/** Mid prices of the demo markets, whole quote units per whole base unit. */
const MID_UNITS: Record<string, bigint> = { WETH: 2_000n, WBTC: 60_000n };

export interface Counters {
  orders: number;
  rejected: number;
  rejectCodes: Record<string, number>;
  fills: number;
}

/** What the watchtower wrote after its last check, once its cursor reaches `block` (60 s at most). */
export async function watchtowerStats(dir: string, block: bigint) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const s = JSON.parse(await readFile(path.join(dir, "stats.json"), "utf8")) as {
        batchesChecked: number;
        fillsChecked: number;
        fillsWithoutOrders: number;
        proofsSent: number;
        proofsFailed: number;
        cursor: string;
        checkLagP99Ms: number;
        checkLagMaxMs: number;
      };
      if (BigInt(s.cursor) >= block) return { ...s, caughtUp: true };
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Trades for `seconds`: market makers (the first `MAKERS` traders) quote both sides of every
 * market with post-only orders two levels deep; the other traders cross the spread at random
 * with immediate-or-cancel orders 1% through the mid. Refusals are counted by code.
 */
export async function trade(
  run: EmbeddedRun,
  markets: MarketView[],
  counters: Counters,
  seconds: number,
) {
  const rand = mulberry32(42);
  const clients = run.stack.traders.map(
    (t) =>
      new ClearmatchClient({
        baseUrl: run.apiUrl,
        chainId: run.stack.chainId,
        settlement: run.stack.addresses.settlement!,
        wallet: createWalletClient({
          account: privateKeyToAccount(t.privateKey),
          transport: http(run.node.url),
        }),
        orderDefaults: { ttlSeconds: 45, maxFeeBps: 30 },
      }),
  );
  const symbolOf = new Map<Address, string>(
    Object.entries(run.stack.addresses)
      .filter(([k]) => k.startsWith("token"))
      .map(([k, a]) => [getAddress(a), k.slice("token".length)]),
  );
  const send = async (
    client: ClearmatchClient,
    params: Parameters<ClearmatchClient["placeOrder"]>[0],
  ) => {
    counters.orders++;
    try {
      const result = await client.placeOrder(params);
      counters.fills += result.fills?.length ?? 0;
    } catch (error) {
      if (!isClearmatchApiError(error)) throw error;
      counters.rejected++;
      counters.rejectCodes[error.code] = (counters.rejectCodes[error.code] ?? 0) + 1;
    }
  };

  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const round: Promise<void>[] = [];
    for (const market of markets) {
      const base = symbolOf.get(getAddress(market.baseToken)) ?? "";
      const mid = (MID_UNITS[base] ?? 1_000n) * 10n ** 6n; // quote is USDC (6 decimals)
      const tick = market.tickSize;
      const lot = market.lotSize;
      const unit = 10n ** BigInt(market.baseDecimals);
      // ~0.01 base unit per quote level, in lots (at least one lot).
      const quoteLots = unit / 100n / lot > 0n ? unit / 100n / lot : 1n;
      for (let m = 0; m < MAKERS; m++) {
        for (let level = 1n; level <= 2n; level++) {
          const spread = level * 5n * tick;
          const amount = quoteLots * lot * BigInt(1 + Math.floor(rand() * 3));
          round.push(
            send(clients[m]!, {
              marketId: market.marketId,
              side: "buy",
              price: mid - spread,
              amount,
              postOnly: true,
            }),
          );
          round.push(
            send(clients[m]!, {
              marketId: market.marketId,
              side: "sell",
              price: mid + spread,
              amount,
              postOnly: true,
            }),
          );
        }
      }
      for (let t = MAKERS; t < clients.length; t++) {
        if (rand() < 0.5) continue;
        const buy = rand() < 0.5;
        const amount = quoteLots * lot * BigInt(1 + Math.floor(rand() * 2));
        // A market order: IOC with a protective limit 1% through the mid.
        const limit = buy ? mid + mid / 100n : mid - mid / 100n;
        round.push(
          send(clients[t]!, {
            marketId: market.marketId,
            side: buy ? "buy" : "sell",
            price: limit - (limit % tick),
            amount,
            ioc: true,
          }),
        );
      }
    }
    await Promise.all(round);
    await new Promise((r) => setTimeout(r, 150));
  }
}
