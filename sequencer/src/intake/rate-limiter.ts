/**
 * Token-bucket rate limiter keyed by any string (an account address, a client IP). No clock
 * inside: the caller passes the time, so tests and replays are deterministic. Integer
 * arithmetic in milli-tokens (no floating point drift): a bucket holds at most `burst` tokens
 * and gains `ratePerSec` tokens per second; a bucket never seen is full.
 */
import { ClearmatchError } from "../errors/clearmatch-error.js";

export interface RateLimiterOptions {
  /** Tokens added per second (config RATE_LIMIT_PER_SEC). */
  readonly ratePerSec: number;
  /** Bucket capacity (config RATE_LIMIT_BURST). */
  readonly burst: number;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Whole tokens left after this decision. */
  readonly remaining: number;
  /** When refused: milliseconds until `cost` tokens are available; `null` if never (cost > burst). */
  readonly retryAfterMs: number | null;
}

interface Bucket {
  milliTokens: number;
  updatedAt: number;
}

const MILLI = 1000;

export class RateLimiter {
  readonly #ratePerMs: number; // milli-tokens per millisecond == tokens per second
  readonly #capacity: number; // in milli-tokens
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimiterOptions) {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isSafeInteger(value) || value <= 0)
        throw new RangeError(`${name} must be a positive integer`);
    }
    this.#ratePerMs = options.ratePerSec;
    this.#capacity = options.burst * MILLI;
  }

  /** Takes `cost` tokens from `key`'s bucket at time `nowMs` if it holds them. */
  take(key: string, nowMs: number, cost = 1): RateLimitDecision {
    const bucket = this.#refilled(key, nowMs);
    const needed = cost * MILLI;
    if (needed > this.#capacity) {
      return {
        allowed: false,
        remaining: Math.floor(bucket.milliTokens / MILLI),
        retryAfterMs: null,
      };
    }
    if (bucket.milliTokens < needed) {
      return {
        allowed: false,
        remaining: Math.floor(bucket.milliTokens / MILLI),
        retryAfterMs: Math.ceil((needed - bucket.milliTokens) / this.#ratePerMs),
      };
    }
    bucket.milliTokens -= needed;
    return { allowed: true, remaining: Math.floor(bucket.milliTokens / MILLI), retryAfterMs: null };
  }

  /** Like `take`, but throws RATE_LIMITED (details.retryAfterMs) when refused. */
  consume(key: string, nowMs: number, cost = 1): void {
    const decision = this.take(key, nowMs, cost);
    if (!decision.allowed) {
      throw new ClearmatchError("RATE_LIMITED", undefined, {
        details: { retryAfterMs: decision.retryAfterMs },
      });
    }
  }

  /** Forgets buckets that are full again (they behave exactly like unseen ones). */
  prune(nowMs: number): number {
    let removed = 0;
    for (const [key, bucket] of this.#buckets) {
      if (this.#level(bucket, nowMs) >= this.#capacity) {
        this.#buckets.delete(key);
        removed += 1;
      }
    }
    return removed;
  }

  /** Number of buckets held in memory. */
  get size(): number {
    return this.#buckets.size;
  }

  #level(bucket: Bucket, nowMs: number): number {
    // Time going backwards adds nothing; a long gap only needs to fill the bucket.
    const elapsed = Math.min(
      Math.max(0, nowMs - bucket.updatedAt),
      this.#capacity / this.#ratePerMs + 1,
    );
    return Math.min(this.#capacity, bucket.milliTokens + Math.floor(elapsed) * this.#ratePerMs);
  }

  #refilled(key: string, nowMs: number): Bucket {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { milliTokens: this.#capacity, updatedAt: nowMs };
      this.#buckets.set(key, bucket);
      return bucket;
    }
    bucket.milliTokens = this.#level(bucket, nowMs);
    bucket.updatedAt = Math.max(bucket.updatedAt, nowMs);
    return bucket;
  }
}
