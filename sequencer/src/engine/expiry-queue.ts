import { prefault } from "./order-pool.js";

/**
 * Min-heap of accepted orders by (expiry, seq), in parallel typed arrays (no object per entry,
 * nothing for the garbage collector to trace). Every accepted order with a finite expiry enters
 * once; the engine pops entries (order slots) whose expiry has passed to expire resting orders
 * and to forget closed ones (an expired order can never be accepted again, so its hash need not
 * be remembered for duplicate detection any longer). Ties are broken by seq, so pops come in one
 * order whatever the heap's internal layout.
 */
export class ExpiryQueue {
  private expiry: Float64Array;
  private seq: Float64Array;
  private slot: Int32Array;
  private n = 0;

  constructor(capacity = 1024) {
    this.expiry = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.slot = new Int32Array(capacity);
    prefault([this.expiry, this.seq, this.slot]);
  }

  get size(): number {
    return this.n;
  }

  push(expiry: number, seq: number, slot: number): void {
    if (this.n === this.expiry.length) this.grow();
    const e = this.expiry;
    const s = this.seq;
    const h = this.slot;
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pe = e[parent]!;
      if (pe < expiry || (pe === expiry && s[parent]! < seq)) break;
      e[i] = pe;
      s[i] = s[parent]!;
      h[i] = h[parent]!;
      i = parent;
    }
    e[i] = expiry;
    s[i] = seq;
    h[i] = slot;
  }

  /** Expiry of the earliest entry, Infinity if empty. */
  peekExpiry(): number {
    return this.n === 0 ? Infinity : this.expiry[0]!;
  }

  /** Remove the earliest entry and return its slot (caller checks peekExpiry first). */
  pop(): number {
    const e = this.expiry;
    const s = this.seq;
    const h = this.slot;
    const top = h[0]!;
    const n = --this.n;
    if (n === 0) return top;
    const lastE = e[n]!;
    const lastS = s[n]!;
    const lastH = h[n]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (
        right < n &&
        (e[right]! < e[child]! || (e[right] === e[child] && s[right]! < s[child]!))
      ) {
        child = right;
      }
      if (lastE < e[child]! || (lastE === e[child] && lastS < s[child]!)) break;
      e[i] = e[child]!;
      s[i] = s[child]!;
      h[i] = h[child]!;
      i = child;
    }
    e[i] = lastE;
    s[i] = lastS;
    h[i] = lastH;
    return top;
  }

  /** Entries as [expiry, seq, slot], in no particular order (for snapshots). */
  entries(): Array<[number, number, number]> {
    const out: Array<[number, number, number]> = [];
    for (let i = 0; i < this.n; i++) out.push([this.expiry[i]!, this.seq[i]!, this.slot[i]!]);
    return out;
  }

  private grow(): void {
    const n = this.expiry.length * 2;
    const expiry = new Float64Array(n);
    expiry.set(this.expiry);
    this.expiry = expiry;
    const seq = new Float64Array(n);
    seq.set(this.seq);
    this.seq = seq;
    const slot = new Int32Array(n);
    slot.set(this.slot);
    this.slot = slot;
  }
}
