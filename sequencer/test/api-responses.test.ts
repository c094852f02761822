/**
 * The API document's answer schemas are the routes' answers: a running service (hardhat node,
 * Redis, real signatures) is asked every documented GET route, and each 200 answer must decode
 * with the protocol schema the document was generated from (the SDK's decoders) and carry no
 * field the document does not name. Order submission and cancel answers are held the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonSchema } from "@clearmatch/protocol";
import { openApiDocument, RESPONSE_SCHEMAS } from "../src/api/openapi.js";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { startDevChain, type DevChain } from "./helpers/dev-chain.js";
import {
  config,
  fundTraders,
  get,
  ONE_ETH,
  post,
  serviceEnv,
  signedOrder,
  tradeAndCommit,
  trader,
  traderClient,
  traderIndex,
  USDC,
  wire,
} from "./helpers/service-kit.js";

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: any } };
const doc = openApiDocument as unknown as Doc;

/** The component a `$ref` names. */
function resolve(schema: JsonSchema): JsonSchema {
  const ref = schema["$ref"];
  return typeof ref === "string" ? doc.components.schemas[ref.split("/").pop()!] : schema;
}

/** Every field of `value` the document does not name, as paths. */
function undocumented(value: unknown, schema: JsonSchema, at = "body"): string[] {
  const s = resolve(schema);
  if (Array.isArray(value)) {
    return value.flatMap((v, i) =>
      undocumented(v, (s["items"] as JsonSchema) ?? {}, `${at}[${i}]`),
    );
  }
  if (typeof value !== "object" || value === null) return [];
  const props = (s["properties"] ?? {}) as Record<string, JsonSchema>;
  return Object.entries(value).flatMap(([k, v]) =>
    props[k] ? undocumented(v, props[k]!, `${at}.${k}`) : [`${at}.${k}`],
  );
}

/** The component names a 200 answer schema uses at its top level or in its list property. */
function componentsOf(schema: JsonSchema): Array<{ key?: string; name: string }> {
  if (typeof schema["$ref"] === "string") return [{ name: schema["$ref"].split("/").pop()! }];
  const props = (schema["properties"] ?? {}) as Record<string, JsonSchema>;
  return Object.entries(props).flatMap(([key, p]) => {
    const items = p["items"] as JsonSchema | undefined;
    return typeof items?.["$ref"] === "string"
      ? [{ key, name: items["$ref"].split("/").pop()! }]
      : [];
  });
}

/** Checks one answer against its documented 200 schema (and the protocol schema behind it). */
function holdToDocument(path: string, method: string, status: number, body: unknown) {
  const schema = doc.paths[path]![method].responses[status].content["application/json"].schema;
  expect(undocumented(body, schema), `${method} ${path}: undocumented fields`).toEqual([]);
  const used = componentsOf(schema);
  expect(used.length, `${method} ${path} documents no answer schema`).toBeGreaterThan(0);
  for (const { key, name } of used) {
    const zod = RESPONSE_SCHEMAS[name as keyof typeof RESPONSE_SCHEMAS];
    expect(zod, `component ${name}`).toBeDefined();
    const items = key === undefined ? [body] : ((body as Record<string, unknown[]>)[key] ?? []);
    for (const item of items) {
      const parsed = zod.safeParse(item);
      expect(
        parsed.success,
        `${method} ${path} ${name}: ${JSON.stringify(parsed.error?.issues)}`,
      ).toBe(true);
    }
  }
}

describe("API answers hold to the document (hardhat node + Redis)", () => {
  let chain: DevChain;
  let service: RunningService;

  beforeAll(async () => {
    chain = await startDevChain();
    await fundTraders(chain);
    service = await startService(config(await serviceEnv(chain)));
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await chain?.stop();
  });

  it("every documented GET route, and order and cancel answers", async () => {
    const batch = await tradeAndCommit(chain, service);
    const fillId = String(batch.fillIds[0]);
    const fill = service.core.fill(batch.fillIds[0]!)!;
    const values: Record<string, string> = {
      marketId: String(fill.fill.marketId),
      address: trader(0),
      orderHash: fill.fill.takerOrderHash,
      batchId: String(batch.batchId),
      fillId,
    };

    // A resting order (201 with SubmitOrderResult), then its cancel (CancelResult).
    const resting = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: USDC(1_900n),
      amount: ONE_ETH,
    });
    const placed = await post(service.url, "/v1/orders", wire(resting));
    expect(placed.status).toBe(201);
    holdToDocument("/v1/orders", "post", 201, placed.body);
    const client = traderClient(chain, service.url, traderIndex(0));
    const cancelled = await client.cancelOrder(placed.body.order.orderHash);
    expect(cancelled.order.status).toBe("cancelled");

    const checked: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      const op = methods["get"];
      const answer = op?.responses?.[200]?.content?.["application/json"];
      if (!answer || path.startsWith("/v1/admin") || path === "/v1/openapi.json") continue;
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => values[name]!);
      const res = await get(service.url, url);
      expect(res.status, `GET ${url}: ${JSON.stringify(res.body)}`).toBe(200);
      if (path === "/healthz" || path === "/readyz") continue;
      holdToDocument(path, "get", 200, res.body);
      checked.push(path);
    }
    expect(checked.length).toBeGreaterThanOrEqual(12);
  }, 120_000);
});
