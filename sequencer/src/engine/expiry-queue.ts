/**
 * Min-heap of accepted orders by (expiry, seq), in parallel arrays (no object per entry).
 * Every accepted order with a finite expiry enters once; the engine pops entries whose expiry has
 * passed to expire resting orders and to forget closed ones (an expired order can never be
 * accepted again, so its hash need not be remembered for duplicate detection any longer).
 * Ties are broken by seq, so pops come in one order whatever the heap's internal layout.
 */
export class ExpiryQueue {
  private expiry: number[] = [];
  private seq: number[] = [];
  private hash: string[] = [];

  get size(): number {
    return this.expiry.length;
  }

  push(expiry: number, seq: number, hash: string): void {
    const e = this.expiry;
    const s = this.seq;
    const h = this.hash;
    let i = e.length;
    e.push(expiry);
    s.push(seq);
    h.push(hash);
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
    h[i] = hash;
  }

  /** Expiry of the earliest entry, Infinity if empty. */
  peekExpiry(): number {
    return this.expiry.length === 0 ? Infinity : this.expiry[0]!;
  }

  /** Remove the earliest entry and return its hash (caller checks peekExpiry first). */
  pop(): string {
    const e = this.expiry;
    const s = this.seq;
    const h = this.hash;
    const top = h[0]!;
    const lastE = e.pop()!;
    const lastS = s.pop()!;
    const lastH = h.pop()!;
    const n = e.length;
    if (n === 0) return top;
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

  /** Entries as [expiry, seq, hash], in no particular order (for snapshots). */
  entries(): Array<[number, number, string]> {
    return this.expiry.map((x, i) => [x, this.seq[i]!, this.hash[i]!]);
  }
}
