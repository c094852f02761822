/**
 * The API reference: an OpenAPI 3.1 document served at `GET /v1/openapi.json`. Its schemas are
 * generated (`toJsonSchema`) from the zod schemas the routes validate requests with and the SDK
 * decodes answers with (the protocol's `wire-schemas.ts` and `wire-views.ts`, the server's
 * `schemas.ts`); the routes are listed here next to them. `sequencer/test/api-openapi.test.ts`
 * fails when a route is missing here or a documented one does not exist, and
 * `api-responses.test.ts` holds a running service's answers to the documented schemas.
 */
import {
  acceptedOrderViewSchema,
  balanceViewSchema,
  batchViewSchema,
  bookViewSchema,
  cancelResultSchema,
  exchangeInfoSchema,
  fillProofViewSchema,
  fillViewSchema,
  marketViewSchema,
  orderSchema,
  orderViewSchema,
  signedCancelSchema,
  signedOrderSchema,
  submitOrderResultSchema,
  toJsonSchema,
  tradeViewSchema,
  type JsonSchema,
  type WireSchema,
} from "@clearmatch/protocol";
import type { z } from "zod";
import { allErrorCodes } from "../errors/error-codes.js";
import {
  addressParamsSchema,
  batchIdParamsSchema,
  batchesQuerySchema,
  bookQuerySchema,
  fillIdParamsSchema,
  killSwitchBodySchema,
  listQuerySchema,
  marketIdParamsSchema,
  orderHashParamsSchema,
  pagedListQuerySchema,
} from "./schemas.js";

/** The answer schemas, by component name: the document's and the tests' one list. */
export const RESPONSE_SCHEMAS = {
  OrderView: orderViewSchema,
  AcceptedOrderView: acceptedOrderViewSchema,
  SubmitOrderResult: submitOrderResultSchema,
  CancelResult: cancelResultSchema,
  ExchangeInfo: exchangeInfoSchema,
  Market: marketViewSchema,
  Book: bookViewSchema,
  Trade: tradeViewSchema,
  Fill: fillViewSchema,
  Balance: balanceViewSchema,
  Batch: batchViewSchema,
  FillProof: fillProofViewSchema,
} satisfies Record<string, WireSchema<unknown>>;
type ResponseName = keyof typeof RESPONSE_SCHEMAS;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { "application/json": { schema } } });
const ok = (description: string, schema: object = { type: "object" }) => ({
  description,
  ...json(schema),
});
const errors = {
  "4XX": { description: "Refused: see the stable `error.code`", ...json(ref("Error")) },
};
/** `{ <key>: [<component>] }` answers. */
const listOf = (key: string, item: ResponseName, description: string) =>
  ok(description, {
    type: "object",
    required: [key],
    properties: { [key]: { type: "array", items: ref(item) } },
  });
/** `{ <key>: [...], nextCursor? }`: one page of a cursor-paged list. */
const pageOf = (key: string, item: ResponseName, description: string) =>
  ok(description, {
    type: "object",
    required: [key],
    properties: {
      [key]: { type: "array", items: ref(item) },
      nextCursor: {
        type: "string",
        description: "Present when more items remain: pass it as `after` for the next page",
      },
    },
  });

/** OpenAPI parameters of a path or query schema (a zod object), with their descriptions. */
function parameters(
  where: "path" | "query",
  schema: z.AnyZodObject,
  descriptions: Record<string, string>,
): object[] {
  const doc = toJsonSchema(schema) as { properties: Record<string, JsonSchema> };
  return Object.entries(doc.properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path",
    schema: s,
    description: descriptions[name] ?? "",
  }));
}
const path = (schema: z.AnyZodObject, descriptions: Record<string, string>) =>
  parameters("path", schema, descriptions);
const query = (schema: z.AnyZodObject, descriptions: Record<string, string>) =>
  parameters("query", schema, descriptions);
const cursor = (item: string) =>
  `Cursor: the previous page's \`nextCursor\` (the last ${item} it returned); the page starts ` +
  "right after it. INVALID_CURSOR (400) when it is not one of the account's.";

