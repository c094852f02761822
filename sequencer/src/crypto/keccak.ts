/**
 * keccak256 of bytes for the hot path (order digests, addresses from public keys).
 *
 * `js-sha3` hashes the 320-byte order encoding about 3x faster than `@noble/hashes` on this
 * machine's Node (measured in `bench:intake`'s notes); `@noble/hashes` (what viem uses) stays
 * as the fallback when `js-sha3` does not load, and the tests prove both equal.
 */
import { createRequire } from "node:module";
import { keccak_256 } from "@noble/hashes/sha3.js";

/** Which implementation `keccak256Bytes` uses. */
export type KeccakBackend = "js-sha3" | "noble";

/** The slice of `js-sha3`'s API used here. */
interface JsSha3 {
  keccak256: { arrayBuffer(message: Uint8Array): ArrayBuffer };
}

function loadJsSha3(): JsSha3 | undefined {
  try {
    return createRequire(import.meta.url)("js-sha3") as JsSha3;
  } catch {
    return undefined;
  }
}

const jsSha3 = loadJsSha3();

/** The backend `keccak256Bytes` uses: js-sha3 when it loaded. */
export const keccakBackend: KeccakBackend = jsSha3 ? "js-sha3" : "noble";

/** keccak256 through `@noble/hashes`. */
export const keccak256Noble = (data: Uint8Array): Uint8Array => keccak_256(data);

/** keccak256 through `js-sha3`, or `@noble/hashes` when it did not load. */
export const keccak256Bytes: (data: Uint8Array) => Uint8Array = jsSha3
  ? (data) => new Uint8Array(jsSha3.keccak256.arrayBuffer(data))
  : keccak256Noble;
