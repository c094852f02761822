/**
 * What a v2 `commitBatch(batchId, fills, deltas)` carries, built the way the sequencer builds it
 * (`sequencer/src/settlement`): deltas netted by `buildDeltas` (zero entries kept), fills packed
 * by `encodeCommitFills`, the root of the unsorted fill tree (`buildFillTree`). Pure (no Hardhat),
 * so the contract tests and the gas bench share it; also the batches the caps admit at their
 * worst (test/settlement/batch-limits.test.ts, bench/gas.ts).
 */
import {
  markFokRunEnds,
  type Delta,
  type FillLeaf,
  commitCalldataBytes,
  decodeCommitFills,
  encodeCommitFills,
  FILL_RECORD_BYTES,
  MAX_BATCH_DELTAS,
  MAX_BATCH_FILLS,
  MAX_COMMIT_BYTES,
  type CommitMarket,
  type CommitMarketLookup,
  buildDeltas,
  DeltaPairBudget,
  buildFillTree,
} from "@clearmatch/protocol";
import { keccak256, toHex, type Address, type Hex } from "viem";

export type { CommitMarket, CommitMarketLookup };
export { commitCalldataBytes, MAX_BATCH_DELTAS, MAX_BATCH_FILLS, MAX_COMMIT_BYTES };

/** The most fills a commit of `deltaCount` deltas can carry within every cap. */
export function maxFillsFor(deltaCount: number): number {
  let n = MAX_BATCH_FILLS;
  while (n > 0 && commitCalldataBytes(n, deltaCount) > MAX_COMMIT_BYTES) n--;
  return n;
}

/**
 * Splits `fills`, in order, into batches within every cap of one commit: a batch ends before a
 * fill that would take it over MAX_BATCH_FILLS fills, or over MAX_BATCH_DELTAS (account, token)
 * pairs or MAX_COMMIT_BYTES of calldata (the sequencer's own `DeltaPairBudget` counts both).
 * Every pair a fill touches has its delta (zero ones included), so the pair count is the delta
 * count and the byte count (`commitCalldataBytes`) is exact.
 */
