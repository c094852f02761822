/**
 * zod schemas of the wire format, the one definition the server validates requests with, the
 * SDK decodes answers with, and the API document is generated from (`toJsonSchema`).
 *
 * Requests (what a client sends; the server refuses anything else):
 * - Objects are strict: an unknown field is an error (so is `__proto__`).
 * - uint64/uint128 fields are canonical decimal strings (no sign, decimal point, exponent,
 *   whitespace or leading zeros) within the Solidity type's range; they parse to `bigint`.
 *   JSON numbers are refused for them: above 2^53 they would already have lost precision.
 * - uint8/uint16/uint32 fields accept a JSON integer or a canonical decimal string.
 * - Addresses are EIP-55 checksummed or all-lowercase hex; they parse to checksummed form.
 * - Hex byte strings (signature, order hash) have exact lengths; they parse to lowercase.
 *
 * Answers (`wire-views.ts`) are read leniently where a newer server may add to them.
 */
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import type { SignedCancel, SignedOrder } from "./wire-types.js";
import { withJsonSchema } from "./json-schema.js";

/** A canonical unsigned decimal: no sign, point, exponent, whitespace or leading zeros. */
export const DECIMAL = /^(0|[1-9][0-9]*)$/;

function missing(ctx: z.RefinementCtx): never {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: "Required" });
  return z.NEVER;
}

/** Largest value of a Solidity `uint<bits>`. */
export function maxUint(bits: number): bigint {
  return (1n << BigInt(bits)) - 1n;
}

/** A uint64/uint128 as a canonical decimal string, parsed to bigint within [min, 2^bits - 1]. */
export function uintString(bits: 64 | 128 | 256, min = 0n) {
  const max = maxUint(bits);
  const maxDigits = max.toString().length;
  const schema = z.unknown().transform((value, ctx): bigint => {
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
  return withJsonSchema(schema, {
    type: "string",
    pattern: DECIMAL.source,
    description: `uint${bits} as a canonical decimal string${min > 0n ? `, at least ${min}` : ""}`,
  });
}

/** A small unsigned integer (uint8/16/32 or a narrower range): JSON integer or decimal string. */
export function smallUint(max: number, min = 0) {
  const schema = z.unknown().transform((value, ctx): number => {
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
  return withJsonSchema(schema, { type: "integer", minimum: min, maximum: max });
}

/** An EVM address, checksummed or lowercase, parsed to its checksummed form. */
export const addressSchema = withJsonSchema(
  z
    .string()
    .refine((v) => isAddress(v, { strict: true }), {
      message: "must be a 20-byte hex address, EIP-55 checksummed or lowercase",
    })
    .transform((v): Address => getAddress(v)),
  {
    type: "string",
    pattern: "^0x[0-9a-fA-F]{40}$",
    description: "EIP-55 checksummed or lowercase",
  },
);

/** `0x` followed by exactly `bytes` bytes of hex, parsed to lowercase. */
export function hexBytes(bytes: number) {
  const pattern = new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`);
  return withJsonSchema(
    z
      .string()
      .regex(pattern, { message: `must be 0x followed by ${bytes} bytes of hex` })
      .transform((v) => v.toLowerCase() as Hex),
    { type: "string", pattern: pattern.source },
  );
}

/** A 65-byte `r ‖ s ‖ v` ECDSA signature. Its validity is the service's check. */
export const signatureSchema = hexBytes(65).describe(
  "65-byte secp256k1 signature r ‖ s ‖ v (v 27/28 or 0/1), or an ERC-1271 wallet's",
);

/** A 32-byte EIP-712 digest (an order's id). */
export const orderHashSchema = hexBytes(32);

/** Default and maximum book depth (levels per side). */
export const BOOK_DEPTH = { default: 50, max: 500 } as const;
/** Default and maximum length of list answers (trades, orders, fills, batches). */
export const LIST_LIMIT = { default: 100, max: 1000 } as const;

/** Highest maxFeeBps accepted: 100 %. uint16 allows more, but a fee above 100 % is nonsense. */
export const MAX_FEE_BPS = 10_000;

/** Flags the protocol defines (post-only 1, IOC 2, FOK 4); other bits are refused. */
export const KNOWN_FLAGS_MASK = 0b111;

/** The `Order` message (DESIGN.md, "Signed messages"); price and amount must be positive. */
export const orderSchema = z
  .object({
    trader: addressSchema,
    marketId: smallUint(0xffff_ffff),
    side: smallUint(1).describe("0 buy, 1 sell"),
    price: uintString(128, 1n).describe(
      "Quote atoms per whole base unit (10^baseDecimals base atoms)",
    ),
    amount: uintString(128, 1n).describe("Base atoms"),
    nonce: uintString(64).describe("Invalidated on-chain by invalidateNonces(minNonce)"),
    expiry: uintString(64).describe("Unix seconds; invalid at and after"),
    maxFeeBps: smallUint(MAX_FEE_BPS),
    flags: smallUint(0xff)
      .refine((f) => (f & ~KNOWN_FLAGS_MASK) === 0, {
        message: "has unknown bits (known: 1 post-only, 2 immediate-or-cancel, 4 fill-or-kill)",
      })
      .describe("1 post-only, 2 IOC, 4 FOK; other bits refused"),
  })
  .strict();

/** Optional domain fields: when present and different from the sequencer's, the service
 * answers WRONG_CHAIN / WRONG_CONTRACT instead of a less helpful BAD_SIGNATURE. */
const domainHints = {
  chainId: smallUint(Number.MAX_SAFE_INTEGER, 1)
    .describe("Optional hint; WRONG_CHAIN when it differs")
    .optional(),
  verifyingContract: addressSchema
    .describe("Optional hint; WRONG_CONTRACT when it differs")
    .optional(),
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

/** `smallUint(max, min)`'s value, or NaN where it would report an issue. */
export function fastSmallUint(value: unknown, max: number, min = 0): number {
  const parsed =
    typeof value === "number"
      ? value
      : typeof value === "string" && value.length <= 10 && DECIMAL.test(value)
        ? Number(value)
        : Number.NaN;
  return Number.isSafeInteger(parsed) && parsed >= min && parsed <= max ? parsed : Number.NaN;
}

/** `uintString(bits, min)`'s value, or undefined where it would report an issue. */
export function fastUint(
  value: unknown,
  max: bigint,
  digits: number,
  min: bigint,
): bigint | undefined {
  if (typeof value !== "string" || value.length > digits || !DECIMAL.test(value)) return undefined;
  const parsed = BigInt(value);
  return parsed > max || parsed < min ? undefined : parsed;
}
