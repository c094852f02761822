/**
 * `npm run bench:engine`: this engine against nodejs-order-book on one seeded stream (70% limit
 * orders, 20% cancels of live orders, 10% market orders), then the journal's durable append
 * throughput and its replay speed. Not a test: figures go to stdout and bench/results/engine.json.
 *
 * Method: the stream is generated up front; each engine warms up on its first fifth, then gets 5
 * timed runs on fresh books, alternating engines (median reported). Latency and peak heap come
 * from a separate pass that times each operation with hrtime (its own cost, measured, is
 * included in the figures). Trade checksums come from another untimed pass. BENCH_OPS scales the
 * stream (default 1,000,000).
 *
 * The peer runs on the same stream (BENCH_PEER_OPS limits it to a prefix, default the whole
 * stream) with BENCH_PEER_RUNS timed runs (default 5); the speedup compares both engines on that
 * same stream in one time window (this engine also gets RUNS runs of it, alternating with the
 * peer's), and the trade checksums compare its trades. The peer slows as its book grows (so a
 * prefix gives a smaller ratio than the whole stream); it takes most of this benchmark's time. /proc/loadavg is
 * printed before and after, since the machine is shared.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MatchingEngine } from "../src/engine/matching-engine.js";
import type { EngineEvent, EngineInput } from "../src/engine/types.js";
import { recover } from "./lib/engine-journal.js";
import type { JournalLogger } from "../src/journal/journal-error.js";
import { benchMix, generateStream, streamMarket, type OpKind } from "./order-stream.js";
import { PeerBook, toPeerOps, type PeerOp } from "./peer-adapter.js";
import { median, percentile } from "./stats.js";

const OPS = Number(process.env.BENCH_OPS ?? 1_000_000);
const RUNS = 5;
const PEER_OPS = Number(process.env.BENCH_PEER_OPS ?? OPS);
const PEER_RUNS = Number(process.env.BENCH_PEER_RUNS ?? 5);
const SEED = 42;
/** Replay runs, each a fresh process (a restart). */
const REPLAY_RUNS = Number(process.env.BENCH_REPLAY_RUNS ?? 5);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const quiet: JournalLogger = { warn: () => undefined, info: () => undefined };

interface EngineFigures {
  opsPerSec: number;
  runsOpsPerSec: number[];
  latencyNs: Record<string, { p50: number; p99: number; p999: number; count: number }>;
  peakHeapMB: number;
  trades: number;
  tradesChecksum: string;
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  console.log(`loadavg ${loadBefore}`);
  console.log(`generating ${OPS.toLocaleString()} operations (seed ${SEED})...`);
  const { inputs, kinds } = generateStream({ ops: OPS, seed: SEED, mix: benchMix });
  const ops = inputs.slice(1); // the first input registers the market
  const opKinds = kinds.slice(1);
  const prefix = ops.slice(0, Math.min(PEER_OPS, ops.length));
  const peerOps = toPeerOps(prefix);
  const mix = countKinds(opKinds);
  console.log(`mix: ${JSON.stringify(mix)}`);

  const ours = makeOurs(inputs[0]!, ops.length);
  const peer = makePeer();

  // Warm-up: let both JITs settle on the first fifth of the stream.
  ours.run(ops.slice(0, ops.length / 5));
  peer.run(peerOps.slice(0, peerOps.length / 5));

