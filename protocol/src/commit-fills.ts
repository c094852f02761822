/**
 * The v2 commit's packed fills (docs/protocol.md, section 3; `contracts/libraries/CommitLib.sol`):
 * one 143-byte big-endian record per fill, in batch order, naming its maker and taker through the
 * indexes of the deltas their effects go to. The contract rebuilds each leaf, the root and the
 * netting from these records; watchers rebuild every fill from the commit transaction's input.
 *
 *   offset size field
 *        0   32 makerOrderHash
 *       32   32 takerOrderHash
 *       64    4 marketId
 *       68    1 bit 0 takerSide, bit 1 takerFok (the leaf's fokRunEnd is derived, as on-chain)
 *       69    8 price in ticks
 *       77    8 base amount in lots
 *       85   16 makerFee
 *      101   16 takerFee
 *      117    8 maker's cumulative filled base after this fill, in lots
 *      125    8 taker's cumulative filled base after this fill, in lots
 *      133    2 delta index of (maker, base)
 *      135    2 delta index of (maker, quote)
 *      137    2 delta index of (taker, base)
 *      139    2 delta index of (taker, quote)
 *      141    2 delta index of (fee recipient, quote)
 */
import { decodeFunctionData, type Address, type Hex } from "viem";
import { settlementAbi } from "./settlement-abi.js";
import { bytesToHex, hexToFixedBytes } from "./bytes.js";
import type { Delta, FillLeaf, MarketTokens } from "./eip712.js";
import { markFokRunEnds } from "./fill-leaf.js";
import { SettlementDataError, SettlementDataErrorCode } from "./settlement-data-error.js";

/** Bytes of one packed fill record. */
export const FILL_RECORD_BYTES = 143;

/** The contract's caps on one commit (`SettlementCore.MAX_BATCH_FILLS`, `MAX_BATCH_DELTAS`, `MAX_COMMIT_BYTES`). */
export const MAX_BATCH_FILLS = 1_024;
export const MAX_BATCH_DELTAS = 512;
export const MAX_COMMIT_BYTES = 120_000;

/**
 * Calldata bytes of `commitBatch(batchId, fills, deltas)` with `fills` records and `deltas`
 * deltas: selector, three head words, the fills' length word and padded bytes, the deltas'
 * length word and three words each.
 */
export function commitCalldataBytes(fills: number, deltas: number): number {
  return 4 + 3 * 32 + 32 + Math.ceil((fills * FILL_RECORD_BYTES) / 32) * 32 + 32 + 96 * deltas;
}

/** What packing a fill needs of its market: its tokens and its steps. */
export interface CommitMarket extends MarketTokens {
  /** Price step, quote atoms per whole base unit. */
  tickSize: bigint;
  /** Base amount step, base atoms. */
  lotSize: bigint;
  /** Decimals of the base token. */
  baseDecimals: number;
}

/** Commit markets by `marketId`: a map or a lookup function. */
export type CommitMarketLookup =
  ReadonlyMap<number, CommitMarket> | ((marketId: number) => CommitMarket | undefined);

const U64 = (1n << 64n) - 1n;
const U128 = (1n << 128n) - 1n;

function lookupOf(markets: CommitMarketLookup): (id: number) => CommitMarket {
  const get = typeof markets === "function" ? markets : (id: number) => markets.get(id);
  return (id) => {
    const market = get(id);
    if (market === undefined)
      throw new SettlementDataError(SettlementDataErrorCode.UnknownMarket, `no market ${id}`);
    return market;
  };
}

function invalid(message: string): never {
  throw new SettlementDataError(SettlementDataErrorCode.InvalidFill, message);
}

/** `amount / step`, which must be exact and fit `max`. */
function steps(amount: bigint, step: bigint, max: bigint, what: string): bigint {
  if (step <= 0n || amount % step !== 0n) invalid(`${what} ${amount} is not a multiple of ${step}`);
  const n = amount / step;
  if (n < 0n || n > max) invalid(`${what} ${amount} is out of range`);
  return n;
}

function writeUint(out: Uint8Array, offset: number, size: number, value: bigint): void {
  let v = value;
  for (let i = size - 1; i >= 0; i--) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function readUint(data: Uint8Array, offset: number, size: number): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(data[offset + i]!);
  return v;
}

/** Index of each delta by lower-case account ‖ token. */
function deltaIndex(deltas: readonly Delta[]): Map<string, number> {
  const index = new Map<string, number>();
  deltas.forEach((d, i) => index.set(d.account.toLowerCase() + d.token.toLowerCase(), i));
  return index;
}

/**
 * Packs a batch's fills (in batch order) for `commitBatch`, pointing each at its five deltas,
 * which `deltas` (as `buildDeltas` returns them, zero entries included) must hold.
 */
