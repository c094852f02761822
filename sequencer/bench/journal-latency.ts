/**
 * `npm run bench:journal`: acknowledgement latency of durable journal appends (append to
 * on-disk), with segment preallocation off and on (`preallocateBytes` 0 and the default), on an
 * idle machine and with CPU burners keeping both cores busy, the condition the sequencer runs in
 * at load. Appends are paced (BENCH_APPENDS_PER_MS every millisecond, default 4: about 3,000
 * records/s once timers slip, like the intake at half load) for BENCH_SECONDS (default 4) per
 * run; the two settings alternate for BENCH_RUNS rounds (default 3) so drift on this noisy
 * machine hits both alike. The engine's order records are the payload. Figures go to stdout and
 * bench/results/journal.json.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PREALLOCATE_BYTES } from "../src/journal/journal-writer.js";
import type { JournalLogger } from "../src/journal/journal-error.js";
import { recover } from "./lib/engine-journal.js";
import { benchMix, generateStream } from "./order-stream.js";
import { median, percentile } from "./stats.js";

const PER_MS = Number(process.env.BENCH_APPENDS_PER_MS ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BURNERS = Number(process.env.BENCH_BURNERS ?? 3);
const quiet: JournalLogger = { warn: () => undefined, info: () => undefined };
const { inputs } = generateStream({ ops: 50_000, seed: 1, mix: benchMix });

interface Run {
  records: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

async function run(preallocateBytes: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "clearmatch-bench-journal-"));
  try {
    const { journal } = recover({ dir, log: quiet, preallocateBytes });
    const latencies: number[] = [];
    let next = 0;
    const start = performance.now();
    await new Promise<void>((done) => {
      const tick = setInterval(() => {
        for (let k = 0; k < PER_MS; k++) {
          const sent = performance.now();
          void journal
            .append(inputs[next++ % inputs.length]!)
            .then(() => latencies.push(performance.now() - sent));
        }
        if (performance.now() - start > SECONDS * 1000) {
          clearInterval(tick);
          done();
        }
      }, 1);
    });
    await journal.close();
    latencies.sort((a, b) => a - b);
    const ms = (q: number) => Math.round(percentile(latencies, q) * 100) / 100;
    return {
      records: latencies.length,
      p50: ms(0.5),
      p99: ms(0.99),
      p999: ms(0.999),
      max: Math.round(latencies.at(-1)! * 10) / 10,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Processes spinning on a core each, until killed. */
function burn(n: number): ChildProcess[] {
  return Array.from({ length: n }, () =>
    spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }),
  );
}

const settings = [
  { name: "no preallocation", bytes: 0 },
  {
    name: `preallocated (${DEFAULT_PREALLOCATE_BYTES >> 20} MiB ahead)`,
    bytes: DEFAULT_PREALLOCATE_BYTES,
  },
];
const report: Record<string, Record<string, unknown>> = {};
for (const condition of ["idle", `${BURNERS} CPU burners`]) {
  const burners = condition === "idle" ? [] : burn(BURNERS);
  try {
    const runs = new Map<string, Run[]>(settings.map((s) => [s.name, []]));
    for (let round = 0; round < RUNS; round++) {
      for (const s of settings) {
        const r = await run(s.bytes);
        runs.get(s.name)!.push(r);
        console.log(
          `${condition}, ${s.name}: ${r.records} appends, p50 ${r.p50} ms, p99 ${r.p99} ms, p99.9 ${r.p999} ms, max ${r.max} ms`,
        );
      }
    }
    report[condition] = Object.fromEntries(
      settings.map((s) => {
        const rs = runs.get(s.name)!;
        return [
          s.name,
          {
            p50Ms: median(rs.map((r) => r.p50)),
            p99Ms: median(rs.map((r) => r.p99)),
            p999Ms: median(rs.map((r) => r.p999)),
            runs: rs,
          },
        ];
      }),
    );
  } finally {
    for (const b of burners) b.kill("SIGKILL");
  }
}
console.table(
  Object.fromEntries(
    Object.entries(report).flatMap(([condition, bySetting]) =>
      Object.entries(bySetting).map(([name, f]) => {
        const { p50Ms, p99Ms, p999Ms } = f as Record<string, number>;
        return [`${condition}, ${name}`, { "p50 ms": p50Ms, "p99 ms": p99Ms, "p99.9 ms": p999Ms }];
      }),
    ),
  ),
);
mkdirSync("bench/results", { recursive: true });
writeFileSync(
  "bench/results/journal.json",
  `${JSON.stringify(
    {
      benchmark: "durable journal append latency (append to on disk), medians of runs",
      settings: { appendsPerMs: PER_MS, seconds: SECONDS, runs: RUNS, burners: BURNERS },
      results: report,
      machine: { node: process.version, cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length },
      date: new Date().toISOString(),
    },
    null,
    2,
  )}\n`,
);
console.log("written to bench/results/journal.json");
