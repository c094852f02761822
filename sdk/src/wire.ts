/**
 * JSON ↔ bigint: the one place where the SDK turns its typed values into the wire format and
 * back (`sequencer/src/api/schemas.ts` is the server's side).
 *
 * - uint64/uint128/uint256 travel as canonical decimal strings (JSON numbers lose precision
 *   above 2^53) and come back as `bigint`.
 * - uint8/16/32 travel as JSON numbers.
 * - Addresses come back EIP-55 checksummed, hashes and signatures lowercase.
 *
 * Decoders check the shape of what they read and throw `BAD_RESPONSE` naming the field, so a
 * server/SDK version skew fails loudly instead of yielding `undefined` amounts.
 */
import type {
  BalanceView,
  BatchStatus,
  BatchView,
  BookLevel,
  BookView,
  CancelResult,
  ExchangeInfo,
  FillProofView,
  FillStatus,
  FillView,
  MarketView,
  OrderStatus,
  OrderView,
  AcceptedOrderView,
  SubmitOrderResult,
  TradeView,
  SignedCancel,
  SignedOrder,
  FillLeaf,
  Order,
} from "@clearmatch/protocol";
import { getAddress, isAddress, type Address, type Hex } from "viem";
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

type Obj = Record<string, unknown>;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

function bad(path: string, expected: string, value: unknown): ClearmatchClientError {
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 80)) : String(value);
  return new ClearmatchClientError("BAD_RESPONSE", `${path}: expected ${expected}, got ${shown}`, {
    details: { path },
  });
}

function obj(value: unknown, path: string): Obj {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw bad(path, "an object", value);
  return value as Obj;
}

function arr<T>(value: unknown, path: string, item: (v: unknown, p: string) => T): T[] {
  if (!Array.isArray(value)) throw bad(path, "an array", value);
  return value.map((v, i) => item(v, `${path}[${i}]`));
}

/** A decimal string (or a safe JSON integer) as bigint; signed when `signed`. */
export function toBigInt(value: unknown, path = "value", signed = false): bigint {
  if (typeof value === "number" && Number.isSafeInteger(value) && (signed || value >= 0))
    return BigInt(value);
  if (typeof value === "string") {
    const negative = signed && value.startsWith("-") && value !== "-0";
    const digits = negative ? value.slice(1) : value;
    if (DECIMAL.test(digits)) return negative ? -BigInt(digits) : BigInt(digits);
  }
  throw bad(path, "a decimal integer string", value);
}

function big(o: Obj, key: string, path: string): bigint {
  return toBigInt(o[key], `${path}.${key}`);
}

function int(o: Obj, key: string, path: string): number {
  const value = o[key];
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "string" && DECIMAL.test(value) && value.length <= 15) return Number(value);
  throw bad(`${path}.${key}`, "a non-negative integer", value);
}

function flag(o: Obj, key: string, path: string): boolean {
  const v = o[key];
  if (typeof v !== "boolean") throw bad(`${path}.${key}`, "a boolean", v);
  return v;
}

function str(o: Obj, key: string, path: string): string {
  const value = o[key];
  if (typeof value !== "string") throw bad(`${path}.${key}`, "a string", value);
  return value;
}

function oneOf<T extends string>(o: Obj, key: string, path: string, values: readonly T[]): T {
  const value = str(o, key, path);
  if (!(values as readonly string[]).includes(value))
    throw bad(`${path}.${key}`, values.join(" | "), value);
  return value as T;
}

function hex(value: unknown, path: string, bytes?: number): Hex {
  const pattern = bytes === undefined ? /^0x([0-9a-fA-F]{2})*$/ : null;
  if (
    typeof value !== "string" ||
    (pattern ? !pattern.test(value) : !new RegExp(`^0x[0-9a-fA-F]{${bytes! * 2}}$`).test(value))
  )
    throw bad(path, bytes === undefined ? "hex bytes" : `${bytes} bytes of hex`, value);
  return value.toLowerCase() as Hex;
}

function address(value: unknown, path: string): Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false }))
    throw bad(path, "an address", value);
  return getAddress(value);
}

/** Sets `key` only when the wire value is present (exactOptionalPropertyTypes-friendly). */
function optional<K extends string, T>(o: Obj, key: K, read: () => T): { [P in K]?: T } {
  return (o[key] === undefined || o[key] === null ? {} : { [key]: read() }) as { [P in K]?: T };
}

export function decodeOrder(value: unknown, path = "order"): Order {
  const o = obj(value, path);
  return {
    trader: address(o["trader"], `${path}.trader`),
    marketId: int(o, "marketId", path),
    side: int(o, "side", path),
    price: big(o, "price", path),
    amount: big(o, "amount", path),
    nonce: big(o, "nonce", path),
    expiry: big(o, "expiry", path),
    maxFeeBps: int(o, "maxFeeBps", path),
    flags: int(o, "flags", path),
  };
}