  const oursRuns: number[] = [];
  const objectRuns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    oursRuns.push(ours.run(ops));
    objectRuns.push(ours.objects(ops));
    console.log(
      `run ${r + 1}: clearmatch ${fmt(oursRuns[r]!)} ops/s packed, ${fmt(objectRuns[r]!)} ops/s ` +
        `with event objects (${fmt(ops.length)} ops)`,
    );
  }
  // Same prefix for both, alternating, so the ratio compares like with like in one time window.
  const oursPrefixRuns: number[] = [];
  const objectPrefixRuns: number[] = [];
  const peerRuns: number[] = [];
  for (let r = 0; r < Math.max(RUNS, PEER_RUNS); r++) {
    if (r < RUNS) oursPrefixRuns.push(ours.run(prefix));
    if (r < RUNS) objectPrefixRuns.push(ours.objects(prefix));
    if (r < PEER_RUNS) peerRuns.push(peer.run(peerOps));
    console.log(
      `peer-stream run ${r + 1} (${fmt(prefix.length)} ops): clearmatch ${fmt(oursPrefixRuns[r] ?? NaN)} ops/s ` +
        `packed, ${fmt(objectPrefixRuns[r] ?? NaN)} with event objects, ` +
        `nodejs-order-book ${fmt(peerRuns[r] ?? NaN)} ops/s`,
    );
  }

  const oursTimed = ours.timed(ops);
  const peerTimed = peer.timed(peerOps);
  const oursLat = latency(opKinds, oursTimed.ns);
  const peerLat = latency(opKinds, peerTimed.ns);
  const oursMem = oursTimed.peakHeapMB;
  const peerMem = peerTimed.peakHeapMB;
  const oursTrades = ours.trades(prefix);
  const peerTrades = peer.trades(peerOps);
  const agreement = compareTrades(oursTrades, peerTrades);

  const figures: Record<string, EngineFigures> = {
    clearmatch: figuresOf(oursRuns, oursLat, oursMem, oursTrades),
    "nodejs-order-book": figuresOf(peerRuns, peerLat, peerMem, peerTrades),
  };
  const ratio = median(oursPrefixRuns) / figures["nodejs-order-book"]!.opsPerSec;
  const objectsRatio = median(objectPrefixRuns) / figures["nodejs-order-book"]!.opsPerSec;

  const journal = await benchJournal(inputs);
  const timerNs = timerOverhead();

  const report = {
    date: new Date().toISOString(),
    node: process.version,
    ops: ops.length,
    peerOps: prefix.length,
    peerRuns: PEER_RUNS,
    method:
      `clearmatch: ${RUNS} runs of ${ops.length} ops (median), packed output (applyPacked), and as ` +
      `many with event objects (apply); engine sized for the stream (initialCapacity); ` +
      `speedup: both engines on the first ` +
      `${prefix.length} ops (clearmatch ${RUNS} runs, nodejs-order-book ${PEER_RUNS}, medians); ` +
      `peer latency, heap and both trade checksums over that prefix`,
    loadavgBefore: loadBefore,
    loadavgAfter: "",
    clearmatchPrefixOpsPerSec: median(oursPrefixRuns),
    /** The same engine through `apply`: every event also converted to an object (bigint atoms). */
    clearmatchObjects: {
      opsPerSec: median(objectRuns),
      runsOpsPerSec: objectRuns,
      prefixOpsPerSec: median(objectPrefixRuns),
      speedup: objectsRatio,
    },
    mix,
    seed: SEED,
    runs: RUNS,
    timerOverheadNs: timerNs,
    engines: figures,
    speedup: ratio,
    checksumsAgree: agreement.agree,
    checksumNote: agreement.note,
    journal,
    targets: {
      opsPerSec: { target: 2_000_000, met: figures.clearmatch!.opsPerSec >= 2_000_000 },
      speedup: { target: 20, met: ratio >= 20 },
      p99Us: {
        target: 2,
        met: Object.values(figures.clearmatch!.latencyNs).every((l) => l.p99 < 2_000),
      },
      replayRecordsPerSec: { target: 1_000_000, met: journal.replayRecordsPerSec >= 1_000_000 },
    },
  };
  report.loadavgAfter = loadavg();
  print(report);
  console.log(JSON.stringify(report, null, 2));
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/engine.json", JSON.stringify(report, null, 2) + "\n");
  console.log("\nwritten to bench/results/engine.json");
}

// ---------------------------------------------------------------- the two engines

interface Subject<Op> {
  /** Fresh book, all ops, returns ops/s. */
  run(ops: Op[]): number;
  /**
   * Fresh book, per-op nanoseconds, and peak heap growth over the run in MB (sampled every
   * 10,000 ops after a full GC; the sampling op's latency is left out).
   */
  timed(ops: Op[]): { ns: Float64Array; peakHeapMB: number };
  /** Fresh book, trades as "maker|taker|ticks|lots". */
  trades(ops: Op[]): string[];
}

/**
 * This engine. Timed runs take its packed output (`applyPacked`: events as columns of ticks and
 * lots, nothing allocated per event); `objects` runs take `apply`, which also converts every
 * event to an object with bigint atoms (what the service consumes). Both are reported. The engine
 * is sized for the stream (`initialCapacity`), as a sequencer is configured for its load.
 */
function makeOurs(
  addMarket: EngineInput,
  capacity: number,
): Subject<EngineInput> & {
  objects(ops: EngineInput[]): number;
} {
  const fresh = () => {
    const e = new MatchingEngine({ initialCapacity: capacity });
    e.apply(addMarket);
    return e;
  };
  const tick = streamMarket.tickSize;
  const lot = streamMarket.lotSize;
  return {
    run(ops) {
      const e = fresh();
      gc();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < ops.length; i++) e.applyPacked(ops[i]!);
      return ops.length / (Number(process.hrtime.bigint() - t0) / 1e9);
    },
    objects(ops) {
      const e = fresh();
      gc();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < ops.length; i++) e.apply(ops[i]!);
      return ops.length / (Number(process.hrtime.bigint() - t0) / 1e9);
    },
    timed(ops) {
      const e = fresh();
      return timeEach(ops.length, (i) => {
        e.applyPacked(ops[i]!);
      });
    },
    trades(ops) {
      const e = fresh();
      const trades: string[] = [];
      for (const op of ops) {
        for (const ev of e.apply(op)) {
          if (ev.type === "fill") {
            trades.push(
              `${ev.makerOrderHash}|${ev.takerOrderHash}|${ev.price / tick}|${ev.baseAmount / lot}`,
            );
          }
        }
      }
      return trades;
    },
  };
}

