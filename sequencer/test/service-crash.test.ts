import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEventLogs } from "viem";
import { settlementAbi } from "@clearmatch/protocol";
import { fundAndDeposit } from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { eventually, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import {
  get,
  ONE_ETH,
  post,
  serviceEnv,
  signedOrder,
  trader,
  traderIndex,
  USDC,
  wire,
  fundTraders,
} from "./helpers/service-kit.js";

/** Starts `tsx sequencer/src/main.ts`; resolves with its URL once it logs "service: started". */
function spawnService(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "sequencer/src/main.ts"], {
    env: { ...process.env, ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const m = /"url":"(http:[^"]+)"/.exec(buffered);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once("exit", (code) =>
      reject(new Error(`service exited ${code}: ${buffered.slice(-2000)}`)),
    );
  });
}

describe("service crash (SIGKILL between acknowledgement and commit)", () => {
  let chain: DevChain;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    chain = await startDevChain({ challengeWindow: 30n });
    await fundTraders(chain);
  }, 120_000);

  afterAll(async () => {
    child?.kill("SIGKILL");
    await chain?.stop();
  });

  it("loses no acknowledged order or fill and commits each batch once", async () => {
    const env = await serviceEnv(chain, {
      BATCH_MAX_MS: "3600000",
      // Cuts wait an hour: the margin must cover that (COMMIT_LATENCY_MAX + the batch age).
      EXPIRY_MARGIN_SECONDS: "3700",
    });
    const first = await spawnService(env);
    child = first.child;
    const startId = await chain.client.nextBatchId();
    const orders = [];
    for (let i = 0; i < 6; i++) {
      const o =
        i % 2 === 0
          ? await signedOrder(chain, traderIndex(1), {
              side: 1,
              price: USDC(2_000n),
              amount: ONE_ETH / 4n,
            })
          : await signedOrder(chain, traderIndex(0), {
              side: 0,
              price: USDC(2_000n),
              amount: ONE_ETH / 4n,
            });
      expect((await post(first.url, "/v1/orders", wire(o))).status).toBe(201);
      orders.push(o);
    }
    const fillsBefore = (await get(first.url, `/v1/accounts/${trader(0)}/fills`)).body.fills;
    expect(fillsBefore.length).toBe(3);
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));

    const second = await spawnService({ ...env, BATCH_MAX_MS: "300" });
    child = second.child;
    for (const o of orders) {
      const view = await get(second.url, `/v1/orders/${o.hash}`);
      expect(view.status).toBe(200);
      expect(view.body.status).toBe("filled");
    }
    const fillsAfter = (await get(second.url, `/v1/accounts/${trader(0)}/fills`)).body.fills;
    expect(fillsAfter.map((f: any) => f.fillId).sort()).toEqual(
      fillsBefore.map((f: any) => f.fillId).sort(),
    );
    await eventually(
      async () => ((await chain.client.nextBatchId()) === startId + 1n ? true : undefined),
      30_000,
      "commit",
    );
    // Restart once more: the committed batch is recognised, not committed again.
    second.child.kill("SIGKILL");
    await new Promise((r) => second.child.once("exit", r));
    const third = await spawnService({ ...env, BATCH_MAX_MS: "300" });
    child = third.child;
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await chain.client.nextBatchId()).toBe(startId + 1n);
    const logs = await chain.stack.publicClient.getLogs({
      address: chain.stack.settlement,
      fromBlock: 0n,
    });
    const commits = parseEventLogs({ abi: settlementAbi, logs, eventName: "BatchCommitted" });
    expect(commits.length).toBe(1);
    const batch = (await get(third.url, `/v1/batches/${startId}`)).body;
    expect(batch.fillCount).toBe(3);
    third.child.kill("SIGTERM");
    await new Promise((r) => third.child.once("exit", r));
    child = undefined;
  }, 120_000);

  it("stops on SIGTERM under load with exit code 0, and keeps every acknowledged order", async () => {
    // A graceful stop with requests in flight: whatever was acknowledged (before or during the
    // shutdown) is durable and comes back on restart, and the process exits 0 (not a signal).
    const env = await serviceEnv(chain, {
      BATCH_MAX_MS: "3600000",
      EXPIRY_MARGIN_SECONDS: "3700",
      RATE_LIMIT_PER_SEC: "100000",
      RATE_LIMIT_BURST: "100000",
    });
    const usdc = (chain.stack.tokens as Record<string, `0x${string}`>)["USDC"]!;
    await fundAndDeposit(chain.stack, chain.node.url, traderIndex(2), usdc, USDC(1_000n));
    const bids: Array<Awaited<ReturnType<typeof signedOrder>>> = [];
    for (let i = 0; i < 240; i++) {
      bids.push(
        await signedOrder(chain, traderIndex(2), {
          side: 0,
          price: USDC(1_500n) - BigInt(i) * 10_000n,
          amount: ONE_ETH / 1000n,
        }),
      );
    }
    const first = await spawnService(env);
    child = first.child;
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      first.child.once("exit", (code, signal) => resolve([code, signal])),
    );
    const acked: string[] = [];
    let next = 0;
    // 16 clients sending one order at a time; SIGTERM once 80 are acknowledged.
    const clients = Array.from({ length: 16 }, async () => {
      while (next < bids.length) {
        const o = bids[next++]!;
        const res = await post(first.url, "/v1/orders", wire(o)).catch(() => undefined);
        if (res?.status === 201) acked.push(o.hash);
        if (acked.length === 80) first.child.kill("SIGTERM");
      }
    });
    await Promise.all(clients);
    expect(await exited).toEqual([0, null]);
    child = undefined;
    expect(acked.length).toBeGreaterThanOrEqual(80);

    const second = await spawnService(env);
    child = second.child;
    for (const hash of acked) {
      const view = await get(second.url, `/v1/orders/${hash}`);
      expect(view.status).toBe(200);
      expect(view.body.status).toBe("open");
    }
    second.child.kill("SIGTERM");
    await new Promise((r) => second.child.once("exit", r));
    child = undefined;
  }, 120_000);
});