const ORDER_STATUSES: readonly OrderStatus[] = [
  "open",
  "partially_filled",
  "filled",
  "cancelled",
  "expired",
];
const FILL_STATUSES: readonly FillStatus[] = [
  "matched",
  "batched",
  "committed",
  "finalized",
  "rolled_back",
];
const BATCH_STATUSES: readonly BatchStatus[] = ["open", "committed", "finalized", "rolled_back"];
const MARKET_STATUSES = ["active", "paused", "halted"] as const;

export function decodeOrderView(value: unknown, path = "order"): OrderView {
  const o = obj(value, path);
  return {
    orderHash: hex(o["orderHash"], `${path}.orderHash`, 32),
    order: decodeOrder(o["order"], `${path}.order`),
    signature: hex(o["signature"], `${path}.signature`),
    status: oneOf(o, "status", path, ORDER_STATUSES),
    filled: big(o, "filled", path),
    ...optional(o, "busted", () => big(o, "busted", path)),
    acceptedAt: int(o, "acceptedAt", path),
  };
}

export function decodeAcceptedOrder(value: unknown, path = "order"): AcceptedOrderView {
  const o = obj(value, path);
  return { ...decodeOrderView(value, path), seq: int(o, "seq", path) };
}

export function decodeTrade(value: unknown, path = "trade"): TradeView {
  const o = obj(value, path);
  return {
    fillId: str(o, "fillId", path),
    marketId: int(o, "marketId", path),
    price: big(o, "price", path),
    baseAmount: big(o, "baseAmount", path),
    quoteAmount: big(o, "quoteAmount", path),
    takerSide: int(o, "takerSide", path),
    matchedAt: int(o, "matchedAt", path),
  };
}

export function decodeFill(value: unknown, path = "fill"): FillView {
  const o = obj(value, path);
  return {
    ...decodeTrade(o, path),
    status: oneOf(o, "status", path, FILL_STATUSES),
    makerOrderHash: hex(o["makerOrderHash"], `${path}.makerOrderHash`, 32),
    takerOrderHash: hex(o["takerOrderHash"], `${path}.takerOrderHash`, 32),
    maker: address(o["maker"], `${path}.maker`),
    taker: address(o["taker"], `${path}.taker`),
    makerFee: big(o, "makerFee", path),
    takerFee: big(o, "takerFee", path),
    ...optional(o, "batchId", () => big(o, "batchId", path)),
    ...optional(o, "index", () => int(o, "index", path)),
    ...optional(o, "bustReason", () => str(o, "bustReason", path)),
  };
}

export function decodeSubmitOrderResult(value: unknown, path = "body"): SubmitOrderResult {
  const o = obj(value, path);
  if (typeof o["created"] !== "boolean") throw bad(`${path}.created`, "a boolean", o["created"]);
  return {
    created: o["created"],
    order: decodeOrderView(o["order"], `${path}.order`),
    ...optional(o, "fills", () => arr(o["fills"], `${path}.fills`, decodeFill)),
  };
}

export function decodeCancelResult(value: unknown, path = "body"): CancelResult {
  return { order: decodeOrderView(obj(value, path)["order"], `${path}.order`) };
}

export function decodeExchangeInfo(value: unknown, path = "info"): ExchangeInfo {
  const o = obj(value, path);
  const d = obj(o["domain"], `${path}.domain`);
  const orders = obj(o["orders"], `${path}.orders`);
  const rate = obj(o["rateLimit"], `${path}.rateLimit`);
  return {
    domain: {
      name: str(d, "name", `${path}.domain`),
      version: str(d, "version", `${path}.domain`),
      chainId: int(d, "chainId", `${path}.domain`),
      verifyingContract: address(d["verifyingContract"], `${path}.domain.verifyingContract`),
    },
    orders: {
      expiryMarginSec: int(orders, "expiryMarginSec", `${path}.orders`),
      maxLifetimeSec: int(orders, "maxLifetimeSec", `${path}.orders`),
      maxBatchOrders: int(orders, "maxBatchOrders", `${path}.orders`),
      priceBandBps: int(orders, "priceBandBps", `${path}.orders`),
    },
    rateLimit: {
      perSecond: int(rate, "perSecond", `${path}.rateLimit`),
      burst: int(rate, "burst", `${path}.rateLimit`),
    },
  };
}

export function decodeMarket(value: unknown, path = "market"): MarketView {
  const o = obj(value, path);
  return {
    marketId: int(o, "marketId", path),
    baseToken: address(o["baseToken"], `${path}.baseToken`),
    quoteToken: address(o["quoteToken"], `${path}.quoteToken`),
    baseDecimals: int(o, "baseDecimals", path),
    tickSize: big(o, "tickSize", path),
    lotSize: big(o, "lotSize", path),
    status: oneOf(o, "status", path, MARKET_STATUSES),
    makerFeeBps: int(o, "makerFeeBps", path),
    takerFeeBps: int(o, "takerFeeBps", path),
  };
}

