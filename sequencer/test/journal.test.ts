import {
  constants,
  copyFileSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { crc32 } from "node:zlib";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fullMix, generateStream } from "../bench/order-stream.js";
import { formatEvent } from "../src/engine/event-format.js";
import { MatchingEngine } from "../src/engine/matching-engine.js";
import type { EngineInput } from "../src/engine/types.js";
import { crc32Range } from "../src/journal/crc32.js";
import {
  decodeInput,
  encodeInput,
  payloadBound,
  reusingInputDecoder,
} from "../bench/lib/input-codec.js";
import { JournalError, type JournalLogger } from "../src/journal/journal-error.js";
import { takeSnapshot } from "../src/journal/recovery.js";
import { recover } from "../bench/lib/engine-journal.js";
import { validRecords } from "./support/journal-frames.js";
import { SeededRandom } from "./support/seeded-random.js";
import { listSegments, listSnapshots } from "../src/journal/segment-files.js";
import { tempDirs } from "./support/temp-dirs.js";

const tempDir = tempDirs("journal");

/** Collects log lines instead of printing them. */
function memoryLog(): JournalLogger & { lines: Array<{ msg: string; details: object }> } {
  const lines: Array<{ msg: string; details: object }> = [];
  return {
    lines,
    warn: (details, msg) => lines.push({ msg, details }),
    info: () => undefined,
  };
}

const { inputs } = generateStream({ ops: 3_000, seed: 7, mix: fullMix, lifetime: 60 });

/** Engine state after applying the first `n` inputs with no journal involved. */
function stateAfter(n: number): ReturnType<MatchingEngine["snapshot"]> {
  const e = new MatchingEngine();
  for (let i = 0; i < n; i++) e.apply(inputs[i]!);
  return e.snapshot();
}

/** Journal `list` through a freshly recovered directory, applying each input as it is appended. */
async function writeJournal(dir: string, list: EngineInput[]): Promise<MatchingEngine> {
  const { engine, journal } = recover({ dir, log: memoryLog() });
  const acks: Array<Promise<number>> = [];
  for (const input of list) {
    engine.apply(input);
    acks.push(journal.append(input));
  }
  await Promise.all(acks);
  await journal.close();
  return engine;
}

describe("journal: crc32", () => {
  it("equals zlib's crc32 on every length up to 700 bytes and every alignment", () => {
    const rng = new SeededRandom(0xc3c3);
    const buf = Buffer.from(rng.bytes(1024));
    for (let len = 0; len <= 700; len++) {
      const start = rng.below(1024 - len);
      expect(crc32Range(buf, start, start + len), `length ${len}`).toBe(
        crc32(buf.subarray(start, start + len)),
      );
    }
  });
});

