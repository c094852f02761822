/**
 * Price band: refuses limit prices (and market orders' protective limits, which are limit
 * prices of IOC orders) further than ±bandBps basis points from a reference price. The caller
 * picks the reference (last trade, mid of the book, an index); without one the band does not
 * apply (a market's first order). Integer arithmetic only: the comparisons are cross-multiplied.
 */
import { ClearmatchError } from "../errors/clearmatch-error.js";

const BPS = 10_000n;

export interface PriceBandOptions {
  /** Half-width of the band in basis points of the reference price (config PRICE_BAND_BPS). */
  readonly bandBps: number;
}

export class PriceBand {
  readonly #band: bigint;

  constructor(options: PriceBandOptions) {
    if (!Number.isSafeInteger(options.bandBps) || options.bandBps <= 0) {
      throw new RangeError("bandBps must be a positive integer");
    }
    this.#band = BigInt(options.bandBps);
  }

  /** Lowest and highest accepted prices around `reference` (inclusive, rounded inwards). */
  limits(reference: bigint): { min: bigint; max: bigint } {
    const low = reference * (BPS - this.#band);
    return {
      min: low <= 0n ? 0n : (low + BPS - 1n) / BPS,
      max: (reference * (BPS + this.#band)) / BPS,
    };
  }

  /** Whether `price` is inside the band around `reference` (always, without a reference). */
  accepts(price: bigint, reference: bigint | undefined): boolean {
    if (reference === undefined) return true;
    const scaled = price * BPS;
    return scaled >= reference * (BPS - this.#band) && scaled <= reference * (BPS + this.#band);
  }

  /** Throws PRICE_BAND (details: price, reference, min, max) when `price` is outside. */
  check(price: bigint, reference: bigint | undefined): void {
    if (this.accepts(price, reference) || reference === undefined) return;
    const { min, max } = this.limits(reference);
    throw new ClearmatchError("PRICE_BAND", undefined, {
      details: {
        price: price.toString(),
        reference: reference.toString(),
        min: min.toString(),
        max: max.toString(),
      },
    });
  }
}
