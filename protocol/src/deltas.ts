/**
 * A batch's netted balance deltas (DESIGN.md, "Fills, batches, deltas").
 *
 * Per fill, with the buyer the taker when `takerSide == 0` and the maker otherwise:
 *   buyer:         +baseAmount in base,  -(quoteAmount + buyer's fee) in quote
 *   seller:        -baseAmount in base,  +(quoteAmount - seller's fee) in quote
 *   fee recipient: +(makerFee + takerFee) in quote
 * summed per (account, token), so every token's deltas sum to zero.
 *
 * Order (what `commitBatch` checks): ascending by `uint160(account)`, then ascending by
 * `uint160(token)`; pairs strictly increasing (each pair once). Every pair a fill touches has its
 * delta, zero included (a pair the batch nets out): the v2 commit points each fill at its five
 * deltas (`commit-fills.ts`), and the contract checks each delta against its fills.
 * Addresses are compared as 160-bit unsigned integers, which for fixed-length lower-case
 * hex is plain string order, so that is how they are sorted here.
 */
import type { Address } from "viem";
import { checksumAddress } from "./address.js";
import type { Delta, FillLeaf, MarketTokens } from "./eip712.js";
import { commitCalldataBytes, MAX_COMMIT_BYTES } from "./commit-fills.js";
import { SettlementDataError, SettlementDataErrorCode } from "./settlement-data-error.js";

/** Market tokens by `marketId`: a map or a lookup function. */
export type MarketTokensLookup =
  ReadonlyMap<number, MarketTokens> | ((marketId: number) => MarketTokens | undefined);

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function lower(address: string, what: string): string {
  if (typeof address !== "string" || !ADDRESS.test(address))
    throw new SettlementDataError(SettlementDataErrorCode.InvalidFill, `${what} is not an address`);
  return address.toLowerCase();
}

/** Sorts deltas into the order `commitBatch` requires (account, then token, ascending). */
export function compareDeltas(a: Delta, b: Delta): number {
  const byAccount = compareAddresses(a.account, b.account);
  return byAccount !== 0 ? byAccount : compareAddresses(a.token, b.token);
}

/** Compares two addresses as `uint160`s: -1, 0 or 1. */
export function compareAddresses(a: Address, b: Address): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Nets `fills` into sorted per-(account, token) deltas, one per pair the fills touch. */
export function buildDeltas(
  fills: Iterable<FillLeaf>,
  markets: MarketTokensLookup,
  feeRecipient: Address,
): Delta[] {
  const lookup = typeof markets === "function" ? markets : (id: number) => markets.get(id);
  const fee = lower(feeRecipient, "fee recipient");
  // Key: lower-case account ‖ lower-case token (84 chars), so key order is delta order.
  const sums = new Map<string, bigint>();
  const add = (account: string, token: string, amount: bigint) => {
    const key = account + token;
    sums.set(key, (sums.get(key) ?? 0n) + amount);
  };

  for (const fill of fills) {
    const tokens = lookup(fill.marketId);
    if (tokens === undefined)
      throw new SettlementDataError(
        SettlementDataErrorCode.UnknownMarket,
        `no tokens for market ${fill.marketId}`,
      );
    if (fill.takerSide !== 0 && fill.takerSide !== 1)
      throw new SettlementDataError(SettlementDataErrorCode.InvalidFill, "takerSide is not 0 or 1");
    for (const amount of [fill.baseAmount, fill.quoteAmount, fill.makerFee, fill.takerFee])
      if (typeof amount !== "bigint" || amount < 0n)
        throw new SettlementDataError(SettlementDataErrorCode.InvalidFill, "negative amount");
    const base = lower(tokens.baseToken, "base token");
    const quote = lower(tokens.quoteToken, "quote token");
    const maker = lower(fill.maker, "maker");
    const taker = lower(fill.taker, "taker");
    const takerBuys = fill.takerSide === 0;
    const [buyer, buyerFee] = takerBuys ? [taker, fill.takerFee] : [maker, fill.makerFee];
    const [seller, sellerFee] = takerBuys ? [maker, fill.makerFee] : [taker, fill.takerFee];

    add(buyer, base, fill.baseAmount);
    add(buyer, quote, -(fill.quoteAmount + buyerFee));
    add(seller, base, -fill.baseAmount);
    add(seller, quote, fill.quoteAmount - sellerFee);
    add(fee, quote, fill.makerFee + fill.takerFee);
  }

  const deltas: Delta[] = [];
  for (const key of [...sums.keys()].sort()) {
    const delta = sums.get(key)!;
    deltas.push({
      account: checksumAddress(key.slice(0, 42)),
      token: checksumAddress(key.slice(42)),
      delta,
    });
  }
  return deltas;
}

/**
 * Bounds a batch being cut by the contract's caps on deltas and on commit bytes: it tracks the
 * (account, token) pairs the batch's fills change (base and quote of maker and taker, quote of
 * the fee recipient, exactly the deltas `buildDeltas` returns for them) and the fills taken, and
 * takes a fill only while the pairs stay within `max` (the contract's `MAX_BATCH_DELTAS`) and
 * the commit's calldata within `maxBytes` (`MAX_COMMIT_BYTES`). The sequencer's cut and the gas
 * bench split batches with it, so both cut where the contract's caps require.
 */
export class DeltaPairBudget {
  readonly #pairs = new Set<string>();
  #fills = 0;

  constructor(
    readonly max: number,
    readonly maxBytes: number = MAX_COMMIT_BYTES,
  ) {}

  /** Takes the pairs `fill` changes if the caps still hold; false, taking nothing, if not. */
  tryTake(
    fill: { readonly maker: Address; readonly taker: Address },
    tokens: MarketTokens,
    feeRecipient: Address,
  ): boolean {
    const base = tokens.baseToken.toLowerCase();
    const quote = tokens.quoteToken.toLowerCase();
    const maker = fill.maker.toLowerCase();
    const taker = fill.taker.toLowerCase();
    const keys = new Set([
      maker + base,
      maker + quote,
      taker + base,
      taker + quote,
      feeRecipient.toLowerCase() + quote,
    ]);
    let added = 0;
    for (const key of keys) if (!this.#pairs.has(key)) added++;
    const pairs = this.#pairs.size + added;
    if (pairs > this.max || commitCalldataBytes(this.#fills + 1, pairs) > this.maxBytes)
      return false;
    for (const key of keys) this.#pairs.add(key);
    this.#fills++;
    return true;
  }
}
