import { getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { signedOrderBatchSchema, signedOrderSchema } from "@clearmatch/protocol";
import { parseSignedOrderBatchFast, parseSignedOrderFast } from "../src/api/schemas.js";
import { orderRecordJson, toTaggedJson, type OrderRecord } from "../src/core/service-record.js";

const TRADER = getAddress("0x5b38da6a701c568545dcfcdb03fcb875f56beddc");
const good = () => ({
  order: {
    trader: TRADER,
    marketId: 1,
    side: 0,
    price: "2500000000",
    amount: "1000000000000000",
    nonce: "7",
    expiry: "4000000000",
    maxFeeBps: 50,
    flags: 0,
  },
  signature: `0x${"aB".repeat(65)}`,
});

/** Each variant: a path into the body and the value to put there (undefined deletes). */
const VARIANTS: [string[], unknown][] = [
  [[], undefined],
  [["order", "trader"], TRADER.toLowerCase()],
  [["order", "trader"], TRADER.toUpperCase().replace("0X", "0x")],
  [["order", "trader"], `0x${TRADER.slice(2, 6).toLowerCase()}${TRADER.slice(6)}`],
  [["order", "trader"], 5],
  [["order", "trader"], undefined],
  [["order", "marketId"], "1"],
  [["order", "marketId"], "01"],
  [["order", "marketId"], 4294967296],
  [["order", "marketId"], 1.5],
  [["order", "marketId"], -1],
  [["order", "marketId"], null],
  [["order", "side"], 2],
  [["order", "side"], "1"],
  [["order", "price"], "0"],
  [["order", "price"], 5],
  [["order", "price"], "340282366920938463463374607431768211455"],
  [["order", "price"], "340282366920938463463374607431768211456"],
  [["order", "amount"], "1e18"],
  [["order", "amount"], " 1"],
  [["order", "nonce"], "0"],
  [["order", "nonce"], "18446744073709551616"],
  [["order", "expiry"], "18446744073709551615"],
  [["order", "expiry"], undefined],
  [["order", "maxFeeBps"], 10_001],
  [["order", "maxFeeBps"], "10000"],
  [["order", "flags"], 7],
  [["order", "flags"], 8],
  [["order", "flags"], "2"],
  [["order", "extra"], 1],
  [["order"], []],
  [["order"], "x"],
  [["signature"], `0x${"ab".repeat(64)}`],
  [["signature"], `0x${"zz".repeat(65)}`],
  [["signature"], undefined],
  [["chainId"], 31337],
  [["chainId"], "31337"],
  [["chainId"], 0],
  [["chainId"], null],
  [["verifyingContract"], TRADER.toLowerCase()],
  [["verifyingContract"], "0x1234"],
  [["extra"], true],
];

function variant(path: string[], value: unknown): unknown {
  const body: Record<string, unknown> = good();
  if (path.length === 0) return body;
  let at = body;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  if (value === undefined) delete at[path.at(-1)!];
  else at[path.at(-1)!] = value;
  return body;
}

describe("hand-written order parsers", () => {
  it.each(VARIANTS.map((v, i) => [i, ...v] as const))(
    "variant %i (%j = %j): the schema's answer, or undefined where the schema refuses",
    (_i, path, value) => {
      const body = variant(path as string[], value);
      const zod = signedOrderSchema.safeParse(body);
      const fast = parseSignedOrderFast(body);
      if (zod.success) {
        expect(fast).toEqual(zod.data);
        expect(Object.keys(fast!)).toEqual(Object.keys(zod.data));
        expect(Object.keys(fast!.order)).toEqual(Object.keys(zod.data.order));
      } else {
        expect(fast).toBeUndefined();
      }
    },
  );

  it("refuses a __proto__ key (from JSON) as the schema does", () => {
    const body = JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(good()).slice(1)}`);
    expect(signedOrderSchema.safeParse(body).success).toBe(false);
    expect(parseSignedOrderFast(body)).toBeUndefined();
  });

  it("batches: the schema's answer when all orders parse, else undefined", () => {
    const schema = signedOrderBatchSchema(3);
    const cases: unknown[] = [
      { orders: [good(), good()] },
      { orders: [] },
      { orders: [good(), good(), good(), good()] },
      { orders: [good(), variant(["order", "side"], 2)] },
      { orders: [good()], extra: 1 },
      { orders: {} },
      [good()],
      null,
    ];
    for (const body of cases) {
      const zod = schema.safeParse(body);
      const fast = parseSignedOrderBatchFast(body, 3);
      if (zod.success) expect(fast).toEqual(zod.data);
      else expect(fast).toBeUndefined();
    }
  });
});

describe("orderRecordJson", () => {
  const record = (): OrderRecord => ({
    kind: "order",
    ms: 1_763_000_000_123,
    orderHash: `0x${"ab".repeat(32)}`,
    order: parseSignedOrderFast(good())!.order,
    signature: `0x${"ef".repeat(65)}`,
  });

  it("writes exactly what JSON.stringify with the bigint tags writes", () => {
    expect(orderRecordJson(record())).toBe(toTaggedJson(record()));
  });

  it("declines records it cannot write exactly (extra or mistyped fields, text to escape)", () => {
    const r = record();
    expect(orderRecordJson({ ...r, extra: 1 } as OrderRecord)).toBeUndefined();
    expect(orderRecordJson({ ...r, signature: '0x"' } as unknown as OrderRecord)).toBeUndefined();
    expect(
      orderRecordJson({ ...r, order: { ...r.order, price: 5 } } as unknown as OrderRecord),
    ).toBeUndefined();
    expect(orderRecordJson({ ...r, ms: Number.NaN })).toBeUndefined();
    const { flags: _flags, ...rest } = r.order;
    expect(orderRecordJson({ ...r, order: { ...rest, flags: 0 } })).toBe(
      toTaggedJson({ ...r, order: { ...rest, flags: 0 } }),
    );
    expect(orderRecordJson({ ...r, order: { flags: 0, ...rest } } as OrderRecord)).toBeUndefined();
  });
});