describe("journal: record codec", () => {
  it("round-trips every kind of input", () => {
    const buf = Buffer.alloc(4096);
    const kinds = new Set<string>();
    for (const input of inputs) {
      kinds.add(input.type);
      const end = encodeInput(input, buf, 3);
      expect(end - 3).toBeLessThanOrEqual(payloadBound(input));
      expect(decodeInput(buf, 3, end)).toEqual(input);
    }
    expect([...kinds].sort()).toEqual(
      ["addMarket", "amend", "cancel", "expire", "invalidateNonces", "place"].sort(),
    );
  });

  it("decodes each trader's own address when thousands of traders share the decoder's cache", () => {
    const buf = Buffer.alloc(256);
    const place = inputs.find((i) => i.type === "place")!;
    if (place.type !== "place") throw new Error("unreachable");
    // 5,000 distinct addresses through a 1,024-entry cache, twice: hits, misses and evictions.
    for (let round = 0; round < 2; round++) {
      for (let t = 0; t < 5_000; t++) {
        const trader = `0x${(t * 2_654_435_761).toString(16).padStart(40, "0")}` as const;
        const input: EngineInput = { ...place, order: { ...place.order, trader } };
        const end = encodeInput(input, buf, 0);
        const decoded = decodeInput(buf, 0, end);
        expect(decoded.type === "place" && decoded.order.trader).toBe(trader);
      }
    }
  });

  it("reads prices, amounts and expiries exactly when thousands of distinct values share the interning cache", () => {
    const buf = Buffer.alloc(256);
    const place = inputs.find((i) => i.type === "place")!;
    if (place.type !== "place") throw new Error("unreachable");
    // 6,000 distinct values below 2^53, up to 2^64 and up to 2^128, through a 4,096-entry cache.
    const values = (k: number) => [
      BigInt(k) * 10_000n + 1n,
      (1n << 63n) + BigInt(k) * 0x1_0000_0001n,
      (1n << 100n) + BigInt(k),
    ];
    for (let round = 0; round < 2; round++) {
      for (let k = 0; k < 6_000; k++) {
        const [price, amount, big] = values(k) as [bigint, bigint, bigint];
        const expiry = amount - BigInt(round);
        const input: EngineInput = {
          ...place,
          order: { ...place.order, price, amount: big, expiry },
        };
        const decoded = decodeInput(buf, 0, encodeInput(input, buf, 0));
        expect(decoded).toEqual(input);
        const swapped: EngineInput = {
          ...place,
          order: { ...place.order, price: amount, amount: price },
        };
        expect(decodeInput(buf, 0, encodeInput(swapped, buf, 0))).toEqual(swapped);
      }
    }
  });

  it("reads every input into one reused object per kind, equal to decodeInput's fresh one", () => {
    const buf = Buffer.alloc(4096);
    const decode = reusingInputDecoder();
    const seen = new Map<string, EngineInput>();
    for (const input of inputs) {
      const end = encodeInput(input, buf, 5);
      const reused = decode(buf, 5, end);
      expect(reused).toEqual(decodeInput(buf, 5, end));
      expect(reused).toEqual(input);
      if (input.type === "place" || input.type === "cancel") {
        const before = seen.get(input.type) ?? reused;
        expect(reused).toBe(before);
        seen.set(input.type, reused);
      }
    }
    expect([...seen.keys()].sort()).toEqual(["cancel", "place"]);
  });

  it("refuses an order hash that is not lowercase hex, without using a sequence number", async () => {
    const dir = tempDir();
    const { journal } = recover({ dir, log: memoryLog() });
    const place = inputs.find((i) => i.type === "place")!;
    const bad = { ...place, orderHash: `0x${"AB".repeat(32)}` };
    await expect(journal.append(bad as EngineInput)).rejects.toMatchObject({
      code: "INVALID_RECORD",
    });
    expect(await journal.append(place)).toBe(1);
    await journal.close();
    await expect(journal.append(place)).rejects.toMatchObject({ code: "CLOSED" });
  });
});

