/**
 * A small seeded PRNG (mulberry32) so random-input tests are reproducible: a failure names
 * its seed, and rerunning with it replays the same inputs.
 */
import type { Address, Hex } from "viem";

export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in [0, n) for n <= 2^32. */
  below(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /**
   * Unsigned integer of at most `bits` bits, biased toward edge cases: a quarter are zero,
   * the maximum, or a random small number; the rest have a random bit length.
   */
  uint(bits: number): bigint {
    const max = (1n << BigInt(bits)) - 1n;
    switch (this.below(8)) {
      case 0:
        return 0n;
      case 1:
        return max;
      default: {
        const length = 1 + this.below(bits);
        let x = 0n;
        for (let i = 0; i < length; i += 32) x = (x << 32n) | BigInt(this.u32());
        return x & ((1n << BigInt(length)) - 1n);
      }
    }
  }

  hex(length: number): Hex {
    return `0x${Buffer.from(this.bytes(length)).toString("hex")}`;
  }

  /** A random address; checksummed by the caller when needed. */
  address(): Address {
    return this.hex(20);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}
