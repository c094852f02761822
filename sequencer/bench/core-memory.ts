/**
 * `npm run bench:core-memory`: heap the exchange core retains per accepted order, with the order
 * mix of `npm run bench:intake` (80% resting around 2500 USDC, 20% crossing the spread; about
 * 0.48 fills per order, nothing settled). What the service keeps in memory per order sets how
 * much its young-generation collections copy and how long its full collections mark, which is
 * where the intake's latency tail comes from (`docs/service.md`).
 *
 * Method: a warm-up of N orders, a full GC, N more orders, a full GC; retained = heap growth over
 * the second N, median of RUNS fresh cores.
 *
 * Then the same with settlement and quote churn, as a long-running service sees it: every order
 * still resting 2,000 orders later is cancelled, and every 1,000 orders the matched fills are cut,
 * committed and finalized and a clock tick follows. Retained per order, and a snapshot's size,
 * with the service's archive (`HistoryStore`, SQLite in a temporary directory: settled history
 * leaves memory) and with `MemoryHistory` (everything kept, as before retention).
 *
 * Then what writing a snapshot of such a core (2N orders) costs, as the snapshot thread writes it
 * (`writeSnapshot` of `snapshot()`), RUNS times: wall time, CPU time of the whole process (V8's
 * collector helper threads included, which run at normal priority beside a low-priority snapshot
 * thread) and the collector's pauses, young and full. Figures go to stdout and
 * bench/results/core-memory.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver, constants } from "node:perf_hooks";
import type { Address, Hex } from "viem";
import { writeSnapshot } from "../src/journal/snapshot-store.js";
import { ExchangeCore } from "../src/core/exchange-core.js";
import { HistoryStore } from "../src/read/history-store.js";
import { MemoryHistory, type HistoryArchive } from "../src/core/history.js";
import type { ServiceRecord } from "../src/core/service-record.js";
import {
  chainRecords,
  hash,
  initRecord,
  orderRecord,
  T0,
  USDC,
  WETH,
} from "../test/helpers/core-records.js";
import { median } from "./stats.js";

const N = Number(process.env.BENCH_ORDERS ?? 50_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PRICE = 2_500_000_000n;
const TICK = 10_000n;
const LOT = 10n ** 15n;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc (npm run bench:core-memory does)");

/** A core sized for 2N orders with a market and 32 traders funded beyond any need. */
function fundedCore(history?: HistoryArchive) {
  const core = new ExchangeCore({ engineCapacity: 4 * N, ...(history ? { history } : {}) });
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
  /** The intake bench's order i: even traders buy, odd sell; i % 10 in {4, 9} crosses. */
  const intakeOrder = (i: number): ServiceRecord => {
    const side = i % 2;
    const ticks = i % 10 === 4 || i % 10 === 9 ? -60n : BigInt(1 + ((i * 7) % 50));
    const price = side === 0 ? PRICE - ticks * TICK : PRICE + ticks * TICK;
    const trader = traders[(i % 16) * 2 + side]!;
    return orderRecord(i + 1, trader, side, price, LOT * BigInt(1 + (i % 5)));
  };
  return { core, chain, intakeOrder };
}

function measure(): { bytesPerOrder: number; fillsPerOrder: number; core: ExchangeCore } {
  const { core, intakeOrder } = fundedCore();
  let fills = 0;
  let before = 0;
  for (let i = 0; i < 2 * N; i++) {
    if (i === N) {
      gc!();
      before = process.memoryUsage().heapUsed;
      fills = 0;
    }
    const result = core.apply(intakeOrder(i));
    if (result.error) throw result.error;
    fills += result.fills?.length ?? 0;
  }
  gc!();
  const after = process.memoryUsage().heapUsed;
  // The core must stay reachable until measured, or the collection above frees all of it.
  if (core.matchedCount === 0) throw new Error("no fills matched");
  return { bytesPerOrder: Math.round((after - before) / N), fillsPerOrder: fills / N, core };
}

/**
 * Retained heap per order over the second N orders of 2N, with settlement and quote churn (see
 * the header), the snapshot's size at the end and its growth per order over those N.
 */
function measureSettled(history: HistoryArchive): {
  bytesPerOrder: number;
  snapshotBytes: number;
  snapshotBytesPerOrder: number;
} {
  const { core, chain, intakeOrder } = fundedCore(history);
  const apply = (r: ServiceRecord) => {
    const result = core.apply(r);
    if (result.error) throw result.error;
  };
  let before = 0;
  let snapshotBefore = 0;
  let batchId = 1n;
  const snapshotSize = () => Buffer.byteLength(JSON.stringify(core.snapshot()));
  for (let i = 0; i < 2 * N; i++) {
    if (i === N) {
      snapshotBefore = snapshotSize();
      gc!();
      before = process.memoryUsage().heapUsed;
    }
    apply(intakeOrder(i));
    const stale = i + 1 - 2_000;
    if (stale > 0) {
      const o = core.order(hash(stale) as Hex);
      if (o && (o.status === "open" || o.status === "partially_filled")) {
        apply({ kind: "cancel", ms: T0 + i, orderHash: hash(stale), signature: o.signature });
      }
    }
    if ((i + 1) % 1_000 === 0) {
      apply({ kind: "cut", ms: T0 + i, maxFills: 100_000 });
      for (; core.batch(batchId)?.state === "BATCHED"; batchId++) {
        apply(chain("BatchCommitted", { batchId, finalizableAt: 1n }));
        apply(chain("BatchFinalized", { batchId }));
      }
      apply({ kind: "expire", ms: T0 + i });
    }
  }
  gc!();
  const after = process.memoryUsage().heapUsed;
  const snapshotBytes = snapshotSize();
  return {
    bytesPerOrder: Math.round((after - before) / N),
    snapshotBytes,
    snapshotBytesPerOrder: Math.round((snapshotBytes - snapshotBefore) / N),
  };
}