describe("journal: durable append and recovery", () => {
  it("acknowledges consecutive sequence numbers, grouping concurrent appends into few fsyncs", async () => {
    const dir = tempDir();
    const { journal } = recover({ dir, log: memoryLog() });
    const commits: Array<[number, number]> = [];
    journal.onCommit = (records, ms) => commits.push([records, ms]);
    const seqs = await Promise.all(inputs.slice(0, 500).map((i) => journal.append(i)));
    expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(journal.durableSeq).toBe(500);
    expect(journal.commits).toBeLessThan(50);
    // Each durable write is reported once, with the records it carried and its time.
    expect(commits).toHaveLength(journal.commits);
    expect(commits.reduce((n, [records]) => n + records, 0)).toBe(500);
    expect(commits.every(([records, ms]) => records > 0 && ms >= 0 && ms < 10_000)).toBe(true);
    await journal.close();
  });

  it.runIf(process.platform === "linux")(
    "writes segments opened O_DSYNC, so each group commit is one durable write",
    async () => {
      const dir = tempDir();
      const { journal } = recover({ dir, log: memoryLog() });
      await journal.append(inputs[0]!);
      await journal.rotate();
      await journal.append(inputs[1]!);
      // The kernel's own record of how each open segment was opened.
      const flagsOf = (name: string): number[] =>
        readdirSync("/proc/self/fd").flatMap((fd) => {
          try {
            if (readlinkSync(`/proc/self/fd/${fd}`) !== join(dir, name)) return [];
            const info = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
            return [parseInt(/^flags:\s+([0-7]+)/m.exec(info)![1]!, 8)];
          } catch {
            return []; // closed since it was listed
          }
        });
      const [first, second] = listSegments(dir).map((s) => s.name);
      expect(flagsOf(first!)).toEqual([]); // closed by the rotation
      const flags = flagsOf(second!);
      expect(flags).toHaveLength(1);
      expect(flags[0]! & constants.O_DSYNC).toBe(constants.O_DSYNC);
      await journal.close();
      expect(readFileSync(join(dir, second!)).length).toBeGreaterThan(0);
    },
  );

  it("restarts into the state of an uninterrupted run and keeps appending after it", async () => {
    const dir = tempDir();
    await writeJournal(dir, inputs.slice(0, 1_000));
    await writeJournal(dir, inputs.slice(1_000, 2_000));
    const r = recover({ dir, log: memoryLog() });
    expect(r.lastSeq).toBe(2_000);
    expect(r.replayed).toBe(2_000);
    expect(r.engine.snapshot()).toEqual(stateAfter(2_000));
    await r.journal.close();
    // With an observer the inputs are decoded fresh (it may keep them), into the same state.
    const kept: EngineInput[] = [];
    const observed = recover({ dir, log: memoryLog(), onReplay: (_seq, i) => kept.push(i) });
    expect(observed.engine.snapshot()).toEqual(stateAfter(2_000));
    expect(kept).toEqual(inputs.slice(0, 2_000));
    await observed.journal.close();
  });

  it("restores the latest snapshot and replays only the tail, equal to an uninterrupted run", async () => {
    const dir = tempDir();
    const { engine, journal } = recover({ dir, log: memoryLog() });
    const original: string[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const events = engine.apply(inputs[i]!);
      if (i >= 2_000) original.push(...events.map(formatEvent));
      void journal.append(inputs[i]!);
      if (i === 999 || i === 1_999) await takeSnapshot(engine, journal, { dir, keep: 1 });
    }
    await journal.close();
    expect(listSnapshots(dir).map((s) => s.seq)).toEqual([2_000]);
    // Segments wholly before the kept snapshot are gone.
    expect(listSegments(dir).map((s) => s.seq)).toEqual([2_001]);
    const replayedEvents: string[] = [];
    const r = recover({
      dir,
      log: memoryLog(),
      onReplay: (_seq, _input, events) => replayedEvents.push(...events.map(formatEvent)),
    });
    expect([r.snapshotSeq, r.replayed, r.lastSeq]).toEqual([
      2_000,
      inputs.length - 2_000,
      inputs.length,
    ]);
    expect(replayedEvents).toEqual(original);
    expect(r.engine.snapshot()).toEqual(engine.snapshot());
    await r.journal.close();
  });

  it("removes the temporary file of a snapshot write cut short, and recovers the state intact", async () => {
    const dir = tempDir();
    const { engine, journal } = recover({ dir, log: memoryLog() });
    for (let i = 0; i < 1_500; i++) {
      engine.apply(inputs[i]!);
      void journal.append(inputs[i]!);
      if (i === 999) await takeSnapshot(engine, journal, { dir, keep: 2 });
    }
    await journal.close();
    // What a kill -9 during the next snapshot's write leaves: its half-written temporary file.
    const snapshot = listSnapshots(dir)[0]!.name;
    const torn = `snapshot-${String(1_500).padStart(16, "0")}.json.tmp`;
    writeFileSync(join(dir, torn), readFileSync(join(dir, snapshot)).subarray(0, 100));
    writeFileSync(join(dir, "unrelated.tmp"), "kept");
    const log = memoryLog();
    const r = recover({ dir, log });
    expect(readdirSync(dir)).not.toContain(torn);
    expect(readdirSync(dir)).toContain("unrelated.tmp");
    expect(log.lines.some((l) => JSON.stringify(l.details).includes(torn))).toBe(true);
    expect([r.snapshotSeq, r.lastSeq]).toEqual([1_000, 1_500]);
    expect(r.engine.snapshot()).toEqual(engine.snapshot());
    await r.journal.close();
  });

  it("falls back to an older snapshot when the newest fails its checksum", async () => {
    const dir = tempDir();
    const { engine, journal } = recover({ dir, log: memoryLog() });
    for (let i = 0; i < 1_500; i++) {
      engine.apply(inputs[i]!);
      void journal.append(inputs[i]!);
      if (i === 499 || i === 999) await takeSnapshot(engine, journal, { dir, keep: 2 });
    }
    await journal.close();
    const newest = join(dir, listSnapshots(dir).at(-1)!.name);
    const text = readFileSync(newest, "utf8");
    writeFileSync(newest, text.replace('"nextSeq":', '"nextSeq":1'));
    const log = memoryLog();
    const r = recover({ dir, log });
    expect(r.snapshotSeq).toBe(500);
    expect(log.lines[0]!.msg).toMatch(/snapshot unreadable/);
    expect(r.engine.snapshot()).toEqual(engine.snapshot());
    await r.journal.close();
  });
});

