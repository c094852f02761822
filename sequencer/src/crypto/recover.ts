/**
 * secp256k1 signer recovery for 65-byte Ethereum signatures (r ‖ s ‖ v).
 *
 * The native `secp256k1` addon (libsecp256k1 through node-gyp-build prebuilds) is used when
 * it loads; otherwise the pure-JS `@noble/curves` implementation (the one viem uses). Both
 * apply the same checks Ethereum applies (EIP-2: `s` at most n/2; `r`, `s` in [1, n)), both
 * return the EIP-55 checksummed address, and the tests prove them equal to each other and
 * to viem's `recoverTypedDataAddress`.
 */
import { createRequire } from "node:module";
import { secp256k1 as nobleSecp256k1 } from "@noble/curves/secp256k1.js";
import type { Address, Hex } from "viem";
import { CryptoError, CryptoErrorReason, hexInto, publicKeyToAddress } from "@clearmatch/protocol";
import "./keccak.js"; // installs the native keccak256 into the protocol's hashes

/** Which implementation recovers public keys. */
export type Secp256k1Backend = "native" | "js";

/** The slice of the `secp256k1` package's API used here. */
interface NativeSecp256k1 {
  ecdsaRecover(
    sig: Uint8Array,
    recid: number,
    msg32: Uint8Array,
    compressed: boolean,
    output: Uint8Array,
  ): Uint8Array;
}

/**
 * Loads the addon's native binding directly: the package's own entry point silently falls
 * back to `elliptic`, which would hide a missing prebuild behind a slow path.
 */
function loadNative(): NativeSecp256k1 | undefined {
  try {
    return createRequire(import.meta.url)("secp256k1/bindings.js") as NativeSecp256k1;
  } catch {
    return undefined;
  }
}

const native = loadNative();

/** Whether the native addon loaded on this machine. */
export const nativeSecp256k1Available: boolean = native !== undefined;

/** The backend `recoverAddress` uses unless told otherwise: native when it loaded. */
export const defaultSecp256k1Backend: Secp256k1Backend = native ? "native" : "js";

/** secp256k1 group order n, big-endian. */
const N = Uint8Array.from(
  Buffer.from("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", "hex"),
);
/** floor(n / 2): the largest `s` EIP-2 accepts. */
const HALF_N = Uint8Array.from(
  Buffer.from("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0", "hex"),
);

/** Scratch buffers (single-threaded, never returned). */
const sig = new Uint8Array(65);
const compact = sig.subarray(0, 64);
const digestScratch = new Uint8Array(32);
const publicKey = new Uint8Array(65);

/** Big-endian compare of `a[offset, offset + 32)` with the 32-byte `b`. */
function compare32(a: Uint8Array, offset: number, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = a[offset + i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function isZero32(a: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 32; i++) if (a[offset + i] !== 0) return false;
  return true;
}

/**
 * Validates a signature into the scratch buffer and returns its recovery id (0 or 1).
 * Throws `CryptoError` (code `BAD_SIGNATURE`) with reason `SIGNATURE_LENGTH`, `SIGNATURE_V`,
 * `SIGNATURE_R_S_RANGE` or `SIGNATURE_HIGH_S`.
 */
function parseInto(signature: Hex | Uint8Array): number {
  if (typeof signature === "string") {
    if (!hexInto(signature, 65, sig, 0))
      throw new CryptoError(CryptoErrorReason.SignatureLength, "signature is not 65 bytes of hex");
  } else if (signature instanceof Uint8Array && signature.length === 65) {
    sig.set(signature);
  } else {
    throw new CryptoError(CryptoErrorReason.SignatureLength, "signature is not 65 bytes");
  }
  // Exactly what the contract accepts (OpenZeppelin ECDSA): v = 0 or 1 recovers mathematically,
  // but a trader who signed so could challenge its own fill and the on-chain answer would fail
  // (docs/protocol.md, section 4; the shared vectors test both sides).
  const v = sig[64]!;
  if (v !== 27 && v !== 28)
    throw new CryptoError(CryptoErrorReason.SignatureV, `signature v is ${v}, not 27 or 28`);
  const recovery = v - 27;
  if (isZero32(sig, 0) || compare32(sig, 0, N) >= 0)
    throw new CryptoError(CryptoErrorReason.SignatureRange, "signature r is zero or not below n");
  if (isZero32(sig, 32) || compare32(sig, 32, N) >= 0)
    throw new CryptoError(CryptoErrorReason.SignatureRange, "signature s is zero or not below n");
  if (compare32(sig, 32, HALF_N) > 0)
    throw new CryptoError(CryptoErrorReason.SignatureHighS, "signature s is above n/2 (EIP-2)");
  return recovery;
}

/**
 * Applies the checks `recoverAddress` applies to a signature (length, v, r/s range, EIP-2 low s)
 * without recovering: for callers that recover through another implementation (viem).
 */
export function checkSignature(signature: Hex | Uint8Array): void {
  parseInto(signature);
}

function digestBytes(digest: Uint8Array | Hex): Uint8Array {
  if (typeof digest === "string") {
    if (!hexInto(digest, 32, digestScratch, 0))
      throw new CryptoError(CryptoErrorReason.FieldOutOfRange, "digest is not 32 bytes of hex");
    return digestScratch;
  }
  if (digest.length !== 32)
    throw new CryptoError(CryptoErrorReason.FieldOutOfRange, "digest is not 32 bytes");
  return digest;
}

/**
 * Recovers the uncompressed (65-byte) public key that signed the 32-byte `digest`.
 * The result is a fresh array.
 */
export function recoverPublicKey(
  digest: Uint8Array | Hex,
  signature: Hex | Uint8Array,
  backend: Secp256k1Backend = defaultSecp256k1Backend,
): Uint8Array {
  return Uint8Array.from(recoverInto(digestBytes(digest), parseInto(signature), backend));
}

/**
 * Recovers the EIP-55 checksummed address that signed the 32-byte `digest` (for an order:
 * its EIP-712 digest) with the 65-byte `signature`.
 */
export function recoverAddress(
  digest: Uint8Array | Hex,
  signature: Hex | Uint8Array,
  backend: Secp256k1Backend = defaultSecp256k1Backend,
): Address {
  return publicKeyToAddress(recoverInto(digestBytes(digest), parseInto(signature), backend));
}

function recoverInto(digest: Uint8Array, recovery: number, backend: Secp256k1Backend): Uint8Array {
  if (backend === "native" && !native) throw new Error("the native secp256k1 addon did not load");
  try {
    if (native && backend === "native")
      return native.ecdsaRecover(compact, recovery, digest, false, publicKey);
    return nobleSecp256k1.Signature.fromCompact(compact)
      .addRecoveryBit(recovery)
      .recoverPublicKey(digest)
      .toRawBytes(false);
  } catch (cause) {
    throw new CryptoError(CryptoErrorReason.SignatureUnrecoverable, "no public key recoverable", {
      cause,
    });
  }
}