const settledDir = mkdtempSync(join(tmpdir(), "clearmatch-core-memory-history-"));
const settled: Record<"archive" | "memory", Array<ReturnType<typeof measureSettled>>> = {
  archive: [],
  memory: [],
};
try {
  for (let r = 0; r < RUNS; r++) {
    const store = new HistoryStore(join(settledDir, `history-${r}.sqlite`));
    try {
      settled.archive.push(measureSettled(store));
    } finally {
      store.close();
    }
    settled.memory.push(measureSettled(new MemoryHistory()));
  }
} finally {
  rmSync(settledDir, { recursive: true, force: true });
}
const summary = (k: "archive" | "memory") => ({
  bytesPerOrder: median(settled[k].map((x) => x.bytesPerOrder)),
  snapshotBytes: median(settled[k].map((x) => x.snapshotBytes)),
  snapshotBytesPerOrder: median(settled[k].map((x) => x.snapshotBytesPerOrder)),
  runs: settled[k],
});
const settledReport = { archive: summary("archive"), memory: summary("memory") };
// Both prune the core alike (snapshots are the same); they differ in where the pruned entries go.
const settledArchive = settledReport.archive;
console.log(
  `with settlement and churn: ${settledArchive.bytesPerOrder} B retained per order with the ` +
    `settled history archived (HistoryStore), ${settledReport.memory.bytesPerOrder} B with it ` +
    `kept in memory (MemoryHistory, as before retention); snapshot ` +
    `${(settledArchive.snapshotBytes / 2 ** 20).toFixed(1)} MiB after ` +
    `${(2 * N).toLocaleString()} orders, growing ${settledArchive.snapshotBytesPerOrder} B per ` +
    `order (medians of ${RUNS})`,
);

const runs: Array<{ bytesPerOrder: number; fillsPerOrder: number }> = [];
let core: ExchangeCore | undefined;
for (let r = 0; r < RUNS; r++) {
  core = undefined;
  const run = measure();
  runs.push({ bytesPerOrder: run.bytesPerOrder, fillsPerOrder: run.fillsPerOrder });
  core = run.core;
}
console.log(
  `exchange core: ${median(runs.map((r) => r.bytesPerOrder))} B retained per order (median of ` +
    `${RUNS}; ${runs[0]!.fillsPerOrder.toFixed(2)} fills per order, ${N.toLocaleString()} orders)`,
);

/** Every collection's pause since start: start time and duration (ms), and whether full. */
const collections: Array<{ at: number; ms: number; full: boolean }> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    collections.push({
      at: e.startTime,
      ms: e.duration,
      full: kind === constants.NODE_PERFORMANCE_GC_MAJOR,
    });
  }
}).observe({ entryTypes: ["gc"] });
/** Pauses of the collections that started in [from, to], once the observer has them all. */
async function pausesWithin(from: number, to: number) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  const inside = collections.filter((c) => c.at >= from && c.at <= to);
  const sum = (full: boolean) =>
    inside.filter((c) => c.full === full).reduce((a, c) => a + c.ms, 0);
  return { minorMs: sum(false), majorMs: sum(true) };
}

const dir = mkdtempSync(join(tmpdir(), "clearmatch-core-memory-"));
const writes: Array<{ wallMs: number; cpuMs: number; minorMs: number; majorMs: number }> = [];
try {
  for (let r = 0; r < RUNS; r++) {
    gc();
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    writeSnapshot(dir, { seq: r + 1, engine: core!.snapshot() });
    const t1 = performance.now();
    const used = process.cpuUsage(cpu);
    writes.push({
      wallMs: t1 - t0,
      cpuMs: (used.user + used.system) / 1000,
      ...(await pausesWithin(t0, t1)),
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const m = (k: "wallMs" | "cpuMs" | "minorMs" | "majorMs") =>
  Math.round(median(writes.map((x) => x[k])));
const snapshotWrite = {
  orders: 2 * N,
  wallMs: m("wallMs"),
  cpuMs: m("cpuMs"),
  usPerOrder: Math.round((m("cpuMs") * 1000) / (2 * N)),
  minorGcMs: m("minorMs"),
  majorGcMs: m("majorMs"),
  runs: writes,
};
console.log(
  `snapshot write, ${(2 * N).toLocaleString()} orders: ${snapshotWrite.wallMs} ms wall, ` +
    `${snapshotWrite.cpuMs} ms CPU (all threads; ${snapshotWrite.usPerOrder} us per order), GC ` +
    `pauses ${snapshotWrite.minorGcMs} ms young + ${snapshotWrite.majorGcMs} ms full (medians of ${RUNS})`,
);

const report = {
  orders: N,
  runs: RUNS,
  fillsPerOrder: runs[0]!.fillsPerOrder,
  bytesPerOrder: median(runs.map((r) => r.bytesPerOrder)),
  bytesPerOrderRuns: runs.map((r) => r.bytesPerOrder),
  settled: settledReport,
  snapshotWrite,
};
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/core-memory.json", JSON.stringify(report, null, 2) + "\n");
console.log("written to bench/results/core-memory.json");
