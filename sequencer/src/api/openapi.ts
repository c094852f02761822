/**
 * The API reference: an OpenAPI 3.1 document served at `GET /v1/openapi.json`. Hand-written next
 * to the routes (`v1-router.ts`, `admin-router.ts`, `app.ts`); `sequencer/test/api-openapi.test.ts`
 * fails when a route is missing here or a documented one does not exist.
 */
import { allErrorCodes } from "../errors/error-codes.js";

const uint = (bits: number, description: string) => ({
  type: "string",
  pattern: "^(0|[1-9][0-9]*)$",
  description: `${description} (uint${bits} as a canonical decimal string)`,
});
const address = { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" };
const bytes32 = { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" };
const signature = {
  type: "string",
  pattern: "^0x[0-9a-fA-F]{130}$",
  description: "65-byte secp256k1 signature r ‖ s ‖ v (v 27/28 or 0/1), or an ERC-1271 wallet's",
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { "application/json": { schema } } });
const ok = (description: string, schema: object = { type: "object" }) => ({
  description,
  ...json(schema),
});
const errors = {
  "4XX": { description: "Refused: see the stable `error.code`", ...json(ref("Error")) },
};
const pathParam = (name: string, schema: object, description: string) => ({
  name,
  in: "path",
  required: true,
  schema,
  description,
});
const queryParam = (name: string, description: string) => ({
  name,
  in: "query",
  required: false,
  schema: { type: "integer", minimum: 1 },
  description,
});

const afterParam = (item: string) => ({
  name: "after",
  in: "query",
  required: false,
  schema: { type: "string", maxLength: 100 },
  description:
    `Cursor: the previous page's \`nextCursor\` (the last ${item} it returned); the page starts ` +
    "right after it. INVALID_CURSOR (400) when it is not one of the account's.",
});
/** `{ <key>: [...], nextCursor? }`: one page of a cursor-paged list. */
const pageOf = (key: string, description: string) =>
  ok(description, {
    type: "object",
    required: [key],
    properties: {
      [key]: { type: "array", items: { type: "object" } },
      nextCursor: {
        type: "string",
        description: "Present when more items remain: pass it as `after` for the next page",
      },
    },
  });

const marketId = pathParam("marketId", { type: "integer", minimum: 0 }, "uint32 market id");
const account = pathParam("address", address, "Trader address");
const adminAuth = [{ bearer: [] }];

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
        responses: { 200: ok("Already accepted"), 201: ok("Accepted"), ...errors },
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
        parameters: [pathParam("orderHash", bytes32, "EIP-712 digest of the order")],
        responses: { 200: ok("The order, its signature, status and filled amount"), ...errors },
      },
    },
    "/v1/cancels": {
      post: {
        summary: "Cancel an order with an EIP-712 `Cancel(bytes32 orderHash)` signed by its trader",
        requestBody: { required: true, ...json(ref("SignedCancel")) },
        responses: { 200: ok("The cancelled order"), ...errors },
      },
    },
    "/v1/info": {
      get: {
        summary:
          "The EIP-712 domain orders and cancels are signed under, and the limits an order is " +
          "checked against (expiry margin, maximum lifetime, batch size, price band, rate limit)",
        responses: { 200: ok("Domain and order limits"), ...errors },
      },
    },
    "/v1/markets": {
      get: {
        summary: "Markets as registered on-chain",
        responses: { 200: ok("Markets"), ...errors },
      },
    },
    "/v1/markets/{marketId}/book": {
      get: {
        summary: "Aggregated book depth",
        parameters: [marketId, queryParam("depth", "Levels per side")],
        responses: { 200: ok("Bids and asks, best first"), ...errors },
      },
    },
    "/v1/markets/{marketId}/trades": {
      get: {
        summary: "Recent trades",
        parameters: [marketId, queryParam("limit", "Most trades returned")],
        responses: { 200: ok("Trades, newest first"), ...errors },
      },
    },
    "/v1/feed/orders": {
      get: {
        summary:
          "The order feed: every accepted signed order of every account (signature included), " +
          "oldest first by `seq`, paged by cursor, so anyone checks committed fills against them",
        parameters: [queryParam("limit", "Most orders returned"), afterParam("seq")],
        responses: { 200: pageOf("orders", "Orders, each with its `seq`"), ...errors },
      },
    },
    "/v1/accounts/{address}/orders": {
      get: {
        summary: "An account's orders, newest first, paged by cursor",
        parameters: [
          account,
          queryParam("limit", "Most orders returned"),
          afterParam("order hash"),
        ],
        responses: { 200: pageOf("orders", "Orders"), ...errors },
      },
    },
    "/v1/accounts/{address}/fills": {
      get: {
        summary:
          "An account's fills with their settlement status, newest (highest fill id) first, " +
          "paged by cursor",
        parameters: [account, queryParam("limit", "Most fills returned"), afterParam("fill id")],
        responses: { 200: pageOf("fills", "Fills"), ...errors },
      },
    },
    "/v1/accounts/{address}/balances": {
      get: {
        summary:
          "Balances per token: finalized, pending, reserved, withdrawal requested, available",
        parameters: [account],
        responses: { 200: ok("Balances"), ...errors },
      },
    },
    "/v1/batches": {
      get: {
        summary: "Batches, newest first",
        parameters: [
          queryParam("limit", "Most batches returned"),
          queryParam("before", "Only batches with a smaller id"),
        ],
        responses: { 200: ok("Batches"), ...errors },
      },
    },
    "/v1/batches/{batchId}": {
      get: {
        summary: "One batch: root, deltas, status, transactions",
        parameters: [pathParam("batchId", { type: "integer", minimum: 0 }, "uint64 batch id")],
        responses: { 200: ok("The batch"), ...errors },
      },
    },
    "/v1/fills/{fillId}/proof": {
      get: {
        summary:
          "Everything needed to verify a fill or build a fraud proof: leaf values, Merkle proof, " +
          "batch id and root, and both signed orders",
        parameters: [pathParam("fillId", { type: "string" }, "Fill id")],
        responses: { 200: ok("The proof"), ...errors },
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
          ...json({
            type: "object",
            properties: { engaged: { type: "boolean" }, reason: { type: "string" } },
          }),
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
        type: "object",
        additionalProperties: false,
        description:
          "EIP-712 `Order` of DESIGN.md, domain {name: Clearmatch, version: 1, chainId, verifyingContract: settlement proxy}",
        required: [
          "trader",
          "marketId",
          "side",
          "price",
          "amount",
          "nonce",
          "expiry",
          "maxFeeBps",
          "flags",
        ],
        properties: {
          trader: address,
          marketId: { type: "integer", minimum: 0, maximum: 4294967295 },
          side: { type: "integer", enum: [0, 1], description: "0 buy, 1 sell" },
          price: uint(128, "Quote atoms per whole base unit (10^baseDecimals base atoms)"),
          amount: uint(128, "Base atoms"),
          nonce: uint(64, "Invalidated on-chain by invalidateNonces(minNonce)"),
          expiry: uint(64, "Unix seconds; invalid at and after"),
          maxFeeBps: { type: "integer", minimum: 0, maximum: 10000 },
          flags: {
            type: "integer",
            minimum: 0,
            maximum: 7,
            description: "1 post-only, 2 IOC, 4 FOK",
          },
        },
      },
      SignedOrder: {
        type: "object",
        additionalProperties: false,
        required: ["order", "signature"],
        properties: {
          order: ref("Order"),
          signature,
          chainId: { type: "integer", description: "Optional hint; WRONG_CHAIN when it differs" },
          verifyingContract: {
            ...address,
            description: "Optional hint; WRONG_CONTRACT when it differs",
          },
        },
      },
      SignedCancel: {
        type: "object",
        additionalProperties: false,
        required: ["orderHash", "signature"],
        properties: {
          orderHash: bytes32,
          signature,
          chainId: { type: "integer" },
          verifyingContract: address,
        },
      },
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
