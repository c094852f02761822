/**
 * Fast EIP-712 hashing of the fixed `Order` and `Cancel` messages.
 *
 * viem's `hashTypedData` parses the type definitions, walks the message generically and
 * converts through hex strings on every call. The order type never changes, so here the
 * type hashes and the domain separator are computed once and each call only ABI-encodes
 * nine words into a reused buffer and runs two keccak256s (`crypto/keccak.ts`: js-sha3, noble
 * as the fallback). The tests prove the digests equal
 * `hashTypedData`'s on random orders and the contract's on the shared vectors.
 *
 * Field ranges are checked (a value that does not fit its Solidity type throws
 * `VALIDATION_FAILED`), but an address's EIP-55 checksum is not: its bytes are what is signed,
 * whatever their case. viem refuses a mixed-case address with a wrong checksum; the API's
 * schema does the same at the edge.
 */
import { encodeAbiParameters, keccak256, stringToBytes, type Hex } from "viem";
import { bytesToHex, hexInto } from "./bytes.js";
import { keccak256Bytes as keccak_256 } from "./keccak.js";
import { CryptoError, CryptoErrorReason } from "./crypto-error.js";
import {
  CANCEL_TYPE_STRING,
  EIP712_DOMAIN_TYPE_STRING,
  ORDER_TYPE_STRING,
  type ClearmatchDomain,
  type Order,
} from "./eip712.js";

/** `keccak256(ORDER_TYPE_STRING)`, equal to `OrderLib.ORDER_TYPEHASH`. */
export const ORDER_TYPEHASH: Hex = keccak256(stringToBytes(ORDER_TYPE_STRING));

/** `keccak256(CANCEL_TYPE_STRING)`, equal to `OrderLib.CANCEL_TYPEHASH`. */
export const CANCEL_TYPEHASH: Hex = keccak256(stringToBytes(CANCEL_TYPE_STRING));

/** `keccak256(EIP712_DOMAIN_TYPE_STRING)`. */
export const DOMAIN_TYPEHASH: Hex = keccak256(stringToBytes(EIP712_DOMAIN_TYPE_STRING));

/** EIP-712 `hashStruct(domain)`: the domain separator. */
export function hashDomain(domain: ClearmatchDomain): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "bytes32" },
        { type: "uint256" },
        { type: "address" },
      ],
      [
        DOMAIN_TYPEHASH,
        keccak256(stringToBytes(domain.name)),
        keccak256(stringToBytes(domain.version)),
        BigInt(domain.chainId),
        domain.verifyingContract,
      ],
    ),
  );
}

const MAX_UINT8 = 0xff;
const MAX_UINT16 = 0xffff;
const MAX_UINT32 = 0xffff_ffff;
const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT128 = (1n << 128n) - 1n;

/** Words of the order struct encoding: the type hash and the nine fields. */
const ORDER_WORDS = 10;

/**
 * Hashes orders and cancels under one domain. Not reentrant (it reuses its buffers), which
 * JavaScript's single thread makes safe; use one instance per domain.
 */
export class OrderHasher {
  /** `hashDomain(domain)`. */
  readonly domainSeparator: Hex;

  /** typeHash ‖ trader ‖ marketId ‖ side ‖ price ‖ amount ‖ nonce ‖ expiry ‖ maxFeeBps ‖ flags */
  private readonly order = new Uint8Array(32 * ORDER_WORDS);
  private readonly orderView = new DataView(this.order.buffer);
  /** typeHash ‖ orderHash */
  private readonly cancel = new Uint8Array(64);
  /** 0x19 0x01 ‖ domainSeparator ‖ structHash */
  private readonly digest = new Uint8Array(66);

  constructor(readonly domain: ClearmatchDomain) {
    this.domainSeparator = hashDomain(domain);
    hexInto(ORDER_TYPEHASH, 32, this.order, 0);
    hexInto(CANCEL_TYPEHASH, 32, this.cancel, 0);
    this.digest[0] = 0x19;
    this.digest[1] = 0x01;
    hexInto(this.domainSeparator, 32, this.digest, 2);
  }

  /** The order's EIP-712 digest (its id, `orderHash`) as 32 fresh bytes. */
  orderDigest(order: Order): Uint8Array {
    this.digest.set(keccak_256(this.#encode(order)), 34);
    return keccak_256(this.digest);
  }

  /**
   * The order's EIP-712 struct encoding (type hash and the nine field words, 320 bytes) as fresh
   * bytes: what `VerifyPool` workers hash into the digest. Throws like `orderDigest`.
   */
  encodeOrder(order: Order): Uint8Array {
    return this.#encode(order).slice();
  }

  /** The domain separator as 32 bytes. */
  domainSeparatorBytes(): Uint8Array {
    return this.digest.slice(2, 34);
  }

  /** Writes the order's struct encoding into the reused buffer and returns it. */
  #encode(order: Order): Uint8Array {
    const buf = this.order;
    // Every word is fully rewritten (padding included), so no state leaks between calls.
    buf.fill(0, 32);
    if (typeof order.trader !== "string" || !hexInto(order.trader, 20, buf, 32 + 12))
      throw invalid("trader", order.trader);
    this.small(2, order.marketId, MAX_UINT32, "marketId");
    this.small(3, order.side, MAX_UINT8, "side");
    this.big128(4, order.price, "price");
    this.big128(5, order.amount, "amount");
    this.big64(6, order.nonce, "nonce");
    this.big64(7, order.expiry, "expiry");
    this.small(8, order.maxFeeBps, MAX_UINT16, "maxFeeBps");
    this.small(9, order.flags, MAX_UINT8, "flags");
    return buf;
  }

  /** The order's EIP-712 digest as hex, equal to viem's `hashTypedData`. */
  hashOrder(order: Order): Hex {
    return bytesToHex(this.orderDigest(order));
  }

  /** The EIP-712 digest of `Cancel(orderHash)` as 32 fresh bytes. */
  cancelDigest(orderHash: Hex): Uint8Array {
    if (typeof orderHash !== "string" || !hexInto(orderHash, 32, this.cancel, 32))
      throw invalid("orderHash", orderHash);
    this.digest.set(keccak_256(this.cancel), 34);
    return keccak_256(this.digest);
  }

  /** The EIP-712 digest of `Cancel(orderHash)` as hex. */
  hashCancel(orderHash: Hex): Hex {
    return bytesToHex(this.cancelDigest(orderHash));
  }

  private small(word: number, value: number, max: number, field: string): void {
    if (!Number.isInteger(value) || value < 0 || value > max) throw invalid(field, value);
    this.orderView.setUint32(word * 32 + 28, value);
  }

  private big64(word: number, value: bigint, field: string): void {
    if (typeof value !== "bigint" || value < 0n || value > MAX_UINT64) throw invalid(field, value);
    this.orderView.setBigUint64(word * 32 + 24, value);
  }

  private big128(word: number, value: bigint, field: string): void {
    if (typeof value !== "bigint" || value < 0n || value > MAX_UINT128) throw invalid(field, value);
    this.orderView.setBigUint64(word * 32 + 16, value >> 64n);
    this.orderView.setBigUint64(word * 32 + 24, BigInt.asUintN(64, value));
  }
}

function invalid(field: string, value: unknown): CryptoError {
  return new CryptoError(
    CryptoErrorReason.FieldOutOfRange,
    `order field ${field} out of range or malformed: ${String(value)}`,
  );
}
