/**
 * zod schemas of the API's answers (the views of `wire-types.ts`): the SDK decodes with them,
 * the API document describes them with `toJsonSchema`, and tests hold the server's routes to
 * them. Read leniently where a newer server may add: unknown fields are dropped, a `null`
 * optional field reads as absent, a uint may come as a safe JSON integer. Each schema is typed
 * against its view, so the two cannot drift apart.
 */
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { withJsonSchema } from "./json-schema.js";
import { DECIMAL } from "./wire-schemas.js";
import { BATCH_STATUSES, FILL_STATUSES, MARKET_STATUSES, ORDER_STATUSES } from "./statuses.js";
import type {
  AcceptedOrderView,
  BalanceView,
  BatchView,
  BookLevel,
  BookView,
  CancelResult,
  ExchangeInfo,
  FillProofView,
  FillView,
  MarketView,
  OrderView,
  SubmitOrderResult,
  TradeView,
} from "./wire-types.js";
import type { FillLeaf, Order } from "./eip712.js";

/** A schema that reads wire JSON into `T`. */
export type WireSchema<T> = z.ZodType<T, z.ZodTypeDef, unknown>;
type Schema<T> = WireSchema<T>;

function issue(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message });
  return z.NEVER;
}

/** A decimal string (or a safe JSON integer) as bigint; negative allowed when `signed`. */
function wireBigint(signed: boolean): Schema<bigint> {
  const schema = z.unknown().transform((v, ctx): bigint => {
    if (typeof v === "number" && Number.isSafeInteger(v) && (signed || v >= 0)) return BigInt(v);
    if (typeof v === "string") {
      const negative = signed && v.startsWith("-") && v !== "-0";
      const digits = negative ? v.slice(1) : v;
      if (DECIMAL.test(digits)) return negative ? -BigInt(digits) : BigInt(digits);
    }
    return issue(ctx, `expected a ${signed ? "" : "non-negative "}decimal integer string`);
  });
  return withJsonSchema(schema, {
    type: "string",
    pattern: signed ? "^-?(0|[1-9][0-9]*)$" : DECIMAL.source,
    description: "integer as a decimal string",
  });
}

/** A non-negative integer of an answer: decimal string (or safe JSON integer) to bigint. */
export const wireUint: WireSchema<bigint> = wireBigint(false);
/** A signed integer of an answer (a balance's `pending`, `available`). */
export const wireInt: WireSchema<bigint> = wireBigint(true);
const uint = wireUint;
const int = wireInt;

/** A non-negative safe integer (a short decimal string accepted). */
const count: Schema<number> = withJsonSchema(
  z.unknown().transform((v, ctx): number => {
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
    if (typeof v === "string" && DECIMAL.test(v) && v.length <= 15) return Number(v);
    return issue(ctx, "expected a non-negative integer");
  }),
  { type: "integer", minimum: 0 },
);

const address: Schema<Address> = withJsonSchema(
  z.unknown().transform((v, ctx): Address => {
    if (typeof v === "string" && isAddress(v, { strict: false })) return getAddress(v);
    return issue(ctx, "expected an address");
  }),
  { type: "string", pattern: "^0x[0-9a-fA-F]{40}$", description: "EIP-55 checksummed" },
);

function hex(bytes?: number): Schema<Hex> {
  const pattern = new RegExp(
    bytes === undefined ? "^0x([0-9a-fA-F]{2})*$" : `^0x[0-9a-fA-F]{${bytes * 2}}$`,
  );
  const expected = bytes === undefined ? "hex bytes" : `${bytes} bytes of hex`;
  return withJsonSchema(
    z.unknown().transform((v, ctx): Hex => {
      if (typeof v === "string" && pattern.test(v)) return v.toLowerCase() as Hex;
      return issue(ctx, `expected ${expected}`);
    }),
    { type: "string", pattern: pattern.source },
  );
}

const hash = hex(32);

/** A view object: unknown fields dropped, `null` optional fields read as absent. */
function view<T extends z.ZodRawShape>(shape: T) {
  const object = z.object(shape);
  return z.preprocess((v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = x;
    return out;
  }, object);
}

export const orderWireSchema: Schema<Order> = view({
  trader: address,
  marketId: count,
  side: count,
  price: uint,
  amount: uint,
  nonce: uint,
  expiry: uint,
  maxFeeBps: count,
  flags: count,
});