export function encodeCommitFills(
  fills: readonly FillLeaf[],
  deltas: readonly Delta[],
  markets: CommitMarketLookup,
  feeRecipient: Address,
): Hex {
  const market = lookupOf(markets);
  const index = deltaIndex(deltas);
  const at = (account: string, token: string): bigint => {
    const i = index.get(account.toLowerCase() + token.toLowerCase());
    if (i === undefined) invalid(`no delta for (${account}, ${token})`);
    return BigInt(i);
  };
  const out = new Uint8Array(fills.length * FILL_RECORD_BYTES);
  fills.forEach((fill, i) => {
    const m = market(fill.marketId);
    const o = i * FILL_RECORD_BYTES;
    if (fill.takerSide !== 0 && fill.takerSide !== 1) invalid("takerSide is not 0 or 1");
    if (fill.makerFee < 0n || fill.makerFee > U128 || fill.takerFee < 0n || fill.takerFee > U128)
      invalid("fee out of range");
    out.set(hexToFixedBytes(fill.makerOrderHash, 32, "maker order hash"), o);
    out.set(hexToFixedBytes(fill.takerOrderHash, 32, "taker order hash"), o + 32);
    writeUint(out, o + 64, 4, BigInt(fill.marketId));
    out[o + 68] = fill.takerSide | (fill.takerFok ? 2 : 0);
    writeUint(out, o + 69, 8, steps(fill.price, m.tickSize, U64, "price"));
    writeUint(out, o + 77, 8, steps(fill.baseAmount, m.lotSize, U64, "base amount"));
    writeUint(out, o + 85, 16, fill.makerFee);
    writeUint(out, o + 101, 16, fill.takerFee);
    writeUint(out, o + 117, 8, steps(fill.makerFilledAfter, m.lotSize, U64, "maker filled"));
    writeUint(out, o + 125, 8, steps(fill.takerFilledAfter, m.lotSize, U64, "taker filled"));
    writeUint(out, o + 133, 2, at(fill.maker, m.baseToken));
    writeUint(out, o + 135, 2, at(fill.maker, m.quoteToken));
    writeUint(out, o + 137, 2, at(fill.taker, m.baseToken));
    writeUint(out, o + 139, 2, at(fill.taker, m.quoteToken));
    writeUint(out, o + 141, 2, at(feeRecipient, m.quoteToken));
  });
  return bytesToHex(out);
}

/**
 * Rebuilds a committed batch's fills from its packed records and deltas, as the contract does
 * (it refuses any record this function cannot read, so a committed batch always decodes).
 */
export function decodeCommitFills(
  batchId: bigint,
  packed: Hex,
  deltas: readonly Delta[],
  markets: CommitMarketLookup,
): FillLeaf[] {
  const market = lookupOf(markets);
  if (typeof packed !== "string" || (packed.length - 2) % (2 * FILL_RECORD_BYTES) !== 0)
    invalid("fills are not whole records");
  const data = hexToFixedBytes(packed, (packed.length - 2) / 2, "packed fills");
  const account = (o: number): Address => {
    const i = Number(readUint(data, o, 2));
    const delta = deltas[i];
    if (delta === undefined) invalid(`delta index ${i} out of range`);
    return delta.account;
  };
  const fills: FillLeaf[] = [];
  for (let o = 0, i = 0; o < data.length; o += FILL_RECORD_BYTES, i++) {
    const marketId = Number(readUint(data, o + 64, 4));
    const m = market(marketId);
    const price = readUint(data, o + 69, 8) * m.tickSize;
    const baseAmount = readUint(data, o + 77, 8) * m.lotSize;
    fills.push({
      batchId,
      index: i,
      makerOrderHash: bytesToHex(data, o, o + 32),
      takerOrderHash: bytesToHex(data, o + 32, o + 64),
      maker: account(o + 133),
      taker: account(o + 137),
      marketId,
      takerSide: data[o + 68]! & 1,
      price,
      baseAmount,
      quoteAmount: (baseAmount * price) / 10n ** BigInt(m.baseDecimals),
      makerFee: readUint(data, o + 85, 16),
      takerFee: readUint(data, o + 101, 16),
      makerFilledAfter: readUint(data, o + 117, 8) * m.lotSize,
      takerFilledAfter: readUint(data, o + 125, 8) * m.lotSize,
      takerFok: (data[o + 68]! & 2) !== 0,
      fokRunEnd: false,
    });
  }
  return markFokRunEnds(fills);
}

/** A `commitBatch` call read back from its transaction input. */
export interface CommitCall {
  batchId: bigint;
  /** The packed fill records. */
  fills: Hex;
  deltas: Delta[];
}

/** Reads a `commitBatch` transaction's input (the sequencer sends it top-level). */
export function decodeCommitInput(input: Hex): CommitCall {
  const call = decodeFunctionData({ abi: settlementAbi, data: input });
  if (call.functionName !== "commitBatch")
    throw new SettlementDataError(
      SettlementDataErrorCode.InvalidFill,
      `transaction calls ${call.functionName}, not commitBatch`,
    );
  const [batchId, fills, deltas] = call.args;
  return { batchId, fills, deltas: deltas.map((d) => ({ ...d })) };
}
