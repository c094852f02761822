/**
 * `POST /v1/orders/batch` against the real service: orders are applied in arrival order (a
 * later order of the batch matches an earlier one), answered per order, and made durable
 * together; the same with `SIGNATURE_VERIFIER=viem`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundAndDeposit } from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { startDevChain, type DevChain } from "./helpers/dev-chain.js";
import {
  config,
  ONE_ETH,
  post,
  serviceEnv,
  signedOrder,
  traderIndex,
  USDC,
  wire,
  fundTraders,
} from "./helpers/service-kit.js";

describe("batch intake (hardhat node + Redis, real signatures over HTTP)", () => {
  let chain: DevChain;

  beforeAll(async () => {
    chain = await startDevChain();
    await fundTraders(chain);
  }, 120_000);

  afterAll(async () => {
    await chain?.stop();
  });

  for (const [verifier, threads] of [
    ["fast", "0"],
    ["fast", "1"],
    ["fast", "2"],
    ["viem", "0"],
  ] as const) {
    it(`applies a batch in arrival order and answers each order (${verifier} verifier, ${threads} verify threads)`, async () => {
      let service: RunningService | undefined;
      try {
        service = await startService(
          config(
            await serviceEnv(chain, { SIGNATURE_VERIFIER: verifier, VERIFY_THREADS: threads }),
          ),
        );
        const ask = await signedOrder(chain, traderIndex(1), {
          side: 1,
          price: USDC(2_000n),
          amount: ONE_ETH,
        });
        const bid = await signedOrder(chain, traderIndex(0), {
          side: 0,
          price: USDC(2_000n),
          amount: ONE_ETH,
        });
        const forged = await signedOrder(chain, traderIndex(0), {
          side: 0,
          price: USDC(1_990n),
          amount: ONE_ETH,
        });
        // Signed by trader 0, claiming trader 1.
        const claimed = { ...forged, order: { ...forged.order, trader: ask.order.trader } };
        const body = `{"orders":[${[ask, bid, claimed, ask].map(wire).join(",")}]}`;
        const res = await post(service.url, "/v1/orders/batch", body);
        expect(res.status).toBe(200);
        const results = res.body["results"] as Record<string, any>[];
        expect(results.map((r) => r["status"])).toEqual([201, 201, 400, 200]);
        expect(results[1]!["fills"]).toHaveLength(1);
        expect(results[1]!["fills"][0]["makerOrderHash"]).toBe(ask.hash);
        expect(results[2]!["error"]["code"]).toBe("BAD_SIGNATURE");
        expect(service.core.order(ask.hash)?.status).toBe("filled");

        // The single-order endpoint takes the same path (through the pool when there is one).
        const single = await post(service.url, "/v1/orders", wire(forged));
        expect(single.status).toBe(201);
        expect(single.body["order"]["orderHash"]).toBe(forged.hash);
        expect((await post(service.url, "/v1/orders", wire(forged))).status).toBe(200);
        const claimedAlone = await post(service.url, "/v1/orders", wire(claimed));
        expect(claimedAlone.status).toBe(400);
        expect(claimedAlone.body["error"]["code"]).toBe("BAD_SIGNATURE");

        // Five signatures were checked (repeats are answered before any check). With a pool,
        // its worker named the signer of the three honest ones; the two claiming someone else's
        // order were recovered again on the event loop.
        const checks = Object.fromEntries(
          (await service.metrics.signatureChecks.get()).values.map((v) => [
            v.labels["path"],
            v.value,
          ]),
        );
        expect(checks).toEqual(
          verifier === "viem"
            ? { viem: 5 }
            : threads === "0"
              ? { main: 5 }
              : { worker: 3, main: 2 },
        );
      } finally {
        await service?.stop();
      }
    }, 60_000);
  }
});
