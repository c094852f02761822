import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fullMix, generateStream } from "../bench/order-stream.js";
import type { EngineInput } from "../src/engine/types.js";
import { JournalError } from "../src/journal/journal-error.js";
import { JournalFollower } from "../src/journal/journal-follower.js";
import { JournalWriter } from "../src/journal/journal-writer.js";
import { engineInputCodec } from "../bench/lib/engine-journal.js";
import { listSegments, segmentName } from "../src/journal/segment-files.js";
import { tempDirs } from "./support/temp-dirs.js";

const tempDir = tempDirs("follower");

const { inputs } = generateStream({ ops: 3_000, seed: 7, mix: fullMix });

/** A writer on a fresh directory (preallocating, as the service's does). */
function openWriter(dir: string, preallocateBytes = 64 << 10): JournalWriter<EngineInput> {
  return JournalWriter.open(dir, segmentName(1), 1, engineInputCodec, { preallocateBytes });
}

async function appendAll(journal: JournalWriter<EngineInput>, from: number, to: number) {
  await Promise.all(inputs.slice(from, to).map((input) => journal.append(input)));
}

/** Everything the follower applies, as [seq, input]. */
function collect(
  follower: JournalFollower<EngineInput>,
  upTo: number,
): Array<[number, EngineInput]> {
  const seen: Array<[number, EngineInput]> = [];
  follower.readTo(upTo, (seq, input) => seen.push([seq, input]));
  return seen;
}

function expected(from: number, to: number): Array<[number, EngineInput]> {
  return inputs.slice(from - 1, to).map((input, i): [number, EngineInput] => [from + i, input]);
}

function journalError(fn: () => void): JournalError {
  try {
    fn();
  } catch (error) {
    if (error instanceof JournalError) return error;
    throw error;
  }
  throw new Error("expected a JournalError");
}

describe("JournalFollower", () => {
  it("reads the durable records in order, across rotations, while the writer goes on", async () => {
    const dir = tempDir();
    const journal = openWriter(dir);
    const follower = new JournalFollower(dir, engineInputCodec, 1);
    const seen: Array<[number, EngineInput]> = [];
    let appended = 0;
    for (const step of [1, 250, 700, 701, 1_500, 2_200, 3_000]) {
      if (step > appended) await appendAll(journal, appended, step);
      appended = Math.max(appended, step);
      if (step % 2 === 0) await journal.rotate();
      // Records past `upTo` are in flight or not written: none of them may be applied.
      const upTo = Math.max(1, step - 5);
      const more = inputs.slice(appended, appended + 40).map((input) => journal.append(input));
      seen.push(...collect(follower, upTo));
      expect(follower.nextSeq).toBe(upTo + 1);
      await Promise.all(more);
      appended += more.length;
    }
    seen.push(...collect(follower, appended));
    await journal.close();
    expect(listSegments(dir).length).toBeGreaterThan(3);
    expect(seen).toEqual(expected(1, appended));
  });

  it("rereads what it buffered past the last record: zeros then are records now", async () => {
    const dir = tempDir();
    // Preallocated zeros right after the records are what a first read buffers.
    const journal = openWriter(dir, 1 << 20);
    await appendAll(journal, 0, 10);
    const follower = new JournalFollower(dir, engineInputCodec, 1);
    expect(collect(follower, 10)).toEqual(expected(1, 10));
    await appendAll(journal, 10, 30);
    expect(collect(follower, 30)).toEqual(expected(11, 30));
    await journal.close();
  });

  it("starts at any record, skipping the ones before it", async () => {
    const dir = tempDir();
    const journal = openWriter(dir);
    await appendAll(journal, 0, 100);
    await journal.rotate();
    await appendAll(journal, 100, 200);
    await journal.close();
    expect(collect(new JournalFollower(dir, engineInputCodec, 42), 60)).toEqual(expected(42, 60));
    expect(collect(new JournalFollower(dir, engineInputCodec, 150), 200)).toEqual(
      expected(150, 200),
    );
  });

  it("refuses a record the journal does not have yet, and goes on once it does", async () => {
    const dir = tempDir();
    const journal = openWriter(dir);
    await appendAll(journal, 0, 20);
    const follower = new JournalFollower(dir, engineInputCodec, 1);
    const seen: Array<[number, EngineInput]> = [];
    const error = journalError(() => follower.readTo(25, (seq, input) => seen.push([seq, input])));
    expect(error.code).toBe("SEQUENCE_GAP");
    expect(error.message).toContain("before record 21");
    expect(seen).toEqual(expected(1, 20));
    expect(follower.nextSeq).toBe(21);
    await appendAll(journal, 20, 25);
    expect(collect(follower, 25)).toEqual(expected(21, 25));
    await journal.close();
  });

  it("reports a damaged record before the one asked for as corrupt", async () => {
    const dir = tempDir();
    const journal = openWriter(dir, 0);
    await appendAll(journal, 0, 50);
    await journal.close();
    const path = join(dir, segmentName(1));
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(path, bytes);
    const error = journalError(() =>
      new JournalFollower(dir, engineInputCodec, 1).readTo(50, () => {}),
    );
    expect(error.code).toBe("CORRUPT_RECORD");
  });

  it("reports a missing segment", async () => {
    const dir = tempDir();
    const journal = JournalWriter.open(dir, segmentName(100), 100, engineInputCodec);
    await appendAll(journal, 0, 10);
    await journal.close();
    const error = journalError(() =>
      new JournalFollower(dir, engineInputCodec, 1).readTo(5, () => {}),
    );
    expect(error.code).toBe("MISSING_SEGMENT");
    expect(collect(new JournalFollower(dir, engineInputCodec, 100), 109)).toEqual(
      inputs.slice(0, 10).map((input, i): [number, EngineInput] => [100 + i, input]),
    );
  });
});
