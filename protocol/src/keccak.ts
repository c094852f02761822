/**
 * keccak256 of bytes, for every hash the protocol defines (order digests, fill leaves, Merkle
 * nodes, checksummed addresses). `@noble/hashes` (what viem uses) runs in any JavaScript runtime;
 * a server injects a faster one (`useKeccak256`: the sequencer's native addon) before its hot
 * paths run. Both are keccak256: the sequencer's tests prove them equal.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";

export type Keccak256 = (data: Uint8Array) => Uint8Array;

let implementation: Keccak256 = keccak_256;

/** keccak256 of `data` through the implementation in use. */
export const keccak256Bytes: Keccak256 = (data) => implementation(data);

/** Makes `fn` the keccak256 of every protocol hash from now on (it must be keccak256). */
export function useKeccak256(fn: Keccak256): void {
  implementation = fn;
}
