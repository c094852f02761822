/**
 * When the next periodic snapshot is due: SNAPSHOT_EVERY records after the previous one ended,
 * and no sooner than SNAPSHOT_BUSY_PERCENT allows after the time the previous one kept its thread
 * busy.
 *
 * Why the second rule: the core keeps every order and fill it has seen, so a snapshot costs time
 * in proportion to the whole history (27 us of CPU per order on the slow machines,
 * `npm run bench:core-memory`: 2.7 s at 100,000 orders), while records arrive at a steady rate.
 * By records alone, a service with a long history snapshots back to back: at 10,000 orders/s and
 * 500,000 orders kept, a snapshot every second that takes 13 s, one core always busy with
 * snapshots on a two-core machine, beside the signature workers, the journal and the main
 * thread. With the rule, a snapshot that kept its thread busy for d waits d * (100 / p - 1)
 * after it before the next may start (p = 25, the default: 3 d, so snapshots take at most a
 * quarter of one core). The price is the journal tail a restart replays, which then grows with
 * the history too: service records replay at about 23 us each on the slow machines (read,
 * decode, apply), so at 10,000 orders/s and 500,000 kept the tail is up to about 3 s *
 * (100 / p - 1) of replay: 9 s at 25, 28 s at 10.
 */
export class SnapshotSchedule {
  #dueSeq: number;
  #notBeforeMs = -Infinity;

  constructor(
    private readonly every: number,
    private readonly busyPercent: number,
    snapshotSeq: number,
  ) {
    if (!(busyPercent > 0 && busyPercent <= 100)) throw new RangeError("busyPercent in (0, 100]");
    this.#dueSeq = snapshotSeq + every;
  }

  /** Is a snapshot due at record `seq`? `nowMs` is only read once enough records have come. */
  due(seq: number, nowMs: () => number): boolean {
    return seq >= this.#dueSeq && nowMs() >= this.#notBeforeMs;
  }

  /**
   * A snapshot (or an attempt that failed) ended at record `seq`, at `nowMs`, having kept its
   * thread busy for `busyMs`. Returns how long the next one must wait after now (ms).
   */
  ended(seq: number, nowMs: number, busyMs: number): number {
    this.#dueSeq = seq + this.every;
    const waitMs = Math.max(0, busyMs) * (100 / this.busyPercent - 1);
    this.#notBeforeMs = nowMs + waitMs;
    return waitMs;
  }

  /** The first record at which the next snapshot may be taken. */
  get dueSeq(): number {
    return this.#dueSeq;
  }
}
