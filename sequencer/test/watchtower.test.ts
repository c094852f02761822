/**
 * The watchtower against a malicious sequencer on the dev chain (issue 21): the sequencer's own
 * key commits a batch whose fill contradicts a signed order; the watchtower, with its own key and
 * its own cursor file, rebuilds the fills from the commit transaction's input, proves the fraud
 * and the batch rolls back; an honest batch stays pending; a restart resumes from the cursor and
 * checks exactly the commits it has not seen; fills whose orders it lacks are counted, not proven.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPublicClient,
  createWalletClient,
  custom,
  http,
  type Account,
  type Chain,
  type Hex,
  type PublicClient,
} from "viem";
import { rpc } from "../../scripts/lib/devchain/hardhat-node.js";
import { BatchStatus } from "../src/chain/settlement-client.js";
import {
  devAccount,
  devCommitMarkets,
  DEV_ROLES,
} from "../../scripts/lib/devchain/deploy-dev-stack.js";
import { type FillLeaf, type Order, buildBatchCommit } from "@clearmatch/protocol";
import { MapOrderSource } from "../../sdk/src/order-sources.js";
import { Watchtower } from "../../sdk/src/watchtower.js";
import type { ChallengeSent, ProofSent } from "../../sdk/src/watchtower-types.js";
import { FileCursorStore } from "../../scripts/lib/watch-state.js";
import { advanceTime, eventually, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import { serveOrderFeed } from "./helpers/order-feed.js";
import {
  fundTraders,
  ONE_ETH,
  signedOrder,
  trader,
  traderClient,
  traderIndex,
  USDC,
} from "./helpers/service-kit.js";

const feeRecipient = devAccount(DEV_ROLES.feeRecipient).account.address;

describe("watchtower (dev chain, malicious sequencer)", () => {
  let chain: DevChain;
  let dir: string;
  const orders = new MapOrderSource();

  beforeAll(async () => {
    chain = await startDevChain({ challengeWindow: 30n });
    await fundTraders(chain);
    dir = await mkdtemp(join(tmpdir(), "clearmatch-watchtower-"));
  }, 120_000);

  afterAll(async () => {
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Trader 1 sells 1 WETH at 2,000; trader 0 buys up to 1 WETH at `bidPrice`. */
  async function orderPair(bidPrice: bigint, known = true) {
    const ask = await signedOrder(chain, traderIndex(1), {
      side: 1,
      price: USDC(2_000n),
      amount: ONE_ETH,
    });
    const bid = await signedOrder(chain, traderIndex(0), {
      side: 0,
      price: bidPrice,
      amount: ONE_ETH,
    });
    if (known) for (const o of [ask, bid]) orders.add(o.hash, o.order);
    return { ask, bid };
  }

  /** Commits one fill of the pair at the ask's price, as the sequencer's key, top-level. */
  async function commitFill(pair: { ask: { hash: Hex; order: Order }; bid: { hash: Hex } }) {
    const batchId = await chain.client.nextBatchId();
    const quote = USDC(2_000n);
    const fill: FillLeaf = {
      batchId,
      index: 0,
      makerOrderHash: pair.ask.hash,
      takerOrderHash: pair.bid.hash,
      maker: trader(1),
      taker: trader(0),
      marketId: 1,
      takerSide: 0,
      price: quote,
      baseAmount: ONE_ETH,
      quoteAmount: quote,
      makerFee: 0n,
      takerFee: quote / 1_000n,
      makerFilledAfter: ONE_ETH,
      takerFilledAfter: ONE_ETH,
      takerFok: false,
      fokRunEnd: false,
    };
    const commit = buildBatchCommit([fill], devCommitMarkets(chain.stack), feeRecipient);
    await chain.client.commitBatch(batchId, commit.commitFills, commit.deltas);
    return batchId;
  }

  const watchtower = (proofs: ProofSent[], publicClient = chain.stack.publicClient) =>
    new Watchtower({
      publicClient,
      walletClient: createWalletClient({
        chain: chain.stack.chain as Chain,
        transport: http(chain.node.url),
        account: devAccount(traderIndex(5)).account as Account,
      }),
      settlement: chain.stack.settlement,
      orders,
      cursor: new FileCursorStore(join(dir, "cursor.json")),
      fromBlock: chain.stack.deployBlock,
      onProof: (p) => proofs.push(p),
    });

  it("proves a fill at a price worse than the taker's limit, leaves the honest batch pending, and resumes after a restart", async () => {
    const honest = await commitFill(await orderPair(USDC(2_100n)));
    const fraud = await commitFill(await orderPair(USDC(1_900n))); // bob never bid 2,000

    const proofs: ProofSent[] = [];
    const first = watchtower(proofs);
    await first.checkOnce();
    expect(proofs.map((p) => [p.batchId, p.side, p.kind])).toEqual([
      [fraud, "taker", "PriceWorseThanLimit"],
    ]);
    expect(proofs[0]!.latencyMs).toBeLessThan(10_000);
    expect((await chain.client.batch(fraud)).status).toBe(BatchStatus.RolledBack);
    expect((await chain.client.batch(honest)).status).toBe(BatchStatus.Pending);
    expect(first.stats).toMatchObject({ batchesChecked: 2, proofsSent: 1, fillsWithoutOrders: 0 });
    // Each commit checked within 10 s of its block's time (the bound at p99).
    expect(first.stats.checkLagMaxMs).toBeLessThan(10_000);

    // A restart on the same cursor file: nothing checked twice, the next commit is.
    const later: ProofSent[] = [];
    const again = watchtower(later);
    expect(again.stats.cursor).toBe(first.stats.cursor);
    const missed = await commitFill(await orderPair(USDC(1_950n)));
    await again.checkOnce();
    expect(again.stats.batchesChecked).toBe(1);
    expect(later.map((p) => [p.batchId, p.kind])).toEqual([[missed, "PriceWorseThanLimit"]]);
    expect((await chain.client.batch(missed)).status).toBe(BatchStatus.RolledBack);
  }, 60_000);

  /** `npm run watchtower` as its own process, state in `dataDir`; `output()` is all it printed. */
  function spawnWatchtower(dataDir: string, env: Record<string, string> = {}) {
    const child = spawn(process.execPath, ["--import", "tsx", resolve("scripts/watchtower.ts")], {
      env: {
        ...process.env,
        RPC_URL: chain.node.url,
        SETTLEMENT_ADDRESS: chain.stack.settlement,
        WATCHTOWER_KEY: devAccount(traderIndex(6)).privateKey,
        SETTLEMENT_START_BLOCK: String(chain.stack.deployBlock),
        WATCHTOWER_DATA_DIR: dataDir,
        WATCHTOWER_POLL_MS: "200",
        ...env,
      },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    return { child, output: () => output };
  }

  /** The stats the process wrote after its last check. */
  async function statsOf(dataDir: string): Promise<Record<string, unknown> | undefined> {
    const text = await readFile(join(dataDir, "stats.json"), "utf8").catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
  }

  it("rides out an RPC outage: a check that fails moves no cursor, and the next one checks every batch committed meanwhile", async () => {
    let down = false;
    const failing = custom({
      request: async ({ method, params }) => {
        if (down) throw new Error("ECONNREFUSED (simulated RPC outage)");
        return rpc(chain.node.url, method, params as unknown[]);
      },
    });
    const proofs: ProofSent[] = [];
    const tower = watchtower(
      proofs,
      createPublicClient({ chain: chain.stack.chain as Chain, transport: failing }) as PublicClient,
    );
    await tower.checkOnce(); // caught up
    const cursor = tower.stats.cursor;
    down = true;
    const during = [
      await commitFill(await orderPair(USDC(2_100n))),
      await commitFill(await orderPair(USDC(1_900n))),
    ];
    await expect(tower.checkOnce()).rejects.toThrow(/RPC outage/);
    expect(tower.stats.cursor).toBe(cursor);
    down = false;
    await tower.checkOnce();
    expect(tower.stats.batchesChecked).toBe(during.length);
    expect(proofs.map((p) => [p.batchId, p.kind])).toEqual([[during[1], "PriceWorseThanLimit"]]);
    expect((await chain.client.batch(during[0]!)).status).toBe(BatchStatus.Pending);
  }, 60_000);

  it("counts fills whose orders it does not have, and proves nothing about them", async () => {
    const proofs: ProofSent[] = [];
    const tower = watchtower(proofs);
    await tower.checkOnce(); // catch up
    const unknown = await commitFill(await orderPair(USDC(1_900n), false));
    await tower.checkOnce();
    expect(proofs).toEqual([]);
    expect(tower.stats.fillsWithoutOrders).toBe(2); // both sides
    expect((await chain.client.batch(unknown)).status).toBe(BatchStatus.Pending);
  }, 60_000);

  it("runs as its own process (npm run watchtower): reads the sequencer's order feed and proves the fraud it finds", async () => {
    // A feed server with the orders of one honest and one fraudulent fill, in acceptance order.
    const pairs = [await orderPair(USDC(2_100n), false), await orderPair(USDC(1_900n), false)];
    const feed = pairs.flatMap((p) => [p.ask, p.bid]);
    const feedServer = await serveOrderFeed(() => feed);
    const honest = await commitFill(pairs[0]!);
    const fraud = await commitFill(pairs[1]!);
    const { child, output: out } = spawnWatchtower(join(dir, "process"), {
      ORDER_FEED_URL: feedServer.url,
    });
    let output = "";
    try {
      output = out();
      const deadline = Date.now() + 30_000;
      while (!output.includes(`proved batch ${fraud} `) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        output = out();
      }
      expect(output).toContain(`proved batch ${fraud} fill 0 (taker: PriceWorseThanLimit)`);
      expect((await chain.client.batch(fraud)).status).toBe(BatchStatus.RolledBack);
      expect((await chain.client.batch(honest)).status).toBe(BatchStatus.Pending);
    } finally {
      child.kill("SIGTERM");
      await feedServer.close();
    }
  }, 60_000);
  it("after kill -9 and a restart, checks every batch committed while it was down, and serves its metrics", async () => {
    const state = join(dir, "killed");
    await rm(state, { recursive: true, force: true });
    const before = await orderPair(USDC(2_100n), false);
    await commitFill(before); // checked by the first run: its ask is filled in full
    const first = spawnWatchtower(state);
    try {
      await eventually(async () => (await statsOf(state)) ?? undefined, 60_000, "first check");
    } finally {
      first.child.kill("SIGKILL");
      await new Promise((done) => first.child.once("exit", done));
    }
    const caughtUp = BigInt(String((await statsOf(state))!.cursor));
    await rm(join(state, "stats.json")); // the cursor stays: it is what the restart resumes from
    // Three batches while it is dead, their orders withheld (it counts them): one is provable
    // without any order, as it fills the first run's ask again over the same range.
    const refill = await orderPair(USDC(2_200n), false);
    const missed = [
      await commitFill(await orderPair(USDC(2_100n), false)),
      await commitFill(await orderPair(USDC(1_900n), false)),
      await commitFill({ ask: before.ask, bid: refill.bid }),
    ];
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const again = spawnWatchtower(state, { WATCHTOWER_METRICS_PORT: String(port) });
    try {
      const stats = await eventually(
        async () => {
          const s = await statsOf(state);
          return s && Number(s.batchesChecked) >= missed.length ? s : undefined;
        },
        60_000,
        "the restart to catch up",
      );
      expect(BigInt(String(stats.cursor))).toBeGreaterThan(caughtUp);
      // Exactly the batches it missed: none checked twice, none skipped.
      expect(stats.batchesChecked).toBe(missed.length);
      expect(again.output()).toContain(`watching ${chain.stack.settlement}`);
      expect(again.output()).toContain(`from block ${caughtUp + 1n}`);
      // Without a feed, every side is one whose order it lacks; the overlap with a fill it
      // checked before the kill is proven all the same (its range index is rebuilt at start).
      expect(stats.fillsWithoutOrders).toBe(2 * missed.length);
      expect(again.output()).toContain(
        `proved batch ${missed[2]} fill 0 (maker: ConflictingFills)`,
      );
      expect((await chain.client.batch(missed[2]!)).status).toBe(BatchStatus.RolledBack);
      expect((await chain.client.batch(missed[1]!)).status).toBe(BatchStatus.Pending);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/clearmatch_watch_batches_checked_total\{mode="watchtower"\} 3\b/);
      expect(metrics).toMatch(
        /clearmatch_watch_fills_without_orders_total\{mode="watchtower"\} 6\b/,
      );
      expect(metrics).toMatch(
        /clearmatch_watch_proofs_total\{outcome="sent",mode="watchtower"\} 1\b/,
      );
      expect(metrics).toContain("clearmatch_watch_check_lag_seconds");
    } finally {
      again.child.kill("SIGTERM");
    }
  }, 120_000);
  it("the SDK's watchMyFills proves fraud against the orders its client signed, and challenges and upholds a fill of an order it never signed", async () => {
    const client = traderClient(chain, "http://127.0.0.1:1", traderIndex(0));
    const me = await client.getAddress();
    const proofs: ProofSent[] = [];
    const challenges: ChallengeSent[] = [];
    const outcomes: string[] = [];
    const watch = client.watchMyFills({
      fromBlock: (await chain.stack.publicClient.getBlockNumber()) + 1n, // only what comes next
      pollMs: 100,
      onProof: (p) => proofs.push(p),
      onChallenge: (c) => challenges.push(c),
      onChallengeOutcome: (_id, outcome) => outcomes.push(outcome),
    });
    try {
      // An order the client signed, filled above its limit.
      const ask = await signedOrder(chain, traderIndex(1), {
        side: 1,
        price: USDC(2_000n),
        amount: ONE_ETH,
      });
      const signed = await client.signOrder(
        await client.buildOrder({ marketId: 1, side: 0, price: USDC(1_900n), amount: ONE_ETH }),
      );
      expect(client.signedOrders.get(signed.orderHash)).toEqual(signed.order);
      const fraud = await commitFill({ ask, bid: { hash: signed.orderHash } });
      await eventually(() => (proofs.length > 0 ? true : undefined), 30_000, "the proof");
      expect(proofs.map((p) => [p.batchId, p.side, p.kind])).toEqual([
        [fraud, "taker", "PriceWorseThanLimit"],
      ]);
      // A fill naming the trader with an order it never signed: challenged, then upheld.
      const other = await signedOrder(chain, traderIndex(0), {
        side: 0,
        price: USDC(2_100n),
        amount: ONE_ETH,
      }); // signed by the key, but not through this client: the client never saw it
      const ask2 = await signedOrder(chain, traderIndex(1), {
        side: 1,
        price: USDC(2_000n),
        amount: ONE_ETH,
      });
      const unsigned = await commitFill({ ask: ask2, bid: { hash: other.hash } });
      await eventually(() => (challenges.length > 0 ? true : undefined), 30_000, "the challenge");
      expect(challenges.map((c) => [c.batchId, c.side])).toEqual([[unsigned, "taker"]]);
      expect((await chain.client.batch(unsigned)).status).toBe(BatchStatus.Pending);
      await advanceTime(chain.node.url, 31);
      await eventually(() => (outcomes.length > 0 ? true : undefined), 30_000, "the uphold");
      expect(outcomes).toEqual(["upheld"]);
      expect((await chain.client.batch(unsigned)).status).toBe(BatchStatus.RolledBack);
      expect(watch.stats).toMatchObject({
        proofsSent: 1,
        challengesSent: 1,
        challengesUpheld: 1,
        fillsWithoutOrders: 1,
      });
      expect(me).toBe(trader(0));
    } finally {
      watch.stop();
    }
  }, 60_000);
});