export function splitByCaps(
  fills: readonly FillLeaf[],
  markets: CommitMarketLookup,
  feeRecipient: Address,
): FillLeaf[][] {
  const lookup = typeof markets === "function" ? markets : (id: number) => markets.get(id);
  const out: FillLeaf[][] = [];
  let batch: FillLeaf[] = [];
  let budget = new DeltaPairBudget(MAX_BATCH_DELTAS, MAX_COMMIT_BYTES);
  for (const fill of fills) {
    const market = lookup(fill.marketId);
    if (market === undefined) throw new Error(`no market ${fill.marketId}`);
    if (!(batch.length < MAX_BATCH_FILLS && budget.tryTake(fill, market, feeRecipient))) {
      out.push(batch);
      batch = [];
      budget = new DeltaPairBudget(MAX_BATCH_DELTAS, MAX_COMMIT_BYTES);
      if (!budget.tryTake(fill, market, feeRecipient)) throw new Error("a fill over the caps");
    }
    batch.push(fill);
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/** A batch ready to commit: its fills (numbered into it), deltas, packed records and tree. */
export interface PreparedCommit {
  batchId: bigint;
  /** The fills with `batchId` and `index` set: the leaves the contract rebuilds. */
  fills: FillLeaf[];
  deltas: Delta[];
  /** The packed records, `commitBatch`'s `fills` argument. */
  packed: Hex;
  root: Hex;
  /** `MerkleProof.verify` proof of each fill, in batch order. */
  proofs: Hex[][];
}

const same = (a: unknown, b: unknown) =>
  typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b;

/**
 * Numbers `fills` into batch `batchId`, nets them (unless `deltas` is given), packs them and roots
 * them. Throws if a fill cannot be committed as given: the contract rebuilds each leaf from its
 * record (quote from base and price, amounts on the grid), so a fill that does not survive the
 * round trip through the packing is not one any commit can carry.
 */
export function prepareCommit(
  batchId: bigint,
  fills: readonly FillLeaf[],
  markets: CommitMarketLookup,
  feeRecipient: Address,
  deltas?: readonly Delta[],
): PreparedCommit {
  // Numbered into the batch, FOK run ends marked: the contract sets both, as it does `index`.
  const numbered = markFokRunEnds(fills.map((f, index) => ({ ...f, batchId, index })));
  const ds = deltas ? [...deltas] : buildDeltas(numbered, markets, feeRecipient);
  const packed = encodeCommitFills(numbered, ds, markets, feeRecipient);
  if (deltas === undefined) {
    const rebuilt = decodeCommitFills(batchId, packed, ds, markets);
    rebuilt.forEach((leaf, i) => {
      const given = numbered[i]!;
      for (const key of Object.keys(leaf) as (keyof FillLeaf)[]) {
        if (!same(leaf[key], given[key]))
          throw new Error(
            `fill ${i} cannot be committed as given: the contract rebuilds its ${key} as ` +
              `${String(leaf[key])}, not ${String(given[key])}`,
          );
      }
    });
  }
  const { root, proofs } = buildFillTree(numbered);
  return { batchId, fills: numbered, deltas: ds, packed, root, proofs };
}

/** Overwrites the `size`-byte big-endian field at `offset` of record `index` in `packed`. */
export function patchRecord(
  packed: Hex,
  index: number,
  offset: number,
  size: number,
  value: bigint,
): Hex {
  if (value < 0n) throw new Error(`${value} is negative`);
  const at = 2 + 2 * (index * FILL_RECORD_BYTES + offset);
  const field = value.toString(16).padStart(2 * size, "0");
  if (field.length !== 2 * size) throw new Error(`${value} does not fit ${size} bytes`);
  return `${packed.slice(0, at)}${field}${packed.slice(at + 2 * size)}` as Hex;
}

/** Byte offsets of the record fields (CommitLib's layout). */
export const RECORD = {
  marketId: 64,
  takerSide: 68,
  ticks: 69,
  lots: 77,
  makerFee: 85,
  takerFee: 101,
  makerLots: 117,
  takerLots: 125,
  makerBase: 133,
  makerQuote: 135,
  takerBase: 137,
  takerQuote: 139,
  feeQuote: 141,
} as const;

/** A distinct order hash per label. */
export const orderHashOf = (label: string): Hex => keccak256(toHex(label));

/** A fill of `baseLots` lots at `ticks` ticks, fees zero unless given. */
export function gridFill(
  market: CommitMarket & { marketId: number },
  maker: Address,
  taker: Address,
  takerSide: number,
  baseLots: bigint,
  ticks: bigint,
  label: string,
  fees: { makerFee?: bigint; takerFee?: bigint } = {},
): FillLeaf {
  const price = ticks * market.tickSize;
  const baseAmount = baseLots * market.lotSize;
  return {
    batchId: 0n,
    index: 0,
    makerOrderHash: orderHashOf(`maker ${label}`),
    takerOrderHash: orderHashOf(`taker ${label}`),
    maker,
    taker,
    marketId: market.marketId,
    takerSide,
    price,
    baseAmount,
    quoteAmount: (baseAmount * price) / 10n ** BigInt(market.baseDecimals),
    makerFee: fees.makerFee ?? 0n,
    takerFee: fees.takerFee ?? 0n,
    makerFilledAfter: baseAmount,
    takerFilledAfter: baseAmount,
    takerFok: false,
    fokRunEnd: false,
  };
}

/**
 * Fills under which every one of `traders` gains in both tokens and `last` loses in both: a chain
 * `last -> t1 -> t2 -> ... -> tn -> last` in which base passes on one lot smaller at every step
 * and quote comes back a step larger (fill k moves n + 2 - k lots for about k units of `unit`
 * quote atoms), fees zero. With `last` sorting after every trader, its debits are the last two
 * deltas: the worst finalize, every delta before them a credit.
 */
export function chainFills(
  market: CommitMarket & { marketId: number },
  traders: readonly Address[],
  last: Address,
  unit = 1_000_000n,
): FillLeaf[] {
  const n = traders.length;
  if (n < 1 || unit <= BigInt(n + 1)) throw new Error("chainFills: need traders and unit > n + 1");
  // Fill k (1..n+1) moves n + 2 - k lots at ceil(k·unit / lots) ticks: its quote is in
  // [k·unit, k·unit + n + 1), strictly increasing in k (LOT · TICK = 10^baseDecimals here).
  const step = market.lotSize * market.tickSize;
  if (step !== 10n ** BigInt(market.baseDecimals))
    throw new Error("chainFills: the market's lot x tick must be one quote atom");
  const fills: FillLeaf[] = [];
  for (let k = 1; k <= n + 1; k++) {
    const lots = BigInt(n + 2 - k);
    const ticks = (BigInt(k) * unit + lots - 1n) / lots;
    const maker = k === 1 ? last : traders[k - 2]!;
    // The last fill: `last` (maker) buys back from the end of the chain (taker sells).
    const [m, t, side] = k === n + 1 ? [last, traders[n - 1]!, 1] : [maker, traders[k - 1]!, 0];
    fills.push(gridFill(market, m, t, side, lots, ticks, `chain ${k}`));
  }
  return fills;
}

/** `pairs` round trips between `a` and `b` (buy then sell back the same lot at one price). */
export function roundTrips(
  market: CommitMarket & { marketId: number },
  a: Address,
  b: Address,
  pairs: number,
): FillLeaf[] {
  const fills: FillLeaf[] = [];
  for (let i = 0; i < pairs; i++) {
    const ticks = 200_000n + BigInt(i);
    fills.push(gridFill(market, b, a, 0, 1n, ticks, `trip ${i} out`));
    fills.push(gridFill(market, b, a, 1, 1n, ticks, `trip ${i} back`));
  }
  return fills;
}

/** The all-ones address: sorts after every other account. */
export const LAST_ACCOUNT: Address = `0x${"ff".repeat(20)}`;

/**
 * The worst finalize the caps admit: MAX_BATCH_DELTAS deltas, all but the last two credits to
 * `traders` (which must hold no balance yet: each credit a new storage slot), then the debits of
 * `LAST_ACCOUNT` (which must hold the lower-addressed token and not the other), so finalize
 * applies every credit, fails at the last delta and undoes them all. Filled up with round trips
 * to the byte cap. `traders` must number (MAX_BATCH_DELTAS - 2) / 2 = 255, the fee recipient
 * among them (its quote pair is in every fill).
 */
export function worstFinalizeFills(
  market: CommitMarket & { marketId: number },
  traders: readonly Address[],
): FillLeaf[] {
  if (traders.length !== (MAX_BATCH_DELTAS - 2) / 2)
    throw new Error(`worstFinalizeFills: ${traders.length} traders, not 255`);
  const chain = chainFills(market, traders, LAST_ACCOUNT);
  const trips = Math.floor((maxFillsFor(MAX_BATCH_DELTAS) - chain.length) / 2);
  return [...chain, ...roundTrips(market, traders[0]!, traders[1]!, trips)];
}

/** A value of `bytes` bytes, none of them zero (the dearest calldata), plus `i`. */
const dense = (bytes: number, i: number) => BigInt(`0x${"01".repeat(bytes)}`) + BigInt(i);

/**
 * The dearest commit the caps admit: as many fills as the byte cap takes (two traders, so 7
 * deltas), alternating between two markets (so every record reloads its market), every field
 * as wide as it goes with no zero byte where the layout allows.
 */
export function heaviestCommitFills(
  markets: readonly [CommitMarket & { marketId: number }, CommitMarket & { marketId: number }],
  a: Address,
  b: Address,
): FillLeaf[] {
  const n = maxFillsFor(7);
  return Array.from({ length: n }, (_, i) => {
    const market = markets[i % 2]!;
    const lots = dense(8, i);
    const fill = gridFill(market, a, b, i % 2, lots, dense(8, i), `heavy ${i}`, {
      makerFee: dense(16, i),
      takerFee: dense(16, i),
    });
    return fill;
  });
}
