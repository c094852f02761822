import { BookSide } from "./book-side.js";
import type { MarketConfig } from "./types.js";
import { u64ToNumber } from "./u64.js";

/**
 * Largest price in ticks and size in lots an order may have. Ticks are only compared; lots are
 * summed per level, and a level refuses an order that would take its total past 2^53 - 1, so
 * every number the engine keeps is an exact integer. 2^48 lots is 2^5 maximum-size orders per
 * level before that guard could ever trigger.
 */
export const MAX_TICKS = 2 ** 48;
export const MAX_LOTS = 2 ** 48;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(MAX_SAFE);
/** Fees are in basis points: 10_000 bps = 100%. */
export const BPS = 10_000;
const BPS_BIG = 10_000n;
const UINT32_MAX = 2 ** 32 - 1;

/** A registered market with its book and its precomputed conversion constants. */
export class Market {
  readonly marketId: number;
  readonly tickSize: bigint;
  readonly lotSize: bigint;
  /** tickSize as a number, or 0 when it exceeds 2^53 (then every conversion takes bigint). */
  readonly tickSizeN: number;
  readonly lotSizeN: number;
  /**
   * Quote atoms of one lot at one tick: lotSize * tickSize / 10^baseDecimals, an integer by the
   * registration rule. quoteAmount = lots * ticks * unitQuote.
   */
  readonly unitQuote: bigint;
  /** unitQuote as a number, Infinity when unsafe (forces the bigint path). */
  readonly unitQuoteN: number;
  readonly makerFeeBps: number;
  readonly takerFeeBps: number;
  paused = false;
  /** Index in the engine's market list (OrderPool refers to markets by it). */
  ix = -1;
  /**
   * `atoms(lots)` for small lot counts, filled on first use: event amounts are mostly order-sized,
   * so most conversions reuse a bigint instead of allocating one (bigints are immutable values).
   */
  private readonly atomsCache: Array<bigint | undefined> = new Array<bigint | undefined>(
    ATOMS_CACHE,
  ).fill(undefined);
  /** Step counts of values above 2^53 (see StepCache). */
  private readonly ticksCache = new StepCache();
  private readonly lotsCache = new StepCache();
  readonly bids = new BookSide(0);
  readonly asks = new BookSide(1);

  constructor(readonly config: MarketConfig) {
    this.marketId = config.marketId;
    this.tickSize = config.tickSize;
    this.lotSize = config.lotSize;
    this.tickSizeN = config.tickSize <= MAX_SAFE_BIG ? Number(config.tickSize) : 0;
    this.lotSizeN = config.lotSize <= MAX_SAFE_BIG ? Number(config.lotSize) : 0;
    this.unitQuote = (config.lotSize * config.tickSize) / 10n ** BigInt(config.baseDecimals);
    this.unitQuoteN = this.unitQuote <= MAX_SAFE_BIG ? Number(this.unitQuote) : Infinity;
    this.makerFeeBps = config.makerFeeBps;
    this.takerFeeBps = config.takerFeeBps;
  }

  /** `price` in ticks, or NOT_POSITIVE / OFF_STEP / OUT_OF_RANGE. */
  ticksOf(price: bigint): number {
    if (price <= MAX_SAFE_BIG || this.tickSizeN === 0) {
      return stepsOf(price, this.tickSize, this.tickSizeN, MAX_TICKS);
    }
    return this.ticksCache.steps(price, this.tickSize, this.tickSizeN, MAX_TICKS);
  }

  /** `amount` in lots, or NOT_POSITIVE / OFF_STEP / OUT_OF_RANGE. */
  lotsOf(amount: bigint): number {
    if (amount <= MAX_SAFE_BIG || this.lotSizeN === 0) {
      return stepsOf(amount, this.lotSize, this.lotSizeN, MAX_LOTS);
    }
    return this.lotsCache.steps(amount, this.lotSize, this.lotSizeN, MAX_LOTS);
  }

  /** Quote atoms per base unit at `ticks`: `ticks * tickSize`. */
  readonly priceOf = (ticks: number): bigint => {
    const n = ticks * this.tickSizeN;
    // tickSizeN = 0 marks an unsafe tick size: n is then 0 and the bigint path runs.
    if (n <= MAX_SAFE && n !== 0) return BigInt(n);
    return BigInt(ticks) * this.tickSize;
  };

  /** Base atoms of `lots`. */
  atoms(lots: number): bigint {
    if (lots < ATOMS_CACHE) {
      const hit = this.atomsCache[lots];
      if (hit !== undefined) return hit;
      return (this.atomsCache[lots] = this.atomsOf(lots));
    }
    return this.atomsOf(lots);
  }