describe("journal: preallocated segments", () => {
  /** Journal `list` in bursts (so commits and zero-fills interleave) without closing. */
  async function appendInBursts(
    journal: ReturnType<typeof recover>["journal"],
    engine: MatchingEngine,
    list: EngineInput[],
    burst = 37,
  ): Promise<void> {
    for (let i = 0; i < list.length; i += burst) {
      const acks = list.slice(i, i + burst).map((input) => {
        engine.apply(input);
        return journal.append(input);
      });
      await Promise.all(acks);
    }
  }

  it("keeps zeros written ahead of its records, never over them, and cuts them off when closed", async () => {
    // Small fills, in pieces, and commits of ~8 KB: a commit often lands beyond zeros still on
    // their way (without the wait for them, this test finds records overwritten by zeros).
    for (let round = 0; round < 5; round++) {
      const dir = tempDir();
      const { engine, journal } = recover({ dir, log: memoryLog(), preallocateBytes: 1 << 15 });
      await appendInBursts(journal, engine, inputs, 60);
      const file = join(dir, listSegments(dir)[0]!.name);
      const open = readFileSync(file);
      expect(open.length).toBeGreaterThan(validRecords(open).end);
      await journal.close();
      const closed = readFileSync(file);
      expect(closed.length).toBe(validRecords(open).end);
      expect(open.subarray(0, closed.length).equals(closed)).toBe(true);
      const r = recover({ dir, log: memoryLog() });
      expect(r.lastSeq).toBe(inputs.length);
      expect(r.engine.snapshot()).toEqual(engine.snapshot());
      await r.journal.close();
    }
  });

  it("reads a crashed segment's zeros as its clean end and appends right after its records", async () => {
    const dir = tempDir();
    const { engine, journal } = recover({ dir, log: memoryLog(), preallocateBytes: 1 << 16 });
    await appendInBursts(journal, engine, inputs.slice(0, 1_000));
    const name = listSegments(dir)[0]!.name;
    // The crash: the file as the disk holds it while the writer is still open.
    const crashed = tempDir();
    copyFileSync(join(dir, name), join(crashed, name));
    await journal.close();
    expect(statSync(join(crashed, name)).size).toBeGreaterThan(statSync(join(dir, name)).size);

    const log = memoryLog();
    const r = recover({ dir: crashed, log, preallocateBytes: 1 << 16 });
    expect([r.lastSeq, r.replayed, r.truncatedBytes]).toEqual([1_000, 1_000, 0]);
    expect(log.lines).toEqual([]);
    await appendInBursts(r.journal, r.engine, inputs.slice(1_000, 2_000));
    // Crash again, mid-write this time: the last record is cut short, and zeros follow it.
    const again = readFileSync(join(crashed, name));
    const end = validRecords(again).end;
    again.fill(0, end - 5, end);
    const crashedAgain = tempDir();
    writeFileSync(join(crashedAgain, name), again);
    await r.journal.close();

    const whole = recover({ dir: crashed, log: memoryLog() });
    expect(whole.lastSeq).toBe(2_000);
    expect(whole.engine.snapshot()).toEqual(stateAfter(2_000));
    await whole.journal.close();
    const tornLog = memoryLog();
    const torn = recover({ dir: crashedAgain, log: tornLog });
    expect(torn.lastSeq).toBe(1_999);
    expect(torn.engine.snapshot()).toEqual(stateAfter(1_999));
    expect(tornLog.lines[0]!.msg).toMatch(/torn tail truncated/);
    expect(await torn.journal.append(inputs[1_999]!)).toBe(2_000);
    await torn.journal.close();
  });

  it("cuts a rotated segment back to its records", async () => {
    const dir = tempDir();
    const { engine, journal } = recover({ dir, log: memoryLog(), preallocateBytes: 1 << 16 });
    await appendInBursts(journal, engine, inputs.slice(0, 500));
    const rotation = journal.rotate();
    // Appended while the old segment is being sealed: they open the new one.
    const during = inputs.slice(500, 540).map((input) => {
      engine.apply(input);
      return journal.append(input);
    });
    await rotation;
    expect(await Promise.all(during)).toEqual(Array.from({ length: 40 }, (_, i) => 501 + i));
    await appendInBursts(journal, engine, inputs.slice(540, 900));
    const [sealed, current] = listSegments(dir);
    expect(current!.seq).toBe(501);
    const bytes = readFileSync(join(dir, sealed!.name));
    expect(bytes.length).toBe(validRecords(bytes).end);
    await journal.close();
    const r = recover({ dir, log: memoryLog() });
    expect(r.lastSeq).toBe(900);
    expect(r.engine.snapshot()).toEqual(stateAfter(900));
    await r.journal.close();
  });
});

