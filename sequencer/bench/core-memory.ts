/**
 * `npm run bench:core-memory`: heap the exchange core retains per accepted order, with the order
 * mix of `npm run bench:intake` (80% resting around 2500 USDC, 20% crossing the spread; about
 * 0.48 fills per order, nothing settled). What the service keeps in memory per order sets how
 * much its young-generation collections copy and how long its full collections mark, which is
 * where the intake's latency tail comes from (`docs/service.md`).
 *
 * Method: a warm-up of N orders, a full GC, N more orders, a full GC; retained = heap growth over
 * the second N, median of RUNS fresh cores. Figures go to stdout and bench/results/core-memory.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import type { Address } from "viem";
import { ExchangeCore } from "../src/service/exchange-core.js";
import { chainRecords, initRecord, orderRecord, USDC, WETH } from "../test/helpers/core-records.js";
import { median } from "./stats.js";

const N = Number(process.env.BENCH_ORDERS ?? 50_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PRICE = 2_500_000_000n;
const TICK = 10_000n;
const LOT = 10n ** 15n;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc (npm run bench:core-memory does)");

function measure(): { bytesPerOrder: number; fillsPerOrder: number } {
  const core = new ExchangeCore({ engineCapacity: 4 * N });
  const { chain, market } = chainRecords();
  core.apply(initRecord());
  core.apply(market());
  const traders = Array.from(
    { length: 32 },
    (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}` as Address,
  );
  for (const account of traders) {
    core.apply(chain("Deposited", { account, token: WETH, amount: 10n ** 30n }));
    core.apply(chain("Deposited", { account, token: USDC, amount: 10n ** 30n }));
  }
  let fills = 0;
  let before = 0;
  for (let i = 0; i < 2 * N; i++) {
    if (i === N) {
      gc!();
      before = process.memoryUsage().heapUsed;
      fills = 0;
    }
    // The intake bench's order i: even traders buy, odd sell; i % 10 in {4, 9} crosses.
    const side = i % 2;
    const ticks = i % 10 === 4 || i % 10 === 9 ? -60n : BigInt(1 + ((i * 7) % 50));
    const price = side === 0 ? PRICE - ticks * TICK : PRICE + ticks * TICK;
    const trader = traders[(i % 16) * 2 + side]!;
    const result = core.apply(orderRecord(i + 1, trader, side, price, LOT * BigInt(1 + (i % 5))));
    if (result.error) throw result.error;
    fills += result.fills?.length ?? 0;
  }
  gc!();
  const after = process.memoryUsage().heapUsed;
  // The core must stay reachable until measured, or the collection above frees all of it.
  if (core.matchedCount === 0) throw new Error("no fills matched");
  return { bytesPerOrder: Math.round((after - before) / N), fillsPerOrder: fills / N };
}

const runs = Array.from({ length: RUNS }, measure);
const report = {
  orders: N,
  runs: RUNS,
  fillsPerOrder: runs[0]!.fillsPerOrder,
  bytesPerOrder: median(runs.map((r) => r.bytesPerOrder)),
  bytesPerOrderRuns: runs.map((r) => r.bytesPerOrder),
};
console.log(
  `exchange core: ${report.bytesPerOrder} B retained per order (median of ${RUNS}; ` +
    `${report.fillsPerOrder.toFixed(2)} fills per order, ${N.toLocaleString()} orders)`,
);
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/core-memory.json", JSON.stringify(report, null, 2) + "\n");
console.log("written to bench/results/core-memory.json");
