import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEventLogs, type Address } from "viem";
import { settlementAbi } from "@clearmatch/protocol";
import { BatchStatus } from "../src/chain/settlement-client.js";
import {
  devAccount,
  DEV_ROLES,
  fundAndDeposit,
} from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { advanceTime, eventually, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import {
  config,
  ONE_ETH,
  post,
  serviceEnv,
  signedOrder,
  trader,
  traderIndex,
  USDC,
  wire,
} from "./helpers/service-kit.js";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.js";
import { allBatches } from "../src/read/paging.js";

const WINDOW = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function redisCli(...args: string[]): string {
  try {
    return execFileSync("redis-cli", ["-p", "6379", ...args], {
      encoding: "utf8",
      timeout: 5_000,
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return "";
  }
}

/** Starts the (memory-only) test Redis if it is not answering, and waits for PING. */
async function ensureRedis(): Promise<void> {
  if (redisCli("ping").trim() === "PONG") return;
  execFileSync("redis-server", [
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
  await eventually(() => (redisCli("ping").trim() === "PONG" ? true : undefined), 15_000, "Redis");
}

describe("service faults (Redis restart with data loss, RPC outage)", () => {
  let chain: DevChain;
  let proxy: TcpProxy;
  let service: RunningService;
  let tokens: Record<string, Address>;
  /** Base amount the seller has sold, by the acknowledged orders' fills. */
  let sold = 0n;
  const deposited = { weth: 20n * ONE_ETH, usdc: USDC(40_000n) };

  const accounts = () => [
    trader(0),
    trader(1),
    trader(2),
    devAccount(DEV_ROLES.feeRecipient).account.address,
  ];

  /** Places a resting ask by trader 1 and crossing bids by traders 0 and 2; all acknowledged. */
  async function trade(bids: bigint[]): Promise<void> {
    const total = bids.reduce((a, b) => a + b, 0n);
    const ask = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(2_000n),
      amount: total,
    });
    expect((await post(service.url, "/v1/orders", wire(ask))).status).toBe(201);
    for (const [i, amount] of bids.entries()) {
      const bid = await signedOrder(chain, traderIndex(i % 2 === 0 ? 0 : 2), {
        side: 0,
        price: USDC(2_000n),
        amount,
      });
      const res = await post(service.url, "/v1/orders", wire(bid));
      expect(res.status).toBe(201);
      expect(res.body.fills?.length).toBe(1);
      sold += amount;
    }
  }

  async function committedEvents() {
    const logs = await chain.stack.publicClient.getLogs({
      address: chain.stack.settlement,
      fromBlock: 0n,
    });
    return parseEventLogs({ abi: settlementAbi, logs, eventName: "BatchCommitted" });
  }

  /** Waits for every fill to be batched and committed, then finalizes them all. */
  async function settleEverything(): Promise<void> {
    await eventually(
      () =>
        service.core.matchedCount === 0 &&
        allBatches(service.core).every((b) => b.state === "COMMITTED" || b.state === "FINALIZED")
          ? true
          : undefined,
      45_000,
      "every fill committed",
    );
    await advanceTime(chain.node.url, WINDOW + 1);
    await eventually(
      () => (allBatches(service.core).every((b) => b.state === "FINALIZED") ? true : undefined),
      45_000,
      "every batch finalized",
    );
  }

  async function expectConsistent(): Promise<void> {
    const batches = allBatches(service.core);
    const ids = batches.map((b) => b.batchId).sort((a, b) => (a < b ? -1 : 1));
    const first = ids[0]!;
    expect(ids).toEqual(ids.map((_, i) => first + BigInt(i)));
    expect(await chain.client.nextBatchId()).toBe(ids.at(-1)! + 1n);
    const commits = await committedEvents();
    for (const id of ids) {
      expect(commits.filter((c) => c.args.batchId === id).length, `commits of ${id}`).toBe(1);
      expect((await chain.client.batch(id)).status).toBe(BatchStatus.Finalized);
    }
    expect(commits.length).toBe(ids.length);
    for (const account of accounts()) {
      for (const token of Object.values(tokens)) {
        expect(service.core.ledger.balance(account, token).finalized, `${account} ${token}`).toBe(
          await chain.client.balanceOf(account, token),
        );
      }
    }
    // Every acknowledged fill reached the vault.
    expect(await chain.client.balanceOf(trader(1), tokens.WETH!)).toBe(deposited.weth - sold);
    service.core.ledger.checkInvariants();
  }

  beforeAll(async () => {
    await ensureRedis();
    chain = await startDevChain({ challengeWindow: BigInt(WINDOW) });
    tokens = chain.stack.tokens as Record<string, Address>;
    await fundAndDeposit(chain.stack, chain.node.url, traderIndex(0), tokens.USDC!, deposited.usdc);
    await fundAndDeposit(chain.stack, chain.node.url, traderIndex(1), tokens.WETH!, deposited.weth);
    await fundAndDeposit(chain.stack, chain.node.url, traderIndex(2), tokens.USDC!, deposited.usdc);
    proxy = await startTcpProxy(chain.node.url);
    const env = await serviceEnv(chain, { RPC_URL: proxy.url });
    service = await startService(config(env));
  }, 120_000);

  afterAll(async () => {
    proxy?.open();
    await ensureRedis();
    await service?.stop();
    await proxy?.close();
    await chain?.stop();
  });

  it("loses no acknowledged fill and commits every batch once when Redis restarts empty mid-run", async () => {
    await trade([ONE_ETH]);
    await eventually(
      () => allBatches(service.core).find((b) => b.state === "COMMITTED"),
      30_000,
      "a committed batch",
    );
    // Fills matched and a finalize job scheduled; then Redis dies with every job.
    await trade([ONE_ETH / 2n, ONE_ETH / 4n]);
    try {
      redisCli("shutdown", "nosave");
      await eventually(
        () => (redisCli("ping").trim() === "PONG" ? undefined : true),
        10_000,
        "Redis down",
      );
      await trade([ONE_ETH / 8n]);
      await sleep(1_500);
    } finally {
      await ensureRedis();
    }
    await trade([ONE_ETH / 2n]);
    await settleEverything();
    await expectConsistent();
  }, 120_000);

  it("commits and finalizes without loss or double commit, and counts outage deposits once, after an RPC outage", async () => {
    await trade([ONE_ETH]);
    const due = await eventually(
      () => allBatches(service.core).find((b) => b.state === "COMMITTED"),
      30_000,
      "a committed batch",
    );
    proxy.cut();
    try {
      // Fills waiting to be committed, a finalize due, and a deposit the watcher cannot see yet.
      await trade([ONE_ETH / 2n, ONE_ETH / 4n]);
      await advanceTime(chain.node.url, WINDOW + 1);
      await fundAndDeposit(chain.stack, chain.node.url, traderIndex(2), tokens.USDC!, USDC(1_000n));
      deposited.usdc += USDC(1_000n);
      await sleep(6_000);
      expect(service.core.batch(due.batchId)!.state).toBe("COMMITTED");
    } finally {
      proxy.open();
    }
    await eventually(
      () => (service.core.batch(due.batchId)!.state === "FINALIZED" ? true : undefined),
      45_000,
      "the due batch finalized",
    );
    await trade([ONE_ETH / 4n]);
    await settleEverything();
    await expectConsistent();
    const usdc = tokens.USDC!;
    const trader2 = service.core.ledger.balance(trader(2), usdc).finalized;
    expect(trader2).toBe(await chain.client.balanceOf(trader(2), usdc));
  }, 120_000);
});