function makePeer(): Subject<PeerOp> {
  return {
    run(ops) {
      const b = new PeerBook();
      gc();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < ops.length; i++) b.apply(ops[i]!);
      return ops.length / (Number(process.hrtime.bigint() - t0) / 1e9);
    },
    timed(ops) {
      const b = new PeerBook();
      return timeEach(ops.length, (i) => b.apply(ops[i]!));
    },
    trades(ops) {
      const b = new PeerBook();
      const trades: string[] = [];
      for (const op of ops) trades.push(...b.applyWithTrades(op));
      return trades;
    },
  };
}

/** Time each of `n` steps with hrtime; sample heap growth every 10,000 steps. */
function timeEach(n: number, step: (i: number) => void): { ns: Float64Array; peakHeapMB: number } {
  const ns = new Float64Array(n);
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    step(i);
    ns[i] = Number(process.hrtime.bigint() - t);
    if (i % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - base);
  }
  peak = Math.max(peak, process.memoryUsage().heapUsed - base);
  return { ns, peakHeapMB: peak / 2 ** 20 };
}

// ---------------------------------------------------------------- journal

async function benchJournal(inputs: EngineInput[]) {
  const dir = mkdtempSync(join(tmpdir(), "clearmatch-bench-journal-"));
  try {
    // Durable appends, 4096 in flight at a time: each promise resolves after its group fsync.
    const { journal } = recover({ dir, log: quiet });
    const burst = 4096;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inputs.length; i += burst) {
      const acks: Array<Promise<number>> = [];
      for (let j = i; j < Math.min(i + burst, inputs.length); j++) {
        acks.push(journal.append(inputs[j]!));
      }
      await Promise.all(acks);
    }
    const appendSec = Number(process.hrtime.bigint() - t0) / 1e9;
    const commits = journal.commits;
    // One at a time: each append waits for its own fsync (the latency floor of an ack).
    const single = 300;
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < single; i++) await journal.append({ type: "expire", time: 0 });
    const singleSec = Number(process.hrtime.bigint() - t1) / 1e9;
    await journal.close();

    // A restart: each run a fresh process (cold code, nothing else on its heap).
    const restarts = Array.from({ length: REPLAY_RUNS }, () => replayInChild(dir, inputs.length));
    const replaySecs = restarts.map((r) => r.seconds);
    const records = restarts[0]!.records;
    // In this process too, for comparison: warm code, but a heap holding the benchmark's inputs.
    const inProcessSecs: number[] = [];
    for (let k = 0; k < 3; k++) {
      gc();
      const t = process.hrtime.bigint();
      const rec = recover({ dir, log: quiet, engineOptions: { initialCapacity: inputs.length } });
      inProcessSecs.push(Number(process.hrtime.bigint() - t) / 1e9);
      await rec.journal.close();
    }
    return {
      records: inputs.length,
      appendRecordsPerSec: inputs.length / appendSec,
      inFlight: burst,
      groupCommits: commits,
      recordsPerCommit: inputs.length / commits,
      sequentialAppendsPerSec: single / singleSec,
      sequentialAckLatencyUs: (singleSec / single) * 1e6,
      replayRecords: records,
      replayRecordsPerSec: records / median(replaySecs),
      replayRunsSec: replaySecs,
      replayInProcessRecordsPerSec: records / median(inProcessSecs),
      replayInProcessRunsSec: inProcessSecs,
      replayNote:
        `recover(): read segment, verify crc32 and sequence, decode, apply to a fresh engine; ` +
        `median of ${REPLAY_RUNS} restarts, each in a fresh process (replay-child.ts); ` +
        `in-process: median of 3 in the benchmark's own process`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One `recover()` of `dir` in a fresh Node process, as a restart does it. */
function replayInChild(dir: string, capacity: number): { records: number; seconds: number } {
  const child = fileURLToPath(new URL("./replay-child.ts", import.meta.url));
  const out = execFileSync(process.execPath, ["--import", "tsx", child, dir, String(capacity)], {
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1)!) as { records: number; seconds: number };
}

// ---------------------------------------------------------------- figures

function latency(kinds: OpKind[], ns: Float64Array) {
  const by = new Map<string, number[]>();
  for (let i = 0; i < ns.length; i++) {
    const k = kinds[i]!;
    let list = by.get(k);
    if (list === undefined) by.set(k, (list = []));
    list.push(ns[i]!);
  }
  by.set("all", Array.from(ns));
  const out: EngineFigures["latencyNs"] = {};
  for (const [k, list] of by) {
    list.sort((a, b) => a - b);
    out[k] = {
      p50: percentile(list, 0.5),
      p99: percentile(list, 0.99),
      p999: percentile(list, 0.999),
      count: list.length,
    };
  }
  return out;
}

function figuresOf(
  runs: number[],
  lat: EngineFigures["latencyNs"],
  peakHeapMB: number,
  trades: string[],
): EngineFigures {
  const h = createHash("sha256");
  for (const t of trades) h.update(t + "\n");
  return {
    opsPerSec: median(runs),
    runsOpsPerSec: runs,
    latencyNs: lat,
    peakHeapMB,
    trades: trades.length,
    tradesChecksum: h.digest("hex"),
  };
}

function compareTrades(a: string[], b: string[]): { agree: boolean; note: string } {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      return {
        agree: false,
        note: `trade ${i} differs: clearmatch ${a[i]} vs nodejs-order-book ${b[i]}`,
      };
    }
  }
  if (a.length !== b.length) {
    return { agree: false, note: `trade counts differ: ${a.length} vs ${b.length}` };
  }
  return { agree: true, note: "identical trade sequences (maker, taker, price, size)" };
}

