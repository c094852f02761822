import { describe, expect, it } from "vitest";
import { u64ToNumber } from "../src/engine/u64.js";

describe("u64ToNumber", () => {
  it("equals Number(v) for every 0 <= v < 2^64, rounding as Number does above 2^53", () => {
    const edges = [0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n];
    // Just past 2^53 every second, fourth... integer is not representable: ties go to even.
    for (let k = 0n; k < 8n; k++) edges.push(2n ** 53n + k, 2n ** 54n + k, 2n ** 64n - 1n - k);
    // A seeded walk over all bit lengths (xorshift64, so the test is the same every run).
    let x = 0x9e3779b97f4a7c15n;
    const mask = 2n ** 64n - 1n;
    for (let i = 0; i < 20_000; i++) {
      x ^= (x << 13n) & mask;
      x ^= x >> 7n;
      x ^= (x << 17n) & mask;
      edges.push(x >> BigInt(i % 64));
    }
    for (const v of edges) expect(u64ToNumber(v), `${v}`).toBe(Number(v));
  });
});
