import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { getAddress, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClearmatchClient } from "../../sdk/src/clearmatch-client.js";
import type { StreamEvent } from "../../sdk/src/stream.js";
import { devAccount, fundAndDeposit } from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { clearmatchDomain, orderTypes } from "@clearmatch/protocol";
import { validRecords } from "./support/journal-frames.js";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { eventually, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import {
  config,
  get,
  ONE_ETH,
  post,
  serviceEnv,
  signedOrder,
  trader,
  traderClient,
  traderIndex,
  USDC,
  wire,
} from "./helpers/service-kit.js";

describe("service bad input corpus (real service, real signatures)", () => {
  let chain: DevChain;
  let service: RunningService;
  let dataDir: string;

  beforeAll(async () => {
    chain = await startDevChain();
    await fundAndDeposit(
      chain.stack,
      chain.node.url,
      traderIndex(0),
      chain.stack.tokens.USDC!,
      USDC(1_000n),
    );
    await fundAndDeposit(
      chain.stack,
      chain.node.url,
      traderIndex(1),
      chain.stack.tokens.WETH!,
      ONE_ETH,
    );
    // A fill stays matched (not batched) for 10 s.
    const env = await serviceEnv(chain, { EXPIRY_TICK_MS: "3600000", BATCH_MAX_MS: "10000" });
    dataDir = env.DATA_DIR!;
    service = await startService(config(env));
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await chain?.stop();
  });

  /** Records in the journal's segments (not their sizes: zeros are preallocated ahead). */
  const journalRecords = () =>
    readdirSync(join(dataDir, "journal"))
      .filter((n) => !n.includes("snap"))
      .reduce((sum, n) => sum + validRecords(readFileSync(join(dataDir, "journal", n))).records, 0);

  const LIFETIME = 7_776_000n;
  const nowSec = () => BigInt(Math.floor(Date.now() / 1000));

  it("publishes its domain and order limits, and an SDK client on the same domain agrees", async () => {
    const info = await traderClient(chain, service.url, traderIndex(0)).checkDomain();
    // The wire answer as it is, checksummed address included.
    expect((await get(service.url, "/v1/info")).body).toEqual(info);
    expect(info).toEqual({
      domain: {
        name: "Clearmatch",
        version: "1",
        chainId: chain.stack.chain.id,
        verifyingContract: getAddress(chain.stack.settlement),
      },
      orders: {
        expiryMarginSec: 30,
        maxLifetimeSec: Number(LIFETIME),
        maxBatchOrders: 100,
        priceBandBps: 1000,
      },
      rateLimit: { perSecond: 50, burst: 100 },
    });
  });

  it("accepts an expiry just inside the maximum order lifetime and says how far is allowed", async () => {
    const inside = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: USDC(900n),
      amount: ONE_ETH / 10n,
      expiry: nowSec() + LIFETIME - 60n,
    });
    const accepted = await post(service.url, "/v1/orders", wire(inside));
    expect(accepted.status).toBe(201);
    expect(accepted.body.order.status).toBe("open");

    const sent = nowSec();
    const beyond = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: USDC(900n),
      amount: ONE_ETH / 10n,
      expiry: sent + LIFETIME + 60n,
    });
    const refused = await post(service.url, "/v1/orders", wire(beyond));
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("EXPIRY_TOO_FAR");
    const maxExpiry = BigInt(refused.body.error.details.maxExpiry);
    expect(maxExpiry - sent - LIFETIME).toBeGreaterThanOrEqual(0n);
    expect(maxExpiry - sent - LIFETIME).toBeLessThan(60n);
    expect((await get(service.url, `/v1/orders/${beyond.hash}`)).status).toBe(404);
  });

  it("answers each bad request with its 4xx code and leaves book, balances and journal unchanged", async () => {
    const url = service.url;
    const good = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: USDC(1_000n),
      amount: ONE_ETH / 10n,
    });
    expect((await post(url, "/v1/orders", wire(good))).status).toBe(201);
    const state = async () => ({
      book: (await get(url, "/v1/markets/1/book")).body,
      balances: (await get(url, `/v1/accounts/${trader(0)}/balances`)).body,
      journal: journalRecords(),
    });
    const before = await state();

    const wrongDomain = async (chainId: number, contract: `0x${string}`) => {
      const o = await signedOrder(chain, traderIndex(0), {
        side: 0,
        price: USDC(1_000n),
        amount: ONE_ETH / 10n,
      });
      const signature = await devAccount(traderIndex(0)).account.signTypedData({
        domain: clearmatchDomain(chainId, contract),
        types: orderTypes,
        primaryType: "Order",
        message: o.order,
      });
      return { ...o, signature };
    };
    const withHint = (o: { order: any; signature: any }, hint: object) =>
      JSON.stringify({ ...JSON.parse(wire(o)), ...hint });
    const other = await signedOrder(chain, traderIndex(1), {
      side: 0,
      price: USDC(1_000n),
      amount: ONE_ETH / 10n,
    });
    const spoofed = { order: { ...other.order, trader: trader(0) }, signature: other.signature };
    const cases: Array<[string, string, number, string]> = [
      ["replayed", wire(good), 200, ""],
      [
        "expired",
        wire(
          await signedOrder(chain, traderIndex(0), {
            side: 0,
            price: USDC(1_000n),
            amount: ONE_ETH / 10n,
            expiry: 1_000n,
          }),
        ),
        422,
        "ORDER_EXPIRED",
      ],
      [
        "expiry beyond the maximum order lifetime (default 90 days)",
        wire(
          await signedOrder(chain, traderIndex(0), {
            side: 0,
            price: USDC(1_000n),
            amount: ONE_ETH / 10n,
            expiry: nowSec() + LIFETIME + 3_600n,
          }),
        ),
        422,
        "EXPIRY_TOO_FAR",
      ],
      [
        "wrong chain",
        withHint(await wrongDomain(999, chain.stack.settlement), { chainId: 999 }),
        400,
        "WRONG_CHAIN",
      ],
      [
        "wrong contract",
        withHint(await wrongDomain(chain.stack.chain.id, trader(5)), {
          verifyingContract: trader(5),
        }),
        400,
        "WRONG_CONTRACT",
      ],
      [
        "signed for another chain, no hint",
        wire(await wrongDomain(999, chain.stack.settlement)),
        400,
        "BAD_SIGNATURE",
      ],
      ["signed by someone else", wire(spoofed), 400, "BAD_SIGNATURE"],
      [
        "garbage signature",
        wire({ ...good, signature: `0x${"00".repeat(65)}` }),
        400,
        "BAD_SIGNATURE",
      ],
      [
        // The trader's own valid signature with v = 0: the contract refuses it, so a fill of it
        // could be challenged by its own signer and the answer would fail on-chain (finding 6).
        "v = 0 (refused by the contract)",
        wire({
          ...good,
          signature:
            `${good.signature.slice(0, 130)}0${Number(`0x${good.signature.slice(130)}`) - 27}` as Hex,
        }),
        400,
        "BAD_SIGNATURE",
      ],
      [
        "insufficient balance",
        wire(
          await signedOrder(chain, traderIndex(0), {
            side: 0,
            price: USDC(1_000n),
            amount: 10n * ONE_ETH,
          }),
        ),
        422,
        "INSUFFICIENT_BALANCE",
      ],
      [
        "unknown market",
        wire(
          await signedOrder(chain, traderIndex(0), {
            side: 0,
            price: USDC(1_000n),
            amount: ONE_ETH / 10n,
            marketId: 77,
          }),
        ),
        404,
        "UNKNOWN_MARKET",
      ],
      [
        "off tick",
        wire(
          await signedOrder(chain, traderIndex(0), {
            side: 0,
            price: USDC(1_000n) + 1n,
            amount: ONE_ETH / 10n,
          }),
        ),
        422,
        "TICK_VIOLATION",
      ],
      [
        "off lot",
        wire(
          await signedOrder(chain, traderIndex(0), {
            side: 0,
            price: USDC(1_000n),
            amount: ONE_ETH / 10n + 1n,
          }),
        ),
        422,
        "LOT_VIOLATION",
      ],
      ["malformed", '{"order":', 400, "MALFORMED_JSON"],
      [
        "schema",
        JSON.stringify({ order: { trader: "nope" }, signature: "0x" }),
        400,
        "VALIDATION_FAILED",
      ],
      ["oversized", JSON.stringify({ pad: "x".repeat(70_000) }), 413, "PAYLOAD_TOO_LARGE"],
    ];
    for (const [name, body, status, code] of cases) {
      const res = await post(url, "/v1/orders", body);
      expect(res.status, name).toBe(status);
      if (code) expect(res.body.error?.code, name).toBe(code);
    }
    expect(await state()).toEqual(before);
  }, 120_000);

  it("refuses with FEE_TOO_LOW an order that can take liquidity below the taker fee, a post-only one below the maker fee", async () => {
    const url = service.url;
    const journal = journalRecords();
    const buy = (fields: { maxFeeBps: number; flags?: number; price?: bigint }) =>
      signedOrder(chain, traderIndex(0), {
        side: 0,
        price: USDC(900n),
        amount: ONE_ETH / 10n,
        ...fields,
      });
    // TAKER_FEE_BPS 10, MAKER_FEE_BPS 0 (the defaults).
    for (const [maxFeeBps, flags, role, minFeeBps] of [
      [0, 0, "taker", 10],
      [9, 0, "taker", 10],
      [0, 2, "taker", 10], // immediate-or-cancel
      [5, 4, "taker", 10], // fill-or-kill
    ] as const) {
      const order = await buy({ maxFeeBps, flags });
      const res = await post(url, "/v1/orders", wire(order));
      expect(res.status, `${maxFeeBps} ${flags}`).toBe(422);
      expect(res.body.error.code).toBe("FEE_TOO_LOW");
      expect(res.body.error.details).toMatchObject({ maxFeeBps, minFeeBps, role });
      expect((await get(url, `/v1/orders/${order.hash}`)).status).toBe(404);
    }
    // The same in a batch, per order.
    const batch = await post(
      url,
      "/v1/orders/batch",
      JSON.stringify({ orders: [JSON.parse(wire(await buy({ maxFeeBps: 0 })))] }),
    );
    expect(batch.body.results[0].error.code).toBe("FEE_TOO_LOW");
    expect(journalRecords()).toBe(journal);
    // At the fee, and a post-only order at the maker fee (0), are accepted.
    expect((await post(url, "/v1/orders", wire(await buy({ maxFeeBps: 10 })))).status).toBe(201);
    const postOnly = await buy({ maxFeeBps: 0, flags: 1, price: USDC(800n) });
    expect((await post(url, "/v1/orders", wire(postOnly))).status).toBe(201);
  }, 60_000);

  it("shows a resting maker partly filled as partially_filled, in the API and on the stream", async () => {
    const url = service.url;
    const sdk = new ClearmatchClient({
      baseUrl: url,
      chainId: chain.stack.chain.id,
      settlement: chain.stack.settlement,
    });
    const events: StreamEvent[] = [];
    const sub = sdk.subscribe([`account:${trader(1)}`], (e) => events.push(e));
    try {
      await sub.ready;
      const maker = await signedOrder(chain, traderIndex(1), {
        side: 1,
        price: USDC(1_100n),
        amount: (3n * ONE_ETH) / 10n,
      });
      const rested = await post(url, "/v1/orders", wire(maker));
      expect(rested.status).toBe(201);
      expect(rested.body.order.status).toBe("open");
      const taker = await signedOrder(chain, traderIndex(0), {
        side: 0,
        price: USDC(1_100n),
        amount: ONE_ETH / 10n,
      });
      const took = await post(url, "/v1/orders", wire(taker));
      expect(took.status).toBe(201);
      expect(took.body.order.status).toBe("filled");
      expect(took.body.fills).toHaveLength(1);

      const view = (await get(url, `/v1/orders/${maker.hash}`)).body;
      expect(view.status).toBe("partially_filled");
      expect(BigInt(view.filled)).toBe(ONE_ETH / 10n);
      const update = await eventually(
        () =>
          events.find(
            (e) =>
              e.event === "order" &&
              (e.data as any).orderHash === maker.hash &&
              (e.data as any).status === "partially_filled",
          ),
        10_000,
        "the maker's order update",
      );
      expect(BigInt((update.data as any).filled)).toBe(ONE_ETH / 10n);
      const accountOrders = (await get(url, `/v1/accounts/${trader(1)}/orders`)).body.orders;
      expect(accountOrders.find((o: any) => o.orderHash === maker.hash).status).toBe(
        "partially_filled",
      );
    } finally {
      sub.close();
    }
  }, 60_000);

  it("answers the proof of a fill not batched yet with 409 FILL_NOT_BATCHED, of an unknown fill with 404", async () => {
    const url = service.url;
    const maker = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(1_100n),
      amount: ONE_ETH / 10n,
    });
    expect((await post(url, "/v1/orders", wire(maker))).status).toBe(201);
    const taker = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: USDC(1_100n),
      amount: ONE_ETH / 10n,
    });
    const took = await post(url, "/v1/orders", wire(taker));
    expect(took.body.fills).toHaveLength(1);
    // The fill exists, but is not in a batch yet (BATCH_MAX_MS 10 s): 409, not 404.
    const fillId = took.body.fills[0].fillId as string;
    const proof = await get(url, `/v1/fills/${fillId}/proof`);
    expect(proof.status).toBe(409);
    expect(proof.body.error.code).toBe("FILL_NOT_BATCHED");
    expect(proof.body.error.details).toMatchObject({ fillId, state: "matched" });
    const unknown = await get(url, "/v1/fills/999999/proof");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("UNKNOWN_FILL");
  }, 60_000);
});
