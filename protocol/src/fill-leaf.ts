/**
 * The fill leaf: OpenZeppelin `StandardMerkleTree`'s leaf of the fill's seventeen fields,
 * `keccak256(bytes.concat(keccak256(abi.encode(fields))))` (DESIGN.md, "Fills, batches,
 * deltas"; docs/protocol.md, section 3). Encoded by hand into seventeen 32-byte words; the tests prove it equal to viem's
 * `encodeAbiParameters` and to `StandardMerkleTree`'s leaf hash, and the shared vectors to
 * the Solidity harness's.
 */
import { keccak256Bytes as keccak_256 } from "./keccak.js";
import type { Address, Hex } from "viem";
import { bytesToHex, hexInto } from "./bytes.js";
import type { FillLeaf } from "./eip712.js";
import { SettlementDataError, SettlementDataErrorCode } from "./settlement-data-error.js";

/** `StandardMerkleTree` leaf encoding of a fill, in field order. */
export const FILL_LEAF_ENCODING = [
  "uint64", // batchId
  "uint32", // index
  "bytes32", // makerOrderHash
  "bytes32", // takerOrderHash
  "address", // maker
  "address", // taker
  "uint32", // marketId
  "uint8", // takerSide
  "uint128", // price
  "uint128", // baseAmount
  "uint128", // quoteAmount
  "uint128", // makerFee
  "uint128", // takerFee
  "uint128", // makerFilledAfter
  "uint128", // takerFilledAfter
  "bool", // takerFok
  "bool", // fokRunEnd
] as const;

/** A fill's leaf values in `FILL_LEAF_ENCODING` order (for `StandardMerkleTree.of`). */
export type FillLeafTuple = [
  bigint,
  number,
  Hex,
  Hex,
  Address,
  Address,
  number,
  number,
  bigint,
  bigint,
  bigint,
  bigint,
  bigint,
  bigint,
  bigint,
  boolean,
  boolean,
];

/** The fill's fields as a tuple in leaf order. */
export function fillLeafTuple(fill: FillLeaf): FillLeafTuple {
  return [
    fill.batchId,
    fill.index,
    fill.makerOrderHash,
    fill.takerOrderHash,
    fill.maker,
    fill.taker,
    fill.marketId,
    fill.takerSide,
    fill.price,
    fill.baseAmount,
    fill.quoteAmount,
    fill.makerFee,
    fill.takerFee,
    fill.makerFilledAfter,
    fill.takerFilledAfter,
    fill.takerFok,
    fill.fokRunEnd,
  ];
}

/**
 * Marks the end of each FOK run in a batch's leaves (in batch order), as the contract does at
 * commit: a FOK leaf whose next leaf is of another taker order, or that is the last.
 */
export function markFokRunEnds<T extends FillLeaf>(leaves: T[]): T[] {
  leaves.forEach((leaf, i) => {
    const next = leaves[i + 1];
    leaf.fokRunEnd =
      leaf.takerFok &&
      (next === undefined ||
        next.takerOrderHash.toLowerCase() !== leaf.takerOrderHash.toLowerCase());
  });
  return leaves;
}

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT128 = (1n << 128n) - 1n;

/** Scratch for the encoding (single-threaded; results are always fresh arrays). */
const words = new Uint8Array(17 * 32);
const view = new DataView(words.buffer);

/** `abi.encode` of the fill's fields: seventeen static words (544 bytes), a fresh array. */
export function encodeFillLeaf(fill: FillLeaf): Uint8Array {
  return Uint8Array.from(encodeInto(fill));
}

/** The fill's leaf hash (what the batch's Merkle tree commits) as 32 fresh bytes. */
export function fillLeafHashBytes(fill: FillLeaf): Uint8Array {
  return keccak_256(keccak_256(encodeInto(fill)));
}

/** The fill's leaf hash as hex. */
export function hashFillLeaf(fill: FillLeaf): Hex {
  return bytesToHex(fillLeafHashBytes(fill));
}

function encodeInto(fill: FillLeaf): Uint8Array {
  words.fill(0);
  big(0, fill.batchId, MAX_UINT64, "batchId");
  small(1, fill.index, 0xffff_ffff, "index");
  fixed(2, fill.makerOrderHash, 32, "makerOrderHash");
  fixed(3, fill.takerOrderHash, 32, "takerOrderHash");
  fixed(4, fill.maker, 20, "maker");
  fixed(5, fill.taker, 20, "taker");
  small(6, fill.marketId, 0xffff_ffff, "marketId");
  small(7, fill.takerSide, 0xff, "takerSide");
  big(8, fill.price, MAX_UINT128, "price");
  big(9, fill.baseAmount, MAX_UINT128, "baseAmount");
  big(10, fill.quoteAmount, MAX_UINT128, "quoteAmount");
  big(11, fill.makerFee, MAX_UINT128, "makerFee");
  big(12, fill.takerFee, MAX_UINT128, "takerFee");
  big(13, fill.makerFilledAfter, MAX_UINT128, "makerFilledAfter");
  big(14, fill.takerFilledAfter, MAX_UINT128, "takerFilledAfter");
  flag(15, fill.takerFok, "takerFok");
  flag(16, fill.fokRunEnd, "fokRunEnd");
  return words;
}

function small(word: number, value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw invalid(field, value);
  view.setUint32(word * 32 + 28, value);
}

function flag(word: number, value: boolean, field: string): void {
  if (typeof value !== "boolean") throw invalid(field, value);
  words[word * 32 + 31] = value ? 1 : 0;
}

function big(word: number, value: bigint, max: bigint, field: string): void {
  if (typeof value !== "bigint" || value < 0n || value > max) throw invalid(field, value);
  view.setBigUint64(word * 32 + 16, value >> 64n);
  view.setBigUint64(word * 32 + 24, BigInt.asUintN(64, value));
}

/** `bytes32` fills its word; `address` is right-aligned (left-padded with zeros). */
function fixed(word: number, value: string, length: number, field: string): void {
  if (typeof value !== "string" || !hexInto(value, length, words, word * 32 + 32 - length))
    throw invalid(field, value);
}

function invalid(field: string, value: unknown): SettlementDataError {
  return new SettlementDataError(
    SettlementDataErrorCode.InvalidFill,
    `fill field ${field} out of range or malformed: ${String(value)}`,
  );
}

/** Mirror of `ISettlement.Fill`: the leaf's seventeen values, in field order. */
export type FillStruct = {
  readonly [K in keyof FillLeaf]: FillLeaf[K];
};

/** The `ISettlement.Fill` struct a fill proof's leaf stands for (the same fields, the same order). */
export function fillStruct(leaf: FillLeaf): FillStruct {
  return {
    batchId: leaf.batchId,
    index: leaf.index,
    makerOrderHash: leaf.makerOrderHash,
    takerOrderHash: leaf.takerOrderHash,
    maker: leaf.maker,
    taker: leaf.taker,
    marketId: leaf.marketId,
    takerSide: leaf.takerSide,
    price: leaf.price,
    baseAmount: leaf.baseAmount,
    quoteAmount: leaf.quoteAmount,
    makerFee: leaf.makerFee,
    takerFee: leaf.takerFee,
    makerFilledAfter: leaf.makerFilledAfter,
    takerFilledAfter: leaf.takerFilledAfter,
    takerFok: leaf.takerFok,
    fokRunEnd: leaf.fokRunEnd,
  };
}
