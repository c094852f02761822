/**
 * Ethereum addresses from public keys, EIP-55 checksummed, without hex round trips.
 */
import type { Address } from "viem";
import { keccak256Bytes as keccak_256 } from "./keccak.js";

const HEX_CHARS = "0123456789abcdef";

/**
 * Checksummed forms of recently seen addresses. Traders sign many orders, so caching skips
 * the checksum's keccak256 on the hot path; the cache is dropped whole when full (bounded
 * memory, no LRU bookkeeping).
 */
const checksumCache = new Map<string, Address>();
const CHECKSUM_CACHE_LIMIT = 1 << 16;

/** Scratch: the 40 lower-case ASCII hex chars of an address (the checksum's preimage). */
const ascii = new Uint8Array(40);

/** EIP-55 checksummed address of the 20 bytes `bytes[offset, offset + 20)`. */
export function checksumAddressOf(bytes: Uint8Array, offset: number): Address {
  let lower = "";
  for (let i = 0; i < 20; i++) {
    const b = bytes[offset + i]!;
    lower += HEX_CHARS[b >> 4]! + HEX_CHARS[b & 15]!;
  }
  return checksumOfLower(lower);
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * EIP-55 checksummed form of a `0x`-prefixed 40-digit hex address in any case (viem's
 * `getAddress`, with the cache above instead of viem's LRU). Throws on anything else.
 */
export function checksumAddress(address: string): Address {
  if (!ADDRESS.test(address)) throw new TypeError(`not an address: ${address}`);
  return checksumOfLower(address.slice(2).toLowerCase());
}

/**
 * `getAddress(value)` when viem's `isAddress(value, { strict: true })` holds (hex of the right
 * length, all lower case or correctly checksummed), else undefined.
 */
export function parseAddressStrict(value: unknown): Address | undefined {
  if (typeof value !== "string" || !ADDRESS.test(value)) return undefined;
  const lower = value.slice(2).toLowerCase();
  const checksummed = checksumOfLower(lower);
  return value === checksummed || value.slice(2) === lower ? checksummed : undefined;
}

/** Checksums `lower`, the 40 lower-case hex digits of an address (cached). */
function checksumOfLower(lower: string): Address {
  const cached = checksumCache.get(lower);
  if (cached !== undefined) return cached;
  for (let i = 0; i < 40; i++) ascii[i] = lower.charCodeAt(i);
  const hash = keccak_256(ascii);
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const nibble = i & 1 ? hash[i >> 1]! & 15 : hash[i >> 1]! >> 4;
    const c = lower[i]!;
    out += nibble >= 8 ? c.toUpperCase() : c;
  }
  if (checksumCache.size >= CHECKSUM_CACHE_LIMIT) checksumCache.clear();
  checksumCache.set(lower, out as Address);
  return out as Address;
}

/** Address of an uncompressed (65-byte, `04`-prefixed) secp256k1 public key. */
export function publicKeyToAddress(publicKey: Uint8Array): Address {
  // keccak256(x ‖ y), last 20 bytes.
  return checksumAddressOf(keccak_256(publicKey.subarray(1, 65)), 12);
}
