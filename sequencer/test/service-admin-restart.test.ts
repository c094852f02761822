/**
 * The admin kill switch and market halts (operator and circuit breaker) are journaled: after a
 * restart from the same data dir, orders are still refused with the same code until an operator
 * releases the lock, and the release survives a restart too. Real hardhat node + Redis,
 * in-process service restarted against the same DATA_DIR.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  traderIndex,
  USDC,
  wire,
} from "./helpers/service-kit.js";

const ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef";

async function admin(url: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/v1/admin${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe("admin kill switch and halts survive a restart", () => {
  let chain: DevChain;
  let env: Record<string, string>;
  let service: RunningService | undefined;

  beforeAll(async () => {
    chain = await startDevChain({ challengeWindow: 30n });
    await fundTraders(chain);
    // A 1% circuit breaker, well inside the 10% price band: a 5% move trips it.
    env = await serviceEnv(chain, { ADMIN_TOKEN, CIRCUIT_BREAKER_BPS: "100" });
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await chain?.stop();
  });

  const restart = async () => {
    await service?.stop();
    service = await startService(config(env));
    return service.url;
  };
  const ask = (price: bigint) =>
    signedOrder(chain, traderIndex(1), { side: 1, price, amount: ONE_ETH / 4n });
  const bid = (price: bigint) =>
    signedOrder(chain, traderIndex(0), { side: 0, price, amount: ONE_ETH / 4n });
  const submit = async (url: string, o: Awaited<ReturnType<typeof ask>>) =>
    post(url, "/v1/orders", wire(o));
  const marketStatus = async (url: string) =>
    (await get(url, "/v1/markets")).body.markets.find((m: any) => m.marketId === 1).status;

  it("keeps the kill switch and an operator halt across restarts until released", async () => {
    let url = await restart();
    const on = await admin(url, "/kill-switch", { engaged: true, reason: "drill" });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ engaged: true, reason: "drill" });
    const halt = await admin(url, "/markets/1/halt", { reason: "maintenance" });
    expect(halt.body).toMatchObject({ marketId: 1, cause: "operator", reason: "maintenance" });
    const refused = await submit(url, await ask(USDC(2_000n)));
    expect([refused.status, refused.body.error.code]).toEqual([423, "KILL_SWITCH"]);

    url = await restart();
    expect((await admin(url, "/kill-switch")).body).toEqual(on.body);
    const still = await submit(url, await ask(USDC(2_000n)));
    expect([still.status, still.body.error.code]).toEqual([423, "KILL_SWITCH"]);
    expect(still.body.error.details).toMatchObject({ reason: "drill" });
    const off = await admin(url, "/kill-switch", { engaged: false });
    expect(off.body).toMatchObject({ engaged: false });
    // The halt is independent of the kill switch.
    const halted = await submit(url, await ask(USDC(2_000n)));
    expect([halted.status, halted.body.error.code]).toEqual([423, "MARKET_HALTED"]);
    expect(halted.body.error.details).toMatchObject({ marketId: 1, cause: "operator" });
    expect(await marketStatus(url)).toBe("halted");

    url = await restart();
    expect((await admin(url, "/kill-switch")).body).toMatchObject({ engaged: false });
    const afterRelease = await submit(url, await ask(USDC(2_000n)));
    expect([afterRelease.status, afterRelease.body.error.code]).toEqual([423, "MARKET_HALTED"]);
    expect((await admin(url, "/markets/1/resume", {})).body).toEqual({
      marketId: 1,
      resumed: true,
    });
    expect(await marketStatus(url)).toBe("active");
    expect((await submit(url, await ask(USDC(2_000n)))).status).toBe(201);

    url = await restart();
    expect(await marketStatus(url)).toBe("active");
    const b = await submit(url, await bid(USDC(2_000n)));
    expect(b.status).toBe(201);
    expect(b.body.fills?.length).toBe(1);
  }, 120_000);

  it("keeps a circuit-breaker halt across a restart until an operator resumes the market", async () => {
    let url = service!.url;
    // Last trade at 2,000 (previous test); a trade at 2,100 moves 5% > 1%: the market halts.
    expect((await submit(url, await ask(USDC(2_100n)))).status).toBe(201);
    const cross = await submit(url, await bid(USDC(2_100n)));
    expect(cross.status).toBe(201);
    expect(cross.body.fills?.length).toBe(1);
    const tripped = await submit(url, await ask(USDC(2_100n)));
    expect([tripped.status, tripped.body.error.code]).toEqual([423, "MARKET_HALTED"]);
    expect(tripped.body.error.details).toMatchObject({ marketId: 1, cause: "circuit_breaker" });

    url = await restart();
    const still = await submit(url, await ask(USDC(2_100n)));
    expect([still.status, still.body.error.code]).toEqual([423, "MARKET_HALTED"]);
    expect(still.body.error.details).toMatchObject({ cause: "circuit_breaker" });
    expect((await admin(url, "/markets/1/resume", {})).body).toEqual({
      marketId: 1,
      resumed: true,
    });
    expect((await submit(url, await ask(USDC(2_100n)))).status).toBe(201);
  }, 120_000);
});
