/**
 * What a trader specifies for an order, and how the SDK fills in the rest (nonce, expiry,
 * fee cap, flags) to make the `Order` message that gets signed.
 */
import type { Address } from "viem";
import { OrderFlags, Side, type Order } from "@clearmatch/protocol";
import { ClearmatchClientError } from "./client-errors.js";

export interface OrderParams {
  /** Market id (uint32). */
  readonly marketId: number;
  /** `"buy"` / `"sell"`, or `Side.Buy` (0) / `Side.Sell` (1). */
  readonly side: "buy" | "sell" | Side;
  /** Limit price: quote atoms per one whole base unit (a multiple of the market's tick). */
  readonly price: bigint;
  /** Base atoms (a multiple of the market's lot). */
  readonly amount: bigint;
  /** Signer. Default: the wallet's account. */
  readonly trader?: Address;
  /** Default: a clock-based or random uint64, per `orderDefaults.nonce`. */
  readonly nonce?: bigint;
  /** Unix seconds at which the order stops being valid. Default: now + `ttlSeconds`. */
  readonly expiry?: bigint;
  /** Lifetime when `expiry` is not given. Default: `orderDefaults.ttlSeconds`. */
  readonly ttlSeconds?: number;
  /** Highest fee accepted, basis points of the quote amount. Default: `orderDefaults.maxFeeBps`. */
  readonly maxFeeBps?: number;
  /** Refuse instead of taking liquidity. */
  readonly postOnly?: boolean;
  /** Immediate-or-cancel: what does not fill at once is cancelled (a market order is IOC). */
  readonly ioc?: boolean;
  /** Fill-or-kill: fills completely at once or not at all. */
  readonly fok?: boolean;
}

/** Defaults of `buildOrder`, set once on the client. */
export interface OrderDefaults {
  /** Lifetime of an order without `expiry`. Default: 86400 (one day). */
  readonly ttlSeconds?: number;
  /** `maxFeeBps` of an order without one. Default: 30 (0.3 %). */
  readonly maxFeeBps?: number;
  /**
   * How nonces are chosen. `"clock"` (default): `clockNonce(now)`, increasing, so
   * `invalidateNonces(nonceFloorAt(t))` cancels every order made before `t` at once.
   * `"random"`: 64 random bits (no ordering; use when several processes sign for one account
   * without a shared clock).
   */
  readonly nonce?: "clock" | "random";
}

export type ResolvedOrderDefaults = Required<OrderDefaults>;

export function resolveOrderDefaults(defaults: OrderDefaults = {}): ResolvedOrderDefaults {
  return {
    ttlSeconds: defaults.ttlSeconds ?? 86_400,
    maxFeeBps: defaults.maxFeeBps ?? 30,
    nonce: defaults.nonce ?? "clock",
  };
}

/** Low bits of a clock nonce below the millisecond: 2^20 orders per ms per account. */
const CLOCK_NONCE_SHIFT = 20n;
const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT128 = (1n << 128n) - 1n;

/**
 * The smallest clock nonce of millisecond `ms`: `ms << 20`. Unix milliseconds stay below 2^44
 * until the year 2527, so the nonce (44 + 20 bits) fits uint64.
 */
export function nonceFloorAt(ms: number): bigint {
  return BigInt(Math.floor(ms)) << CLOCK_NONCE_SHIFT;
}

/** A clock nonce: `ms << 20 | 20 random bits`. */
export function clockNonce(ms: number): bigint {
  return nonceFloorAt(ms) | (randomUint64() & ((1n << CLOCK_NONCE_SHIFT) - 1n));
}

/** 64 bits from the platform CSPRNG (`crypto.getRandomValues`, Node and browsers). */
export function randomUint64(): bigint {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return (BigInt(words[0]!) << 32n) | BigInt(words[1]!);
}

function invalid(message: string, field: string): ClearmatchClientError {
  return new ClearmatchClientError("INVALID_ORDER_PARAMS", message, { details: { field } });
}

/** The `Order` for `params` with every default applied; `trader`, `nonce` and `nowMs` come in. */
export function orderFromParams(
  params: OrderParams,
  context: { trader: Address; nonce: bigint; nowMs: number; defaults: ResolvedOrderDefaults },
): Order {
  const side = params.side === "buy" ? Side.Buy : params.side === "sell" ? Side.Sell : params.side;
  if (side !== Side.Buy && side !== Side.Sell) throw invalid("side must be buy or sell", "side");
  if (!Number.isInteger(params.marketId) || params.marketId < 0 || params.marketId > 0xffff_ffff)
    throw invalid("marketId must be a uint32", "marketId");
  for (const field of ["price", "amount"] as const) {
    const value = params[field];
    if (typeof value !== "bigint" || value <= 0n || value > MAX_UINT128)
      throw invalid(`${field} must be a positive uint128 bigint (atoms)`, field);
  }
  const ttl = params.ttlSeconds ?? context.defaults.ttlSeconds;
  const expiry = params.expiry ?? BigInt(Math.floor(context.nowMs / 1000) + ttl);
  if (expiry < 0n || expiry > MAX_UINT64) throw invalid("expiry must be a uint64", "expiry");
  if (context.nonce < 0n || context.nonce > MAX_UINT64)
    throw invalid("nonce must be a uint64", "nonce");
  const maxFeeBps = params.maxFeeBps ?? context.defaults.maxFeeBps;
  if (!Number.isInteger(maxFeeBps) || maxFeeBps < 0 || maxFeeBps > 10_000)
    throw invalid("maxFeeBps must be an integer in [0, 10000]", "maxFeeBps");
  if (params.postOnly && (params.ioc || params.fok))
    throw invalid("postOnly cannot be combined with ioc or fok", "flags");

  const flags =
    (params.postOnly ? OrderFlags.PostOnly : 0) |
    (params.ioc ? OrderFlags.ImmediateOrCancel : 0) |
    (params.fok ? OrderFlags.FillOrKill : 0);
  return {
    trader: context.trader,
    marketId: params.marketId,
    side,
    price: params.price,
    amount: params.amount,
    nonce: context.nonce,
    expiry,
    maxFeeBps,
    flags,
  };
}