function decodeLevel(value: unknown, path: string): BookLevel {
  const o = obj(value, path);
  return {
    price: big(o, "price", path),
    amount: big(o, "amount", path),
    orders: int(o, "orders", path),
  };
}

export function decodeBook(value: unknown, path = "book"): BookView {
  const o = obj(value, path);
  return {
    marketId: int(o, "marketId", path),
    sequence: big(o, "sequence", path),
    bids: arr(o["bids"], `${path}.bids`, decodeLevel),
    asks: arr(o["asks"], `${path}.asks`, decodeLevel),
  };
}

export function decodeBalance(value: unknown, path = "balance"): BalanceView {
  const o = obj(value, path);
  // `pending` and `available` may be negative in flight (a pending debit not yet finalized).
  const signed = (key: string) => toBigInt(o[key], `${path}.${key}`, true);
  return {
    token: address(o["token"], `${path}.token`),
    finalized: big(o, "finalized", path),
    pending: signed("pending"),
    reserved: big(o, "reserved", path),
    withdrawalRequested: big(o, "withdrawalRequested", path),
    available: signed("available"),
  };
}

export function decodeBatch(value: unknown, path = "batch"): BatchView {
  const o = obj(value, path);
  return {
    batchId: big(o, "batchId", path),
    status: oneOf(o, "status", path, BATCH_STATUSES),
    fillCount: int(o, "fillCount", path),
    ...optional(o, "fillsRoot", () => hex(o["fillsRoot"], `${path}.fillsRoot`, 32)),
    ...optional(o, "commitTxHash", () => hex(o["commitTxHash"], `${path}.commitTxHash`, 32)),
    ...optional(o, "finalizeTxHash", () => hex(o["finalizeTxHash"], `${path}.finalizeTxHash`, 32)),
    ...optional(o, "committedAt", () => int(o, "committedAt", path)),
    ...optional(o, "finalizedAt", () => int(o, "finalizedAt", path)),
    ...optional(o, "challengeDeadline", () => big(o, "challengeDeadline", path)),
  };
}

export function decodeFillLeaf(value: unknown, path = "leaf"): FillLeaf {
  const o = obj(value, path);
  return {
    batchId: big(o, "batchId", path),
    index: int(o, "index", path),
    makerOrderHash: hex(o["makerOrderHash"], `${path}.makerOrderHash`, 32),
    takerOrderHash: hex(o["takerOrderHash"], `${path}.takerOrderHash`, 32),
    maker: address(o["maker"], `${path}.maker`),
    taker: address(o["taker"], `${path}.taker`),
    marketId: int(o, "marketId", path),
    takerSide: int(o, "takerSide", path),
    price: big(o, "price", path),
    baseAmount: big(o, "baseAmount", path),
    quoteAmount: big(o, "quoteAmount", path),
    makerFee: big(o, "makerFee", path),
    takerFee: big(o, "takerFee", path),
    makerFilledAfter: big(o, "makerFilledAfter", path),
    takerFilledAfter: big(o, "takerFilledAfter", path),
    takerFok: flag(o, "takerFok", path),
    fokRunEnd: flag(o, "fokRunEnd", path),
  };
}

function decodeProvenOrder(value: unknown, path: string): FillProofView["makerOrder"] {
  const o = obj(value, path);
  return {
    orderHash: hex(o["orderHash"], `${path}.orderHash`, 32),
    order: decodeOrder(o["order"], `${path}.order`),
    signature: hex(o["signature"], `${path}.signature`),
    ...optional(o, "chainId", () => int(o, "chainId", path)),
    ...optional(o, "verifyingContract", () =>
      address(o["verifyingContract"], `${path}.verifyingContract`),
    ),
  };
}

export function decodeFillProof(value: unknown, path = "body"): FillProofView {
  const o = obj(value, path);
  return {
    fillId: str(o, "fillId", path),
    leaf: decodeFillLeaf(o["leaf"], `${path}.leaf`),
    leafHash: hex(o["leafHash"], `${path}.leafHash`, 32),
    proof: arr(o["proof"], `${path}.proof`, (v, p) => hex(v, p, 32)),
    batch: decodeBatch(o["batch"], `${path}.batch`),
    makerOrder: decodeProvenOrder(o["makerOrder"], `${path}.makerOrder`),
    takerOrder: decodeProvenOrder(o["takerOrder"], `${path}.takerOrder`),
  };
}

/** `{ [key]: T[] }` answers (`{ markets }`, `{ trades }`, ...). */
export function decodeList<T>(
  key: string,
  item: (value: unknown, path: string) => T,
): (value: unknown) => T[] {
  return (value) => arr(obj(value, "body")[key], `body.${key}`, item);
}