function countKinds(kinds: OpKind[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const k of kinds) c[k] = (c[k] ?? 0) + 1;
  return c;
}

function timerOverhead(): number {
  const samples: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const t = process.hrtime.bigint();
    samples.push(Number(process.hrtime.bigint() - t));
  }
  return percentile(
    samples.sort((x, y) => x - y),
    0.5,
  );
}

function loadavg(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").trim();
  } catch {
    return "unavailable";
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function print(report: {
  loadavgBefore: string;
  loadavgAfter: string;
  method: string;
  engines: Record<string, EngineFigures>;
  clearmatchObjects: { opsPerSec: number; speedup: number };
  speedup: number;
  checksumsAgree: boolean;
  checksumNote: string;
  timerOverheadNs: number;
  journal: Awaited<ReturnType<typeof benchJournal>>;
  targets: Record<string, { target: number; met: boolean }>;
}): void {
  console.log(`\nmethod: ${report.method}`);
  console.log(`loadavg before ${report.loadavgBefore}; after ${report.loadavgAfter}`);
  for (const [name, f] of Object.entries(report.engines)) {
    console.log(`${name}`);
    console.log(`  throughput  ${fmt(f.opsPerSec)} ops/s (median of ${f.runsOpsPerSec.length})`);
    for (const [kind, l] of Object.entries(f.latencyNs)) {
      console.log(
        `  latency ${kind.padEnd(7)} p50 ${us(l.p50)}  p99 ${us(l.p99)}  p99.9 ${us(l.p999)}  (n=${l.count})`,
      );
    }
    console.log(`  peak heap   ${f.peakHeapMB.toFixed(1)} MB`);
    console.log(`  trades      ${f.trades}  checksum ${f.tradesChecksum.slice(0, 16)}...`);
  }
  console.log(
    `clearmatch with event objects (apply): ${fmt(report.clearmatchObjects.opsPerSec)} ops/s, ` +
      `${report.clearmatchObjects.speedup.toFixed(1)}x the peer on its stream`,
  );
  console.log(
    `\nspeedup ${report.speedup.toFixed(1)}x (same stream, same window); checksums agree: ${report.checksumsAgree} (${report.checksumNote})`,
  );
  console.log(`latency includes the hrtime pair itself: ~${report.timerOverheadNs} ns`);
  const j = report.journal;
  console.log(
    `journal: ${fmt(j.appendRecordsPerSec)} durable appends/s (${j.inFlight} in flight, ` +
      `${j.recordsPerCommit.toFixed(0)} records per fdatasync); one at a time ` +
      `${fmt(j.sequentialAppendsPerSec)}/s (${j.sequentialAckLatencyUs.toFixed(0)} us per ack)`,
  );
  console.log(
    `replay: ${fmt(j.replayRecordsPerSec)} records/s over ${j.replayRecords} records ` +
      `(a restart: median of ${j.replayRunsSec.length} fresh processes); ` +
      `${fmt(j.replayInProcessRecordsPerSec)}/s inside the benchmark's process`,
  );
  console.log(`targets: ${JSON.stringify(report.targets)}`);
}

function us(ns: number): string {
  return `${(ns / 1000).toFixed(2)}us`.padStart(9);
}

await main();
