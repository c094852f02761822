import { prefault } from "./order-pool.js";

/**
 * Order hash -> pool slot: an open-addressing hash table of 8-byte rows (a 32-bit fingerprint and
 * the slot).
 *
 * Why not a `Map<string, ...>`: with hundreds of thousands of orders, every Map lookup is a chain
 * of dependent cache and TLB misses (bucket, entry, key string header and characters) and an
 * insert may rehash the whole table; together they were the largest single cost of the engine.
 * Here a probe sequence stays in one cache line and the table is a fraction of the Map's size.
 * Keys are compared as strings (exactly as the Map did) only when a fingerprint matches, which
 * for an absent key almost never happens. Growth moves rows without reading keys (the fingerprint
 * carries the home bucket).
 *
 * The fingerprint is a seeded mix of the hash's last 16 hex digits (64 bits of an EIP-712 digest).
 * A trader chooses the orders they sign, so without the per-instance seed nobody can grind orders
 * into one probe chain. The seed shapes only the table's layout; no output of the engine depends
 * on it (lookups are exact, and every walk over orders is sorted).
 */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = 10 + c;

export class OrderIndex {
  /** Rows of [fingerprint, slot + 1]; slot + 1 = 0 marks an empty row. */
  private table: Int32Array;
  private mask: number;
  private count = 0;
  private readonly seed: number;
  /** The key `parse` read last, and its fingerprint; `find`, `insert`, `remove` work on it. */
  private key = "";
  private fp = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < 2 * capacity) cap *= 2;
    this.table = new Int32Array(cap * 2);
    prefault([this.table]);
    this.mask = cap - 1;
    this.seed = crypto.getRandomValues(new Int32Array(1))[0]!;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Take `hash` as the current key: "0x" and 64 characters, the last 16 of them lowercase hex
   * digits (an order hash as the journal stores it). False if it cannot be an order hash.
   */
  parse(hash: string): boolean {
    if (hash.length !== 66 || hash.charCodeAt(0) !== 48 || hash.charCodeAt(1) !== 120) {
      return false;
    }
    let h = this.seed;
    for (let p = 50; p < 66; p += 8) {
      let v = 0;
      for (let q = p; q < p + 8; q++) {
        const c = hash.charCodeAt(q);
        const d = c < 128 ? HEX[c]! : -1;
        if (d < 0) return false;
        v = (v << 4) | d;
      }
      h = Math.imul(h ^ v, 0x9e3779b1);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.fp = h ^ (h >>> 16);
    this.key = hash;
    return true;
  }

  /** Slot stored for the current key, or -1; `hashes` holds each slot's hash. */
  find(hashes: ArrayLike<string | undefined>): number {
    const table = this.table;
    const mask = this.mask;
    const fp = this.fp;
    for (let i = fp & mask; ; i = (i + 1) & mask) {
      const stored = table[2 * i + 1]!;
      if (stored === 0) return -1;
      if (table[2 * i] === fp && hashes[stored - 1] === this.key) return stored - 1;
    }
  }

  /** Store `slot` for the current key, which must be absent (`find` returned -1). */
  insert(slot: number): void {
    if (2 * (this.count + 1) > this.mask + 1) this.growTable();
    const table = this.table;
    const mask = this.mask;
    let i = this.fp & mask;
    while (table[2 * i + 1] !== 0) i = (i + 1) & mask;
    table[2 * i] = this.fp;
    table[2 * i + 1] = slot + 1;
    this.count++;
  }

  /** Remove the current key if present (backward-shift deletion: no tombstones). */
  remove(hashes: ArrayLike<string | undefined>): void {
    const table = this.table;
    const mask = this.mask;
    let i = this.fp & mask;
    for (; ; i = (i + 1) & mask) {
      const stored = table[2 * i + 1]!;
      if (stored === 0) return;
      if (table[2 * i] === this.fp && hashes[stored - 1] === this.key) break;
    }
    // Shift later rows of the same cluster back where their home bucket allows it.
    for (let j = (i + 1) & mask; table[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = table[2 * j]! & mask;
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      table[2 * i] = table[2 * j]!;
      table[2 * i + 1] = table[2 * j + 1]!;
      i = j;
    }
    table[2 * i] = 0;
    table[2 * i + 1] = 0;
    this.count--;
  }

  private growTable(): void {
    const old = this.table;
    const table = new Int32Array(old.length * 2);
    const mask = this.mask * 2 + 1;
    for (let r = 0; r < old.length; r += 2) {
      if (old[r + 1] === 0) continue;
      let i = old[r]! & mask;
      while (table[2 * i + 1] !== 0) i = (i + 1) & mask;
      table[2 * i] = old[r]!;
      table[2 * i + 1] = old[r + 1]!;
    }
    this.table = table;
    this.mask = mask;
  }
}
