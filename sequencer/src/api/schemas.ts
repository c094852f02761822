/**
 * The server's side of the wire format: path, query, admin and WebSocket schemas, and the hot
 * path's hand parsers (same answers as the zod schemas for well-formed input, without zod). The
 * signed order and cancel schemas and their primitives are the protocol's (`wire-schemas.ts`),
 * shared with the SDK and the API document.
 */
import type { Address, Hex } from "viem";
import {
  addressSchema,
  BOOK_DEPTH,
  LIST_LIMIT,
  fastSmallUint,
  fastUint,
  KNOWN_FLAGS_MASK,
  MAX_FEE_BPS,
  maxUint,
  orderHashSchema,
  parseAddressStrict,
  smallUint,
  uintString,
  ORDER_FIELD_NAMES,
  type Order,
  type SignedOrder,
} from "@clearmatch/protocol";
import { z } from "zod";

// Path and query parameters.

export const marketIdParamsSchema = z.object({ marketId: smallUint(0xffff_ffff) }).strict();
export const addressParamsSchema = z.object({ address: addressSchema }).strict();
export const orderHashParamsSchema = z.object({ orderHash: orderHashSchema }).strict();
export const batchIdParamsSchema = z.object({ batchId: uintString(64) }).strict();
/** Fill ids are opaque service-assigned strings; this only bounds their shape. */
export const fillIdParamsSchema = z
  .object({ fillId: z.string().regex(/^[0-9A-Za-z:_-]{1,100}$/, { message: "is not a fill id" }) })
  .strict();

export const bookQuerySchema = z
  .object({ depth: smallUint(BOOK_DEPTH.max, 1).default(BOOK_DEPTH.default) })
  .strict();
export const listQuerySchema = z
  .object({ limit: smallUint(LIST_LIMIT.max, 1).default(LIST_LIMIT.default) })
  .strict();
/**
 * Account orders and fills: `after` is the previous page's `nextCursor` (the last order hash or
 * fill id it returned). Only its length is bounded here; the service answers INVALID_CURSOR for
 * one that is not among the account's orders or fills.
 */
export const pagedListQuerySchema = z
  .object({
    limit: smallUint(LIST_LIMIT.max, 1).default(LIST_LIMIT.default),
    after: z.string().max(100).optional(),
  })
  .strict();
export const batchesQuerySchema = z
  .object({
    limit: smallUint(LIST_LIMIT.max, 1).default(LIST_LIMIT.default),
    /** Only batches with a smaller id (paging backwards from the newest). */
    before: uintString(64).optional(),
  })
  .strict();

// Admin bodies.

const reason = z.string().max(200).optional();
export const killSwitchBodySchema = z.object({ engaged: z.boolean(), reason }).strict();
export const haltBodySchema = z.object({ reason }).strict();
export const emptyBodySchema = z.object({}).strict();

// WebSocket client messages (`ws-hub.ts`).

const channelList = z.array(z.string().max(100)).min(1).max(100);
const messageId = z.union([z.string().max(64), z.number().int()]).optional();
export const wsClientMessageSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("subscribe"), channels: channelList, id: messageId }).strict(),
  z.object({ op: z.literal("unsubscribe"), channels: channelList, id: messageId }).strict(),
  z.object({ op: z.literal("ping"), id: messageId }).strict(),
]);
export type WsClientMessage = z.output<typeof wsClientMessageSchema>;

// Hot-path parsers: the same answers as the zod schemas for well-formed input, without zod.

const SIGNATURE_HEX = /^0x[0-9a-fA-F]{130}$/;
const UINT128_MAX = maxUint(128);
const UINT64_MAX = maxUint(64);
const UINT128_DIGITS = UINT128_MAX.toString().length;
const UINT64_DIGITS = UINT64_MAX.toString().length;
const ORDER_FIELDS = new Set<string>(ORDER_FIELD_NAMES);
const SIGNED_ORDER_FIELDS = new Set(["order", "signature", "chainId", "verifyingContract"]);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Every own enumerable key of `value` is in `allowed` (what `.strict()` demands). */
function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

/**
 * `signedOrderSchema.parse(input)` for input the schema accepts (the same object, keys in the
 * same order); undefined for anything else, where the caller runs the schema for its issues.
 * Proven equal to the schema in `api-fast-parse.test.ts`.
 */
export function parseSignedOrderFast(input: unknown): SignedOrder | undefined {
  if (!isRecord(input) || !onlyKeys(input, SIGNED_ORDER_FIELDS)) return undefined;
  const o = input["order"];
  if (!isRecord(o) || !onlyKeys(o, ORDER_FIELDS)) return undefined;
  const trader = parseAddressStrict(o["trader"]);
  const marketId = fastSmallUint(o["marketId"], 0xffff_ffff);
  const side = fastSmallUint(o["side"], 1);
  const price = fastUint(o["price"], UINT128_MAX, UINT128_DIGITS, 1n);
  const amount = fastUint(o["amount"], UINT128_MAX, UINT128_DIGITS, 1n);
  const nonce = fastUint(o["nonce"], UINT64_MAX, UINT64_DIGITS, 0n);
  const expiry = fastUint(o["expiry"], UINT64_MAX, UINT64_DIGITS, 0n);
  const maxFeeBps = fastSmallUint(o["maxFeeBps"], MAX_FEE_BPS);
  const flags = fastSmallUint(o["flags"], 0xff);
  const signature = input["signature"];
  if (
    trader === undefined ||
    Number.isNaN(marketId) ||
    Number.isNaN(side) ||
    price === undefined ||
    amount === undefined ||
    nonce === undefined ||
    expiry === undefined ||
    Number.isNaN(maxFeeBps) ||
    Number.isNaN(flags) ||
    (flags & ~KNOWN_FLAGS_MASK) !== 0 ||
    typeof signature !== "string" ||
    !SIGNATURE_HEX.test(signature)
  ) {
    return undefined;
  }
  const order: Order = { trader, marketId, side, price, amount, nonce, expiry, maxFeeBps, flags };
  const signed: {
    order: Order;
    signature: Hex;
    chainId?: number;
    verifyingContract?: Address;
  } = { order, signature: signature.toLowerCase() as Hex };
  if ("chainId" in input) {
    const chainId = fastSmallUint(input["chainId"], Number.MAX_SAFE_INTEGER, 1);
    if (Number.isNaN(chainId)) return undefined;
    signed.chainId = chainId;
  }
  if ("verifyingContract" in input) {
    const contract = parseAddressStrict(input["verifyingContract"]);
    if (contract === undefined) return undefined;
    signed.verifyingContract = contract;
  }
  return signed;
}

/**
 * `signedOrderBatchSchema(maxOrders).parse(input)` for input the schema accepts; undefined for
 * anything else (the caller runs the schema for its issues).
 */
export function parseSignedOrderBatchFast(
  input: unknown,
  maxOrders: number,
): { orders: SignedOrder[] } | undefined {
  if (!isRecord(input)) return undefined;
  for (const key in input) if (key !== "orders") return undefined;
  const list = input["orders"];
  if (!Array.isArray(list) || list.length < 1 || list.length > maxOrders) return undefined;
  const orders: SignedOrder[] = new Array<SignedOrder>(list.length);
  for (let i = 0; i < list.length; i++) {
    const signed = parseSignedOrderFast(list[i]);
    if (signed === undefined) return undefined;
    orders[i] = signed;
  }
  return { orders };
}