const marketId = path(marketIdParamsSchema, { marketId: "uint32 market id" });
const account = path(addressParamsSchema, { address: "Trader address" });
const adminAuth = [{ bearer: [] }];

const responseComponents = Object.fromEntries(
  Object.entries(RESPONSE_SCHEMAS).map(([name, schema]) => [name, toJsonSchema(schema)]),
);

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Clearmatch sequencer API",
    version: "1",
    description:
      "Wallet-signed (EIP-712) orders in, fills settled on-chain in Merkle-committed batches. " +
      "All amounts are integers in token atoms, sent as decimal strings. Every refusal is a 4xx " +
      "JSON body `{ error: { code, message, details } }` with a stable code.",
  },
  paths: {
    "/v1/orders": {
      post: {
        summary: "Submit a signed order (idempotent by order hash: 201 new, 200 already accepted)",
        requestBody: { required: true, ...json(ref("SignedOrder")) },
        responses: {
          200: ok("Already accepted", ref("SubmitOrderResult")),
          201: ok("Accepted", ref("SubmitOrderResult")),
          ...errors,
        },
      },
    },
    "/v1/orders/batch": {
      post: {
        summary: "Submit up to MAX_BATCH_ORDERS signed orders; one result per order",
        requestBody: {
          required: true,
          ...json({
            type: "object",
            required: ["orders"],
            additionalProperties: false,
            properties: { orders: { type: "array", items: ref("SignedOrder"), minItems: 1 } },
          }),
        },
        responses: { 200: ok("Per-order results"), ...errors },
      },
    },
    "/v1/orders/{orderHash}": {
      get: {
        summary: "An order by its EIP-712 hash",
        parameters: path(orderHashParamsSchema, { orderHash: "EIP-712 digest of the order" }),
        responses: {
          200: ok("The order, its signature, status and filled amount", ref("OrderView")),
          ...errors,
        },
      },
    },
    "/v1/cancels": {
      post: {
        summary: "Cancel an order with an EIP-712 `Cancel(bytes32 orderHash)` signed by its trader",
        requestBody: { required: true, ...json(ref("SignedCancel")) },
        responses: { 200: ok("The cancelled order", ref("CancelResult")), ...errors },
      },
    },
    "/v1/info": {
      get: {
        summary:
          "The EIP-712 domain orders and cancels are signed under, and the limits an order is " +
          "checked against (expiry margin, maximum lifetime, batch size, price band, rate limit)",
        responses: { 200: ok("Domain and order limits", ref("ExchangeInfo")), ...errors },
      },
    },
    "/v1/markets": {
      get: {
        summary: "Markets as registered on-chain",
        responses: { 200: listOf("markets", "Market", "Markets"), ...errors },
      },
    },
    "/v1/markets/{marketId}/book": {
      get: {
        summary: "Aggregated book depth",
        parameters: [...marketId, ...query(bookQuerySchema, { depth: "Levels per side" })],
        responses: { 200: ok("Bids and asks, best first", ref("Book")), ...errors },
      },
    },
    "/v1/markets/{marketId}/trades": {
      get: {
        summary: "Recent trades",
        parameters: [...marketId, ...query(listQuerySchema, { limit: "Most trades returned" })],
        responses: { 200: listOf("trades", "Trade", "Trades, newest first"), ...errors },
      },
    },
    "/v1/feed/orders": {
      get: {
        summary:
          "The order feed: every accepted signed order of every account (signature included), " +
          "oldest first by `seq`, paged by cursor, so anyone checks committed fills against them",
        parameters: query(pagedListQuerySchema, {
          limit: "Most orders returned",
          after: cursor("seq"),
        }),
        responses: {
          200: pageOf("orders", "AcceptedOrderView", "Orders, each with its `seq`"),
          ...errors,
        },
      },
    },
    "/v1/accounts/{address}/orders": {
      get: {
        summary: "An account's orders, newest first, paged by cursor",
        parameters: [
          ...account,
          ...query(pagedListQuerySchema, {
            limit: "Most orders returned",
            after: cursor("order hash"),
          }),
        ],
        responses: { 200: pageOf("orders", "OrderView", "Orders"), ...errors },
      },
    },
    "/v1/accounts/{address}/fills": {
      get: {
        summary:
          "An account's fills with their settlement status, newest (highest fill id) first, " +
          "paged by cursor",
        parameters: [
          ...account,
          ...query(pagedListQuerySchema, {
            limit: "Most fills returned",
            after: cursor("fill id"),
          }),
        ],
        responses: { 200: pageOf("fills", "Fill", "Fills"), ...errors },
      },
    },
    "/v1/accounts/{address}/balances": {
      get: {
        summary:
          "Balances per token: finalized, pending, reserved, withdrawal requested, available",
        parameters: account,
        responses: { 200: listOf("balances", "Balance", "Balances"), ...errors },
      },
    },
    "/v1/batches": {
      get: {
        summary: "Batches, newest first",
        parameters: query(batchesQuerySchema, {
          limit: "Most batches returned",
          before: "Only batches with a smaller id",
        }),
        responses: { 200: listOf("batches", "Batch", "Batches"), ...errors },
      },
    },
    "/v1/batches/{batchId}": {
      get: {
        summary: "One batch: root, deltas, status, transactions",
        parameters: path(batchIdParamsSchema, { batchId: "uint64 batch id" }),
        responses: { 200: ok("The batch", ref("Batch")), ...errors },
      },
    },
    "/v1/fills/{fillId}/proof": {
      get: {
        summary:
          "Everything needed to verify a fill or build a fraud proof: leaf values, Merkle proof, " +
          "batch id and root, and both signed orders",
        parameters: path(fillIdParamsSchema, { fillId: "Fill id" }),
        responses: { 200: ok("The proof", ref("FillProof")), ...errors },
      },
    },
    "/v1/admin/kill-switch": {
      get: {
        summary: "Kill switch state",
        security: adminAuth,
        responses: { 200: ok("State"), ...errors },
      },
      post: {
        summary: "Engage or release the global kill switch",
        security: adminAuth,
        requestBody: {
          required: true,
          ...json(toJsonSchema(killSwitchBodySchema)),
        },
        responses: { 200: ok("New state"), ...errors },
      },
    },
    "/v1/admin/markets/{marketId}/halt": {
      post: {
        summary: "Halt a market (cancel-only)",
        security: adminAuth,
        parameters: [marketId],
        responses: { 200: ok("Market state"), ...errors },
      },
    },
    "/v1/admin/markets/{marketId}/resume": {
      post: {
        summary: "Resume a halted market",
        security: adminAuth,
        parameters: [marketId],
        responses: { 200: ok("Market state"), ...errors },
      },
    },
    "/v1/openapi.json": {
      get: { summary: "This document", responses: { 200: ok("OpenAPI 3.1") } },
    },
    "/healthz": { get: { summary: "Liveness", responses: { 200: ok("Alive") } } },
    "/readyz": {
      get: {
        summary: "Readiness: journal recovered, chain and Redis reachable",
        responses: { 200: ok("Ready"), 503: ok("Not ready") },
      },
    },
    "/metrics": {
      get: {
        summary: "Prometheus metrics",
        responses: { 200: { description: "Text exposition format" } },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    schemas: {
      Order: {
        ...toJsonSchema(orderSchema),
        description:
          "EIP-712 `Order` of DESIGN.md, domain {name: Clearmatch, version: 1, chainId, verifyingContract: settlement proxy}",
      },
      SignedOrder: toJsonSchema(signedOrderSchema),
      SignedCancel: toJsonSchema(signedCancelSchema),
      ...responseComponents,
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: {
              code: { type: "string", enum: [...allErrorCodes] },
              message: { type: "string" },
              details: {},
            },
          },
        },
      },
    },
  },
} as const;