  private atomsOf(lots: number): bigint {
    if (lots === 0) return 0n;
    const n = lots * this.lotSizeN;
    // lotSizeN = 0 marks an unsafe lot size: n is then 0 and the bigint path runs.
    if (n <= MAX_SAFE && n !== 0) return BigInt(n);
    return BigInt(lots) * this.lotSize;
  }

  /** Quote atoms of `lots` at `ticks`: exact (see unitQuote). */
  quote(lots: number, ticks: number): bigint {
    // When the true product exceeds 2^53 the rounded float does too, so the check is sound.
    const n = lots * ticks * this.unitQuoteN;
    if (n <= MAX_SAFE) return BigInt(n);
    return BigInt(lots) * BigInt(ticks) * this.unitQuote;
  }
}

/** Lot counts below this have their atoms cached per market (at most 4,096 bigints). */
const ATOMS_CACHE = 4_096;

export const NOT_POSITIVE = -1;
export const OFF_STEP = -2;
export const OUT_OF_RANGE = -3;

function stepsOf(value: bigint, step: bigint, stepN: number, max: number): number {
  if (value <= 0n) return NOT_POSITIVE;
  if (stepN !== 0 && value <= MAX_SAFE_BIG) {
    // Both are exact integers below 2^53, so % and / are exact.
    const v = u64ToNumber(value);
    if (v % stepN !== 0) return OFF_STEP;
    const steps = v / stepN;
    return steps > max ? OUT_OF_RANGE : steps;
  }
  if (value % step !== 0n) return OFF_STEP;
  // Doubles are exact integers up to 2^53 > max, so comparing the rounded quotient is exact.
  const steps = Number(value / step);
  return steps > max ? OUT_OF_RANGE : steps;
}

/**
 * Step counts of values above 2^53, remembered by value. An amount in an 18-decimal token is
 * above 2^53 from about 0.009 of a unit, and `stepsOf` then needs a bigint remainder and a
 * bigint quotient: two heap objects per conversion, which at a million orders are tens of MB of
 * garbage and a full collection of the whole heap per second in the benchmark. Order sizes repeat
 * (and the journal's decoder hands out one bigint per distinct value), so a direct-mapped table
 * indexed by the approximate step count, checked by exact bigint equality, answers most
 * conversions without allocating. A miss (or a collision, which a trader could cause) only falls
 * back to `stepsOf`; the answer never depends on the table.
 */
class StepCache {
  private readonly keys: Array<bigint | undefined> = new Array<bigint | undefined>(STEP_CACHE).fill(
    undefined,
  );
  private readonly values = new Float64Array(STEP_CACHE);

  /** `stepsOf(value, step, stepN, max)` for value > 2^53 and an exact stepN (> 0). */
  steps(value: bigint, step: bigint, stepN: number, max: number): number {
    // About value / step (exactly, for on-step values below 2^64): most sizes get their own row.
    const i = Math.round(u64ToNumber(value) / stepN) & (STEP_CACHE - 1);
    if (this.keys[i] === value) return this.values[i]!;
    const steps = stepsOf(value, step, stepN, max);
    if (steps >= 0) {
      this.keys[i] = value;
      this.values[i] = steps;
    }
    return steps;
  }
}

/** Entries of each StepCache (a power of two). */
const STEP_CACHE = 4_096;

/** floor(quote * bps / 10_000) in integers, where quote = lots * ticks * unitQuote. */
export function feeOf(
  quote: bigint,
  lots: number,
  ticks: number,
  unitQuoteN: number,
  bps: number,
): bigint {
  if (bps === 0) return 0n;
  const x = lots * ticks * unitQuoteN * bps;
  // x is an exact integer when <= 2^53; (x - x % BPS) / BPS is then an exact division.
  if (x <= MAX_SAFE) return BigInt((x - (x % BPS)) / BPS);
  return (quote * BigInt(bps)) / BPS_BIG;
}

/** Why a market configuration is refused, or null if it is sound. */
export function checkMarketConfig(config: MarketConfig): string | null {
  const { marketId, tickSize, lotSize, baseDecimals, makerFeeBps, takerFeeBps } = config;
  if (!Number.isInteger(marketId) || marketId < 0 || marketId > UINT32_MAX) return "marketId";
  if (tickSize <= 0n || lotSize <= 0n) return "tickSize/lotSize must be positive";
  if (!Number.isInteger(baseDecimals) || baseDecimals < 0 || baseDecimals > 77) {
    return "baseDecimals";
  }
  if ((lotSize * tickSize) % 10n ** BigInt(baseDecimals) !== 0n) {
    return "(lotSize * tickSize) % 10^baseDecimals != 0";
  }
  for (const bps of [makerFeeBps, takerFeeBps]) {
    if (!Number.isInteger(bps) || bps < 0 || bps > BPS) return "fee bps must be in 0..10000";
  }
  return null;
}
