import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccount, fundAndDeposit } from "../src/devchain/deploy-dev-stack.js";
import { clearmatchDomain, orderTypes } from "../src/eip712/types.js";
import { validRecords } from "./support/journal-frames.js";
import { startService, type RunningService } from "../src/service/service-runtime.js";
import { startDevChain, type DevChain } from "./helpers/dev-chain.js";
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
    const env = await serviceEnv(chain, { EXPIRY_TICK_MS: "3600000" });
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
});