const orderViewShape = {
  orderHash: hash,
  order: orderWireSchema,
  signature: hex(),
  status: z.enum(ORDER_STATUSES),
  filled: uint,
  busted: uint.optional(),
  acceptedAt: count,
};
export const orderViewSchema: Schema<OrderView> = view(orderViewShape);
export const acceptedOrderViewSchema: Schema<AcceptedOrderView> = view({
  ...orderViewShape,
  seq: count,
});

const tradeShape = {
  fillId: z.string(),
  marketId: count,
  price: uint,
  baseAmount: uint,
  quoteAmount: uint,
  takerSide: count,
  matchedAt: count,
};
export const tradeViewSchema: Schema<TradeView> = view(tradeShape);
export const fillViewSchema: Schema<FillView> = view({
  ...tradeShape,
  status: z.enum(FILL_STATUSES),
  makerOrderHash: hash,
  takerOrderHash: hash,
  maker: address,
  taker: address,
  makerFee: uint,
  takerFee: uint,
  batchId: uint.optional(),
  index: count.optional(),
  bustReason: z.string().optional(),
});

export const submitOrderResultSchema: Schema<SubmitOrderResult> = view({
  created: z.boolean(),
  order: orderViewSchema,
  fills: z.array(fillViewSchema).optional(),
});
export const cancelResultSchema: Schema<CancelResult> = view({ order: orderViewSchema });

export const exchangeInfoSchema: Schema<ExchangeInfo> = view({
  domain: view({
    name: z.string(),
    version: z.string(),
    chainId: count,
    verifyingContract: address,
  }),
  orders: view({
    expiryMarginSec: count,
    maxLifetimeSec: count,
    maxBatchOrders: count,
    priceBandBps: count,
  }),
  rateLimit: view({ perSecond: count, burst: count }),
});

export const marketViewSchema: Schema<MarketView> = view({
  marketId: count,
  baseToken: address,
  quoteToken: address,
  baseDecimals: count,
  tickSize: uint,
  lotSize: uint,
  status: z.enum(MARKET_STATUSES),
  makerFeeBps: count,
  takerFeeBps: count,
});

const bookLevelSchema: Schema<BookLevel> = view({ price: uint, amount: uint, orders: count });
export const bookViewSchema: Schema<BookView> = view({
  marketId: count,
  sequence: uint,
  bids: z.array(bookLevelSchema),
  asks: z.array(bookLevelSchema),
});

export const balanceViewSchema: Schema<BalanceView> = view({
  token: address,
  finalized: uint,
  // `pending` and `available` may be negative in flight (a pending debit not yet finalized).
  pending: int,
  reserved: uint,
  withdrawalRequested: uint,
  available: int,
});

export const batchViewSchema: Schema<BatchView> = view({
  batchId: uint,
  status: z.enum(BATCH_STATUSES),
  fillCount: count,
  fillsRoot: hash.optional(),
  commitTxHash: hash.optional(),
  finalizeTxHash: hash.optional(),
  committedAt: count.optional(),
  finalizedAt: count.optional(),
  challengeDeadline: uint.optional(),
});

export const fillLeafSchema: Schema<FillLeaf> = view({
  batchId: uint,
  index: count,
  makerOrderHash: hash,
  takerOrderHash: hash,
  maker: address,
  taker: address,
  marketId: count,
  takerSide: count,
  price: uint,
  baseAmount: uint,
  quoteAmount: uint,
  makerFee: uint,
  takerFee: uint,
  makerFilledAfter: uint,
  takerFilledAfter: uint,
  takerFok: z.boolean(),
  fokRunEnd: z.boolean(),
});

const provenOrderSchema: Schema<FillProofView["makerOrder"]> = view({
  orderHash: hash,
  order: orderWireSchema,
  signature: hex(),
  chainId: count.optional(),
  verifyingContract: address.optional(),
});

export const fillProofViewSchema: Schema<FillProofView> = view({
  fillId: z.string(),
  leaf: fillLeafSchema,
  leafHash: hash,
  proof: z.array(hash),
  batch: batchViewSchema,
  makerOrder: provenOrderSchema,
  takerOrder: provenOrderSchema,
});
