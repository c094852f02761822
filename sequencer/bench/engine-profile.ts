/**
 * Quick engine measurement for profiling (`node --cpu-prof --expose-gc --import tsx
 * sequencer/bench/engine-profile.ts`): this engine alone on the benchmark stream (median of
 * PROFILE_RUNS runs), then the journal replay of the same stream. No peer, no latency pass.
 * BENCH_OPS scales the stream (default 300,000); the engine is sized for it, as in bench:engine.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MatchingEngine } from "../src/engine/matching-engine.js";
import { recover } from "./lib/engine-journal.js";
import type { JournalLogger } from "../src/journal/journal-error.js";
import { benchMix, generateStream } from "./order-stream.js";
import { median } from "./stats.js";

const OPS = Number(process.env.BENCH_OPS ?? 300_000);
const RUNS = Number(process.env.PROFILE_RUNS ?? 7);
/** PROFILE_OBJECTS=1: through `apply` (event objects) instead of `applyPacked`. */
const OBJECTS = process.env.PROFILE_OBJECTS === "1";
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const quiet: JournalLogger = { warn: () => undefined, info: () => undefined };

const { inputs } = generateStream({ ops: OPS, seed: 42, mix: benchMix });
const ops = inputs.slice(1);
const runs: number[] = [];
const cpuRuns: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const e = new MatchingEngine({ initialCapacity: ops.length });
  e.apply(inputs[0]!);
  gc();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  if (OBJECTS) for (let i = 0; i < ops.length; i++) e.apply(ops[i]!);
  else for (let i = 0; i < ops.length; i++) e.applyPacked(ops[i]!);
  runs.push(ops.length / (Number(process.hrtime.bigint() - t0) / 1e9));
  const c = process.cpuUsage(c0);
  cpuRuns.push(ops.length / ((c.user + c.system) / 1e6));
}
console.log(
  `engine ${fmt(median(runs))} ops/s wall, ${fmt(median(cpuRuns))} ops per CPU-second (medians of ${RUNS})`,
);

const dir = mkdtempSync(join(tmpdir(), "clearmatch-profile-"));
try {
  const { journal } = recover({ dir, log: quiet });
  for (let i = 0; i < inputs.length; i += 4096) {
    const acks: Array<Promise<number>> = [];
    for (let j = i; j < Math.min(i + 4096, inputs.length); j++)
      acks.push(journal.append(inputs[j]!));
    await Promise.all(acks);
  }
  await journal.close();
  const replay: number[] = [];
  const replayCpu: number[] = [];
  for (let k = 0; k < Math.max(3, RUNS >> 1); k++) {
    gc();
    const c0 = process.cpuUsage();
    const t = process.hrtime.bigint();
    const rec = recover({ dir, log: quiet });
    replay.push(rec.replayed / (Number(process.hrtime.bigint() - t) / 1e9));
    const c = process.cpuUsage(c0);
    replayCpu.push(rec.replayed / ((c.user + c.system) / 1e6));
    await rec.journal.close();
  }
  console.log(
    `replay ${fmt(median(replay))} records/s wall, ${fmt(median(replayCpu))} per CPU-second (medians)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`loadavg ${readFileSync("/proc/loadavg", "utf8").trim()}`);

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
