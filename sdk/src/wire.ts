/**
 * JSON ↔ bigint: the one place where the SDK turns its typed values into the wire format and
 * back.
 *
 * - uint64/uint128/uint256 travel as canonical decimal strings (JSON numbers lose precision
 *   above 2^53) and come back as `bigint`.
 * - uint8/16/32 travel as JSON numbers.
 * - Addresses come back EIP-55 checksummed, hashes and signatures lowercase.
 *
 * Decoders are the protocol's answer schemas (`wire-views.ts`, the same the API document is made
 * from): they check the shape of what they read and throw `BAD_RESPONSE` naming the field, so a
 * server/SDK version skew fails loudly instead of yielding `undefined` amounts.
 */
import {
  type AcceptedOrderView,
  type BalanceView,
  type BatchView,
  type BookView,
  type CancelResult,
  type ExchangeInfo,
  type FillLeaf,
  type FillProofView,
  type FillView,
  type MarketView,
  type Order,
  type OrderView,
  type SignedCancel,
  type SignedOrder,
  type SubmitOrderResult,
  type TradeView,
  type WireSchema,
  acceptedOrderViewSchema,
  balanceViewSchema,
  batchViewSchema,
  bookViewSchema,
  cancelResultSchema,
  exchangeInfoSchema,
  fillLeafSchema,
  fillProofViewSchema,
  fillViewSchema,
  marketViewSchema,
  orderViewSchema,
  orderWireSchema,
  submitOrderResultSchema,
  tradeViewSchema,
  wireInt,
  wireUint,
} from "@clearmatch/protocol";
import type { Address, Hex } from "viem";
import { ClearmatchClientError } from "./client-errors.js";

// ---------------------------------------------------------------- encoding (client → server)

/** An `Order` as the API accepts it. */
export interface OrderJson {
  trader: Address;
  marketId: number;
  side: number;
  price: string;
  amount: string;
  nonce: string;
  expiry: string;
  maxFeeBps: number;
  flags: number;
}

/** Body of `POST /v1/orders` (and one item of `POST /v1/orders/batch`). */
export interface SignedOrderJson {
  order: OrderJson;
  signature: Hex;
  chainId?: number;
  verifyingContract?: Address;
}

/** Body of `POST /v1/cancels`. */
export interface SignedCancelJson {
  orderHash: Hex;
  signature: Hex;
  chainId?: number;
  verifyingContract?: Address;
}

export function encodeOrder(order: Order): OrderJson {
  return {
    trader: order.trader,
    marketId: order.marketId,
    side: order.side,
    price: order.price.toString(),
    amount: order.amount.toString(),
    nonce: order.nonce.toString(),
    expiry: order.expiry.toString(),
    maxFeeBps: order.maxFeeBps,
    flags: order.flags,
  };
}

export function encodeSignedOrder(signed: SignedOrder): SignedOrderJson {
  return {
    order: encodeOrder(signed.order),
    signature: signed.signature,
    ...(signed.chainId === undefined ? {} : { chainId: signed.chainId }),
    ...(signed.verifyingContract === undefined
      ? {}
      : { verifyingContract: signed.verifyingContract }),
  };
}

export function encodeSignedCancel(cancel: SignedCancel): SignedCancelJson {
  return {
    orderHash: cancel.orderHash,
    signature: cancel.signature,
    ...(cancel.chainId === undefined ? {} : { chainId: cancel.chainId }),
    ...(cancel.verifyingContract === undefined
      ? {}
      : { verifyingContract: cancel.verifyingContract }),
  };
}

// ---------------------------------------------------------------- decoding (server → client)

type Decoder<T> = (value: unknown, path?: string) => T;

function bad(path: string, message: string, value: unknown): ClearmatchClientError {
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 80)) : String(value);
  return new ClearmatchClientError("BAD_RESPONSE", `${path}: ${message}, got ${shown}`, {
    details: { path },
  });
}

/** A decoder of `schema`'s output; a failure is BAD_RESPONSE naming the first field at fault. */
function decoder<T>(schema: WireSchema<T>, root: string): Decoder<T> {
  return (value, path = root) => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const first = result.error.issues[0]!;
    let at: unknown = value;
    for (const key of first.path) at = (at as Record<string | number, unknown> | undefined)?.[key];
    const where = [path, ...first.path].join(".").replace(/\.(\d+)(?=\.|$)/g, "[$1]");
    throw bad(where, first.message, at);
  };
}

const decodeUint = decoder(wireUint, "value");
const decodeInt = decoder(wireInt, "value");

/** A decimal string (or a safe JSON integer) as bigint; signed when `signed`. */
export function toBigInt(value: unknown, path = "value", signed = false): bigint {
  return (signed ? decodeInt : decodeUint)(value, path);
}

export const decodeOrder: Decoder<Order> = decoder(orderWireSchema, "order");
export const decodeOrderView: Decoder<OrderView> = decoder(orderViewSchema, "order");
export const decodeAcceptedOrder: Decoder<AcceptedOrderView> = decoder(
  acceptedOrderViewSchema,
  "order",
);
export const decodeTrade: Decoder<TradeView> = decoder(tradeViewSchema, "trade");
export const decodeFill: Decoder<FillView> = decoder(fillViewSchema, "fill");
export const decodeSubmitOrderResult: Decoder<SubmitOrderResult> = decoder(
  submitOrderResultSchema,
  "body",
);
export const decodeCancelResult: Decoder<CancelResult> = decoder(cancelResultSchema, "body");
export const decodeExchangeInfo: Decoder<ExchangeInfo> = decoder(exchangeInfoSchema, "info");
export const decodeMarket: Decoder<MarketView> = decoder(marketViewSchema, "market");
export const decodeBook: Decoder<BookView> = decoder(bookViewSchema, "book");
export const decodeBalance: Decoder<BalanceView> = decoder(balanceViewSchema, "balance");
export const decodeBatch: Decoder<BatchView> = decoder(batchViewSchema, "batch");
export const decodeFillLeaf: Decoder<FillLeaf> = decoder(fillLeafSchema, "leaf");
export const decodeFillProof: Decoder<FillProofView> = decoder(fillProofViewSchema, "body");

/** `{ [key]: T[] }` answers (`{ markets }`, `{ trades }`, ...). */
export function decodeList<T>(key: string, item: Decoder<T>): (value: unknown) => T[] {
  return (value) => {
    const list = (value as Record<string, unknown> | null)?.[key];
    if (!Array.isArray(list)) throw bad(`body.${key}`, "expected an array", list);
    return list.map((v, i) => item(v, `body.${key}[${i}]`));
  };
}
