import { describe, expect, it } from "vitest";
import { SnapshotSchedule } from "../src/runtime/snapshot-schedule.js";

describe("SnapshotSchedule", () => {
  it("is due SNAPSHOT_EVERY records after the snapshot it started from", () => {
    const s = new SnapshotSchedule(100, 10, 250);
    const clock = () => 0;
    expect(s.due(349, clock)).toBe(false);
    expect(s.due(350, clock)).toBe(true);
    expect(s.dueSeq).toBe(350);
  });

  it("waits d * (100 / p - 1) after a snapshot that kept its thread busy for d", () => {
    const s = new SnapshotSchedule(100, 10, 0);
    // A 2 s snapshot that ended at t = 5 s, record 130: due at record 230, not before t = 23 s.
    expect(s.ended(130, 5_000, 2_000)).toBe(18_000);
    expect(s.dueSeq).toBe(230);
    expect(s.due(229, () => 60_000)).toBe(false);
    expect(s.due(10_000, () => 22_999)).toBe(false);
    expect(s.due(10_000, () => 23_000)).toBe(true);
    // At 25% the wait is three times the busy time; at 100% there is none.
    expect(new SnapshotSchedule(100, 25, 0).ended(0, 0, 2_000)).toBe(6_000);
    const off = new SnapshotSchedule(100, 100, 0);
    expect(off.ended(130, 5_000, 2_000)).toBe(0);
    expect(off.due(230, () => 5_000)).toBe(true);
  });

  it("reads the clock only once enough records have come", () => {
    const s = new SnapshotSchedule(100, 10, 0);
    let reads = 0;
    const clock = () => (reads++, 0);
    for (let seq = 0; seq < 100; seq++) s.due(seq, clock);
    expect(reads).toBe(0);
    expect(s.due(100, clock)).toBe(true);
    expect(reads).toBe(1);
  });

  it("refuses a share outside (0, 100]", () => {
    expect(() => new SnapshotSchedule(100, 0, 0)).toThrow(RangeError);
    expect(() => new SnapshotSchedule(100, 101, 0)).toThrow(RangeError);
  });
});
