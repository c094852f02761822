/**
 * bigint -> number without a heap object. `Number(v)` of a bigint goes through a runtime call
 * that returns a freshly allocated heap number (about 16 ns and 16 bytes each, measured on Node
 * 24); the engine converts a price, an amount, an expiry and a nonce per order, and at a million
 * orders that garbage cost a full collection of the whole heap per second in the benchmark.
 * Storing the bigint into a BigUint64Array and reading the two 32-bit halves back is compiled to
 * plain loads and stores.
 */
const B64 = new BigUint64Array(1);
const W32 = new Uint32Array(B64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;

/**
 * `Number(v mod 2^64)`: exactly `Number(v)` for 0 <= v < 2^64 (the two halves are exact and
 * their sum is rounded once, as `Number` rounds). Callers check the range first.
 */
export function u64ToNumber(v: bigint): number {
  B64[0] = v;
  return W32[HI]! * 4_294_967_296 + W32[LO]!;
}
