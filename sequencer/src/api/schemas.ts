/**
 * zod schemas of the REST wire format. Everything a client sends passes through one of these
 * before it reaches the service, so nothing malformed reaches the engine.
 *
 * Rules:
 * - Objects are strict: an unknown field is an error (so is `__proto__`).
 * - uint64/uint128 fields are canonical decimal strings (no sign, decimal point, exponent,
 *   whitespace or leading zeros) within the Solidity type's range; they parse to `bigint`.
 *   JSON numbers are refused for them: above 2^53 they would already have lost precision.
 * - uint8/uint16/uint32 fields accept a JSON integer or a canonical decimal string.
 * - Addresses are EIP-55 checksummed or all-lowercase hex; they parse to checksummed form.
 * - Hex byte strings (signature, order hash) have exact lengths; they parse to lowercase.
 */
import { getAddress, isAddress, type Address, type Hex } from "viem";
import {
  parseAddressStrict,
  ORDER_FIELD_NAMES,
  type Order,
  type SignedCancel,
  type SignedOrder,
} from "@clearmatch/protocol";
import { z } from "zod";

const DECIMAL = /^(0|[1-9][0-9]*)$/;

function missing(ctx: z.RefinementCtx): never {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: "Required" });
  return z.NEVER;
}

/** Largest value of a Solidity `uint<bits>`. */
function maxUint(bits: number): bigint {
  return (1n << BigInt(bits)) - 1n;
}

/** A uint64/uint128 as a canonical decimal string, parsed to bigint within [min, 2^bits - 1]. */
export function uintString(bits: 64 | 128 | 256, min = 0n) {
  const max = maxUint(bits);
  const maxDigits = max.toString().length;
  return z.unknown().transform((value, ctx): bigint => {
    if (value === undefined) return missing(ctx);
    if (typeof value !== "string" || value.length > maxDigits || !DECIMAL.test(value)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `must be a uint${bits} as a canonical decimal string`,
      });
      return z.NEVER;
    }
    const parsed = BigInt(value);
    if (parsed > max || parsed < min) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `must be between ${min} and 2^${bits} - 1`,
      });
      return z.NEVER;
    }
    return parsed;
  });
}

/** A small unsigned integer (uint8/16/32 or a narrower range): JSON integer or decimal string. */
export function smallUint(max: number, min = 0) {
  return z.unknown().transform((value, ctx): number => {
    if (value === undefined) return missing(ctx);
    const parsed = fastSmallUint(value, max, min);
    if (Number.isNaN(parsed)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `must be an integer between ${min} and ${max}`,
      });
      return z.NEVER;
    }
    return parsed;
  });
}

/** An EVM address, checksummed or lowercase, parsed to its checksummed form. */
export const addressSchema = z
  .string()
  .refine((v) => isAddress(v, { strict: true }), {
    message: "must be a 20-byte hex address, EIP-55 checksummed or lowercase",
  })
  .transform((v): Address => getAddress(v));

/** `0x` followed by exactly `bytes` bytes of hex, parsed to lowercase. */
export function hexBytes(bytes: number) {
  const pattern = new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`);
  return z
    .string()
    .regex(pattern, { message: `must be 0x followed by ${bytes} bytes of hex` })
    .transform((v) => v.toLowerCase() as Hex);
}

/** A 65-byte `r ‖ s ‖ v` ECDSA signature. Its validity is the service's check. */
export const signatureSchema = hexBytes(65);

/** A 32-byte EIP-712 digest (an order's id). */
export const orderHashSchema = hexBytes(32);

/** Highest maxFeeBps accepted: 100 %. uint16 allows more, but a fee above 100 % is nonsense. */
export const MAX_FEE_BPS = 10_000;

/** Flags the protocol defines (post-only 1, IOC 2, FOK 4); other bits are refused. */
export const KNOWN_FLAGS_MASK = 0b111;

/** The `Order` message (DESIGN.md, "Signed messages"); price and amount must be positive. */
export const orderSchema = z
  .object({
    trader: addressSchema,
    marketId: smallUint(0xffff_ffff),
    side: smallUint(1),
    price: uintString(128, 1n),
    amount: uintString(128, 1n),
    nonce: uintString(64),
    expiry: uintString(64),
    maxFeeBps: smallUint(MAX_FEE_BPS),
    flags: smallUint(0xff).refine((f) => (f & ~KNOWN_FLAGS_MASK) === 0, {
      message: "has unknown bits (known: 1 post-only, 2 immediate-or-cancel, 4 fill-or-kill)",
    }),
  })
  .strict();

/** Optional domain fields: when present and different from the sequencer's, the service
 * answers WRONG_CHAIN / WRONG_CONTRACT instead of a less helpful BAD_SIGNATURE. */
const domainHints = {
  chainId: smallUint(Number.MAX_SAFE_INTEGER, 1).optional(),
  verifyingContract: addressSchema.optional(),
};

export const signedOrderSchema = z
  .object({ order: orderSchema, signature: signatureSchema, ...domainHints })
  .strict();

export const signedCancelSchema = z
  .object({ orderHash: orderHashSchema, signature: signatureSchema, ...domainHints })
  .strict();

/** `POST /v1/orders/batch` body: `{ orders: [...] }` with 1..maxOrders signed orders. */
export function signedOrderBatchSchema(maxOrders: number) {
  return z
    .object({
      orders: z
        .array(signedOrderSchema)
        .min(1, { message: "must hold at least one order" })
        .max(maxOrders, { message: `must hold at most ${maxOrders} orders` }),
    })
    .strict();
}

// Compile-time proof that the schemas produce exactly these types.
type Equals<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const signedOrderMatches: Equals<z.output<typeof signedOrderSchema>, SignedOrder> = true;
const signedCancelMatches: Equals<z.output<typeof signedCancelSchema>, SignedCancel> = true;
void signedOrderMatches;
void signedCancelMatches;

// Path and query parameters.

export const marketIdParamsSchema = z.object({ marketId: smallUint(0xffff_ffff) }).strict();
export const addressParamsSchema = z.object({ address: addressSchema }).strict();
export const orderHashParamsSchema = z.object({ orderHash: orderHashSchema }).strict();
export const batchIdParamsSchema = z.object({ batchId: uintString(64) }).strict();
/** Fill ids are opaque service-assigned strings; this only bounds their shape. */
export const fillIdParamsSchema = z
  .object({ fillId: z.string().regex(/^[0-9A-Za-z:_-]{1,100}$/, { message: "is not a fill id" }) })
  .strict();

/** Default and maximum book depth (levels per side). */
export const BOOK_DEPTH = { default: 50, max: 500 } as const;
/** Default and maximum length of list answers (trades, orders, fills, batches). */
export const LIST_LIMIT = { default: 100, max: 1000 } as const;

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

/** `smallUint(max, min)`'s value, or NaN where it would report an issue. */
function fastSmallUint(value: unknown, max: number, min = 0): number {
  const parsed =
    typeof value === "number"
      ? value
      : typeof value === "string" && value.length <= 10 && DECIMAL.test(value)
        ? Number(value)
        : Number.NaN;
  return Number.isSafeInteger(parsed) && parsed >= min && parsed <= max ? parsed : Number.NaN;
}

/** `uintString(bits, min)`'s value, or undefined where it would report an issue. */
function fastUint(value: unknown, max: bigint, digits: number, min: bigint): bigint | undefined {
  if (typeof value !== "string" || value.length > digits || !DECIMAL.test(value)) return undefined;
  const parsed = BigInt(value);
  return parsed > max || parsed < min ? undefined : parsed;
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
