/**
 * keccak256 of bytes for the server's hot paths (order digests, addresses from public keys, fill
 * leaves and Merkle nodes). Loading this module installs the fastest backend into the protocol
 * package (`useKeccak256`), whose hashes every server module goes through; `recover.ts`, which
 * every signature check loads, imports it.
 *
 * Backends, fastest first: the native Keccak state of the `keccak` package (XKCP, a prebuilt
 * N-API addon: no compiler, nothing downloaded at run time), called directly rather than through
 * its stream API; then `js-sha3`; then `@noble/hashes` (what viem uses). On this machine's Node,
 * for a 64-byte input: native ~1.9 us, js-sha3 ~5.5 us, noble ~7.7 us; for 480 bytes (a fill
 * leaf): 3.2, 17 and 22 us. Each falls back to the next when it does not load; the tests prove
 * all three equal.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { useKeccak256 } from "@clearmatch/protocol";

/** Which implementation `keccak256Bytes` uses. */
export type KeccakBackend = "native" | "js-sha3" | "noble";

/** The native addon's sponge (keccak/src/addon.cc). */
interface KeccakState {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

function loadNative(): (new () => KeccakState) | undefined {
  try {
    const require = createRequire(import.meta.url);
    const load = require("node-gyp-build") as (dir: string) => unknown;
    const addon = load(dirname(require.resolve("keccak/package.json")));
    // Some runtimes load an empty object instead of failing (see keccak/bindings.js).
    return typeof addon === "function" ? (addon as new () => KeccakState) : undefined;
  } catch {
    return undefined;
  }
}

const NativeKeccak = loadNative();

/** keccak256 through the native sponge: rate 1088, capacity 512, padding 0x01. */
function nativeKeccak256(state: KeccakState): (data: Uint8Array) => Uint8Array {
  return (data) => {
    state.initialize(1088, 512);
    state.absorb(
      Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    );
    state.absorbLastFewBits(0x01);
    const out = state.squeeze(32);
    return new Uint8Array(out.buffer, out.byteOffset, 32);
  };
}

/** keccak256 through the native addon, or undefined when it did not load. */
export const keccak256Native = NativeKeccak ? nativeKeccak256(new NativeKeccak()) : undefined;

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

/** The backend `keccak256Bytes` uses: the first of native, js-sha3, noble that loaded. */
export const keccakBackend: KeccakBackend = keccak256Native
  ? "native"
  : jsSha3
    ? "js-sha3"
    : "noble";

/** keccak256 through `@noble/hashes`. */
export const keccak256Noble = (data: Uint8Array): Uint8Array => keccak_256(data);

/** keccak256 through `js-sha3`, or undefined when it did not load. */
export const keccak256JsSha3: ((data: Uint8Array) => Uint8Array) | undefined = jsSha3
  ? (data) => new Uint8Array(jsSha3.keccak256.arrayBuffer(data))
  : undefined;

/** keccak256 through the fastest backend that loaded. */
export const keccak256Bytes: (data: Uint8Array) => Uint8Array =
  keccak256Native ?? keccak256JsSha3 ?? keccak256Noble;

useKeccak256(keccak256Bytes);
