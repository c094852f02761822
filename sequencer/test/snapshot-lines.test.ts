import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { JournalError } from "../src/journal/journal-error.js";
import { readLines, writeLines } from "../src/journal/snapshot-lines.js";
import { readSnapshot, writeSnapshot } from "../src/journal/snapshot-store.js";
import { snapshotName } from "../src/journal/segment-files.js";
import { SeededRandom } from "./support/seeded-random.js";
import { tempDirs } from "./support/temp-dirs.js";

const tempDir = tempDirs("snapshot-lines");

/** Integer in [lo, hi]. */
const int = (rng: SeededRandom, lo: number, hi: number) => lo + rng.below(hi - lo + 1);

/** A random JSON-ish value: long arrays at any depth, inside each other and side by side. */
function randomValue(rng: SeededRandom, depth: number): unknown {
  const pick = int(rng, 0, depth > 2 ? 4 : 8);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return int(rng, -1e9, 1e9) / 7;
    case 2:
      return ["", "line\nbreak", 'quote"', "ünïcödé ✓", "\u0000nul", "0x" + "ab".repeat(32)][
        int(rng, 0, 5)
      ];
    case 3:
      return int(rng, 0, 1) === 1;
    case 4:
      return int(rng, 0, 1e6);
    case 5:
    case 6: {
      // Short and long arrays (the writer splits those over 64 elements).
      const n = [0, 1, 3, 64, 65, 200][int(rng, 0, 5)]!;
      return Array.from({ length: n }, () => randomValue(rng, depth + 1));
    }
    default: {
      const o: Record<string, unknown> = {};
      for (let k = int(rng, 0, 5); k > 0; k--)
        o[`k${int(rng, 0, 9)}`] = randomValue(rng, depth + 1);
      if (int(rng, 0, 3) === 0) o["skipped"] = undefined;
      if (int(rng, 0, 3) === 0) o["7"] = "integer-like key";
      return o;
    }
  }
}

describe("snapshot lines", () => {
  it("reads back what JSON would, for values with long arrays anywhere", () => {
    const dir = tempDir();
    const rng = new SeededRandom(11);
    for (let i = 0; i < 200; i++) {
      const value = randomValue(rng, 0);
      const path = join(dir, `v${i}`);
      writeLines(path, value);
      expect(readLines(path)).toEqual(JSON.parse(JSON.stringify(value) ?? "null"));
    }
  });

  it("keeps every line short when the value is made of many small parts", () => {
    const dir = tempDir();
    const orders = Array.from({ length: 20_000 }, (_, i) => [
      `0x${i.toString(16).padStart(64, "0")}`,
      { status: "open", fills: Array.from({ length: i % 3 === 0 ? 100 : 2 }, (_, j) => j) },
    ]);
    const accountOrders = [["0xabc", orders.map((o) => o[0])]];
    // 100 accounts of 200 order hashes each: elements of about 13,600 characters.
    const byAccount = Array.from({ length: 100 }, (_, a) => [
      `0x${a.toString(16)}`,
      orders.slice(a * 200, (a + 1) * 200).map((o) => o[0]),
    ]);
    const value = { seq: 1, engine: { state: { orders, accountOrders, byAccount } } };
    // Elements are lines of their own up to maxLine characters, and taken apart past it.
    for (const maxLine of [undefined, 1_000]) {
      const path = join(dir, `big-${maxLine}`);
      writeLines(path, value, maxLine);
      const lines = readFileSync(path, "utf8").split("\n");
      const longest = lines.reduce((m, l) => Math.max(m, l.length), 0);
      if (maxLine === undefined) {
        expect(lines.length).toBeGreaterThan(40_000);
        expect(longest).toBeGreaterThan(13_000);
        expect(longest).toBeLessThan(14_000);
      } else {
        expect(lines.length).toBeGreaterThan(60_000);
        expect(longest).toBeLessThan(1_000);
      }
      expect(readLines(path)).toEqual(value);
    }
  });

  it("reads a line longer than its read buffer (4 MiB) in one piece", () => {
    const dir = tempDir();
    const value = { long: "x".repeat(9 << 20), after: Array.from({ length: 100 }, (_, i) => i) };
    const path = join(dir, "long");
    writeLines(path, value);
    expect(readLines(path)).toEqual(value);
  });

  it("refuses a file with any byte changed, cut short or lengthened", () => {
    const dir = tempDir();
    const value = { seq: 9, engine: { list: Array.from({ length: 300 }, (_, i) => ({ i })) } };
    writeSnapshot(dir, value);
    const name = snapshotName(9);
    const good = readFileSync(join(dir, name));
    expect(readSnapshot(dir, name)).toEqual(value);
    const rng = new SeededRandom(5);
    const damaged: Buffer[] = [
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.from("{}\n")]),
    ];
    for (let k = 0; k < 40; k++) {
      const bad = Buffer.from(good);
      bad[int(rng, 0, bad.length - 1)]! ^= 1 << int(rng, 0, 7);
      damaged.push(bad);
    }
    for (const bad of damaged) {
      writeFileSync(join(dir, name), bad);
      let error: unknown;
      try {
        readSnapshot(dir, name);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(JournalError);
      expect((error as JournalError).code).toBe("SNAPSHOT_CORRUPT");
    }
  });

  it("still reads snapshots of the earlier single-string format", () => {
    const dir = tempDir();
    const value = { seq: 3, engine: { list: Array.from({ length: 300 }, (_, i) => i) } };
    const body = JSON.stringify(value);
    const name = snapshotName(3);
    writeFileSync(join(dir, name), `${crc32(body).toString(16).padStart(8, "0")}\n${body}`);
    expect(readSnapshot(dir, name)).toEqual(value);
    writeFileSync(join(dir, name), `00000000\n${body}`);
    expect(() => readSnapshot(dir, name)).toThrow(/fails its checksum/);
  });
});