describe("journal: crash simulation", () => {
  const N = 150;

  it("recovers every earlier record when the last record is cut at any byte", async () => {
    const dir = tempDir();
    await writeJournal(dir, inputs.slice(0, N));
    const file = join(dir, listSegments(dir)[0]!.name);
    const size = statSync(file).size;
    const withoutLast = tempDir();
    await writeJournal(withoutLast, inputs.slice(0, N - 1));
    const lastStart = statSync(join(withoutLast, listSegments(withoutLast)[0]!.name)).size;
    expect(size - lastStart).toBeGreaterThan(20);

    const before = stateAfter(N - 1);
    const crash = tempDir();
    for (let cut = lastStart; cut < size; cut++) {
      const target = join(crash, listSegments(dir)[0]!.name);
      copyFileSync(file, target);
      truncateSync(target, cut);
      const log = memoryLog();
      const r = recover({ dir: crash, log });
      expect(r.lastSeq).toBe(N - 1);
      expect(r.engine.snapshot()).toEqual(before);
      expect(r.truncatedBytes).toBe(cut - lastStart);
      if (cut > lastStart) expect(log.lines[0]!.msg).toMatch(/torn tail truncated/);
      expect(statSync(target).size).toBe(lastStart);
      // The next append reuses the lost record's number.
      expect(await r.journal.append(inputs[N - 1]!)).toBe(N);
      await r.journal.close();
      rmSync(target);
    }
  });

  it("truncates a last record whose bytes were garbled rather than cut", async () => {
    const dir = tempDir();
    await writeJournal(dir, inputs.slice(0, N));
    const file = join(dir, listSegments(dir)[0]!.name);
    const bytes = readFileSync(file);
    bytes[bytes.length - 3]! ^= 0xff;
    writeFileSync(file, bytes);
    const log = memoryLog();
    const r = recover({ dir, log });
    expect(r.lastSeq).toBe(N - 1);
    expect(log.lines[0]!.details).toMatchObject({ problem: "checksum mismatch", lastSeq: N - 1 });
    await r.journal.close();
  });

  it("refuses to start when a record in the middle is corrupt", async () => {
    const dir = tempDir();
    await writeJournal(dir, inputs.slice(0, N));
    const file = join(dir, listSegments(dir)[0]!.name);
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(file, bytes);
    const size = bytes.length;
    let error: unknown;
    try {
      recover({ dir, log: memoryLog() });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JournalError);
    expect(error).toMatchObject({ code: "CORRUPT_RECORD" });
    expect((error as Error).message).toMatch(/valid records follow/);
    // Nothing was cut off.
    expect(statSync(file).size).toBe(size);
  });

  it("refuses to start when a sealed segment is damaged or missing", async () => {
    const dir = tempDir();
    const { engine, journal } = recover({ dir, log: memoryLog() });
    for (let i = 0; i < 300; i++) {
      engine.apply(inputs[i]!);
      void journal.append(inputs[i]!);
      if (i === 99 || i === 199) {
        await journal.rotate();
      }
    }
    await journal.close();
    const segs = listSegments(dir).map((s) => s.name);
    expect(segs).toHaveLength(3);
    const sealed = join(dir, segs[0]!);
    const saved = readFileSync(sealed);
    truncateSync(sealed, saved.length - 5);
    expect(() => recover({ dir, log: memoryLog() })).toThrow(
      expect.objectContaining({ code: "CORRUPT_RECORD" }),
    );
    writeFileSync(sealed, saved);
    rmSync(join(dir, segs[1]!));
    expect(() => recover({ dir, log: memoryLog() })).toThrow(
      expect.objectContaining({ code: "SEQUENCE_GAP" }),
    );
    rmSync(sealed);
    expect(() => recover({ dir, log: memoryLog() })).toThrow(
      expect.objectContaining({ code: "MISSING_SEGMENT" }),
    );
    expect(readdirSync(dir)).toHaveLength(1);
  });
});
