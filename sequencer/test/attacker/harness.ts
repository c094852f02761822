/**
 * The attacker (issue 21): a malicious sequencer against the real v2 contracts on the dev chain,
 * with the watchtower and two trader watchers running as separate processes
 * (`scripts/watchtower.ts`, `--trader`). The harness holds the sequencer role's key itself (the
 * real service is not involved) and serves the order feed the watchtower reads.
 *
 * - **Frauds**: per kind, one batch whose fill contradicts a signed order of a watched trader (A
 *   buys, B sells) in that way, committed top-level; then it waits for a proof or a challenge, and
 *   for the rollback. Kinds the v2 commit cannot express or refuses are tried and reported so.
 * - **Griefs** (the harness plays an honest sequencer: it answers every challenge with the signed
 *   order, records contract wallets' approvals a grace before committing, finalizes in time):
 *   each griefing trader's fill shares its batch with a fill of two unrelated traders (C buys from
 *   D), and the report counts the unrelated fills rolled back.
 *
 * `withholdFeed`: the feed serves no order, so only the trader watchers can catch the frauds.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  createWalletClient,
  encodeFunctionData,
  http,
  parseEventLogs,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { revertErrorName } from "../../../sdk/src/onchain-actions.js";
import {
  settlementAbi,
  OrderHasher,
  clearmatchDomain,
  orderTypes,
  type FillLeaf,
  type Order,
  buildBatchCommit,
  markFokRunEnds,
  FRAUD_KINDS,
  type FraudKindName,
} from "@clearmatch/protocol";
import { recoverAddress } from "../../src/crypto/recover.js";
import {
  devAccount,
  devCommitMarkets,
  devTokenAbi,
  DEV_ROLES,
  fundAndDeposit,
} from "../../../scripts/lib/devchain/deploy-dev-stack.js";
import { rpc } from "../../../scripts/lib/devchain/hardhat-node.js";
import { ROLLBACK_REASONS } from "../../src/core/rollback.js";
import { JsonlOrderStore } from "../../../scripts/lib/jsonl-order-store.js";
import { advanceTime, mineBlocks, startDevChain, type DevChain } from "../helpers/dev-chain.js";
import { serveOrderFeed, type FeedServer } from "../helpers/order-feed.js";

const ONE_ETH = 10n ** 18n;
const USDC = (n: bigint) => n * 10n ** 6n;
const WINDOW = 120n;
const RESPONSE = 30n;
const DISPUTE_TIMEOUT = 60n;
const WITHDRAWAL_DELAY = 300n;
const GRACE = 30;
const BOND = 10n ** 17n;
const RolledBack = 3;
const Finalized = 2;

/** Dev accounts of the cast. */
const who = {
  A: DEV_ROLES.firstTrader, // watched buyer
  B: DEV_ROLES.firstTrader + 1, // watched seller
  C: DEV_ROLES.firstTrader + 2, // unrelated buyer
  D: DEV_ROLES.firstTrader + 3, // unrelated seller
  G: DEV_ROLES.firstTrader + 4, // griefer (an EOA)
  K1: DEV_ROLES.firstTrader + 5, // owner of the griefer's contract wallet
  K2: DEV_ROLES.firstTrader + 6, // the key the wallet's code is turned over to
  E: DEV_ROLES.firstTrader + 7, // griefer whose EOA gains code (EIP-7702)
  tower: DEV_ROLES.firstTrader + 8,
} as const;

export interface FraudRow {
  kind: string;
  injected: number;
  /** Refused by `commitBatch` (or not expressible in a v2 record): nothing to catch. */
  refusedAtCommit: number;
  proven: number;
  challengedAndUpheld: number;
  finalized: number;
  /** Who acted first: watchtower, watcher A, watcher B. */
  by: string;
  note: string;
}

export interface GriefRow {
  grief: string;
  /** What the griefer's move met. */
  outcome: string;
  unrelatedFills: number;
  unrelatedRolledBack: number;
}

export interface AttackReport {
  withholdFeed: boolean;
  frauds: FraudRow[];
  griefs: GriefRow[];
  /** From each fraudulent commit landing to the proof or challenge transaction seen mined. */
  latenciesMs: number[];
  p99LatencyMs: number;
  /** Batches the harness committed honestly that rolled back anyway (must be 0). */
  honestRolledBack: number;
  watchers: Record<string, Record<string, unknown>>;
}

type OrderFields = Partial<Order> & { side: number; price: bigint; amount: bigint };

interface Signed {
  order: Order;
  hash: Hex;
  signature: Hex;
}

interface Committed {
  batchId: bigint;
  fills: FillLeaf[];
  proofs: Hex[][];
  deltas: readonly { account: Address; token: Address; delta: bigint }[];
  block: bigint;
  landedAt: number;
  /** Committed by the harness playing an honest sequencer: must never roll back. */
  honest: boolean;
}

export async function runAttack(options: {
  withholdFeed: boolean;
  griefs: boolean;
  log?: (line: string) => void;
}): Promise<AttackReport> {
  const log = options.log ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), "clearmatch-attacker-"));
  const chain = await startDevChain({
    challengeWindow: WINDOW,
    challengeResponseWindow: RESPONSE,
    disputeTimeout: DISPUTE_TIMEOUT,
    withdrawalDelay: WITHDRAWAL_DELAY,
    disputeBond: BOND,
    cancelGraceBlocks: GRACE,
  });
  const children: ChildProcess[] = [];
  let feed: FeedServer | undefined;
  try {
    const h = new Harness(chain, dir, log);
    await h.fund();
    feed = await h.serveFeed(options.withholdFeed);
    children.push(
      await h.spawnWatcher("watchtower", who.tower, { ORDER_FEED_URL: feed.url }),
      await h.spawnWatcher("watcher A", who.A, {}, "--trader"),
      await h.spawnWatcher("watcher B", who.B, {}, "--trader"),
    );
    const frauds = await h.frauds();
    const griefs = options.griefs ? await h.griefs() : [];
    await h.finalizeAll();
    for (const row of frauds) row.finalized = await h.finalizedOf(row.kind);
    for (const row of griefs) row.unrelatedRolledBack = await h.unrelatedRolledBack(row.grief);
    const sorted = [...h.latencies].sort((a, b) => a - b);
    const watchers: AttackReport["watchers"] = {};
    for (const name of ["watchtower", "watcher A", "watcher B"])
      watchers[name] = JSON.parse(
        await readFile(join(dir, name.replace(" ", "-"), "stats.json"), "utf8"),
      ) as Record<string, unknown>;
    return {
      withholdFeed: options.withholdFeed,
      frauds,
      griefs,
      latenciesMs: h.latencies,
      p99LatencyMs: sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)] ?? 0,
      honestRolledBack: await h.honestRolledBack(),
      watchers,
    };
  } finally {
    for (const child of children) child.kill("SIGKILL");
    await feed?.close();
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The report as the table CI prints. */
export function formatReport(r: AttackReport): string {
  const pad = (s: string | number, n: number) => String(s).padEnd(n);
  const lines = [
    `attacker run: order feed ${r.withholdFeed ? "WITHHOLDING every order (trader watchers only)" : "serving every order"}`,
    `${pad("fraud kind", 24)}${pad("injected", 10)}${pad("refused", 9)}${pad("proven", 8)}${pad("challenged", 12)}${pad("finalized", 11)}${pad("first by", 12)}note`,
  ];
  for (const f of r.frauds)
    lines.push(
      `${pad(f.kind, 24)}${pad(f.injected, 10)}${pad(f.refusedAtCommit, 9)}${pad(f.proven, 8)}${pad(f.challengedAndUpheld, 12)}${pad(f.finalized, 11)}${pad(f.by || "-", 12)}${f.note}`,
    );
  if (r.griefs.length > 0) {
    lines.push(
      "",
      `${pad("grief", 30)}${pad("unrelated fills", 17)}${pad("rolled back", 13)}outcome`,
    );
    for (const g of r.griefs)
      lines.push(
        `${pad(g.grief, 30)}${pad(g.unrelatedFills, 17)}${pad(g.unrelatedRolledBack, 13)}${g.outcome}`,
      );
  }
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  lines.push(
    "",
    `commit landed -> proof or challenge mined: n=${sorted.length}, median ${sorted[Math.floor(sorted.length / 2)] ?? 0} ms, p99 ${r.p99LatencyMs} ms, max ${sorted.at(-1) ?? 0} ms`,
  );
  lines.push(`honest batches rolled back: ${r.honestRolledBack}`);
  for (const [name, s] of Object.entries(r.watchers))
    lines.push(
      `${name}: ${String(s.batchesChecked)} batches checked, ${String(s.fillsWithoutOrders)} sides without orders, ` +
        `${String(s.proofsSent)} proofs sent (${String(s.proofsFailed)} beaten to it), ${String(s.challengesSent)} challenges, ${String(s.challengesUpheld)} upheld`,
    );
  return lines.join("\n");
}

/** The contract's custom error name of a failed call, else the error's first line. */
function revertName(error: unknown): string {
  return (
    revertErrorName(error) ??
    (error instanceof Error ? error.message.split("\n")[0]! : String(error))
  );
}

class Harness {
  readonly latencies: number[] = [];
  readonly #fraudBatches = new Map<string, bigint[]>();
  readonly #griefBatches = new Map<string, { batchId: bigint; unrelated: number }>();
  readonly #committed: Committed[] = [];
  readonly #feed: Signed[] = [];
  readonly #signed = new Map<string, Signed>();
  readonly #stores = new Map<number, JsonlOrderStore>();
  readonly #hasher: OrderHasher;
  readonly #domain;
  #nonce = 1n;

  constructor(
    readonly chain: DevChain,
    readonly dir: string,
    readonly log: (line: string) => void,
  ) {
    this.#domain = clearmatchDomain(chain.stack.chain.id, chain.stack.settlement);
    this.#hasher = new OrderHasher(this.#domain);
    for (const i of [who.A, who.B])
      this.#stores.set(i, new JsonlOrderStore(join(dir, `signed-orders-${i}.jsonl`)));
  }

  get #settlement() {
    return this.chain.stack.settlement;
  }
  get #tokens() {
    return this.chain.stack.tokens as { WETH: Address; USDC: Address };
  }

  wallet(index: number) {
    return createWalletClient({
      chain: this.chain.stack.chain as Chain,
      transport: http(this.chain.node.url),
      account: devAccount(index).account as Account,
    });
  }

  async fund(): Promise<void> {
    const { WETH, USDC: usdc } = this.#tokens;
    const url = this.chain.node.url;
    await fundAndDeposit(this.chain.stack, url, who.A, usdc, USDC(1_000_000n));
    await fundAndDeposit(this.chain.stack, url, who.B, WETH, 200n * ONE_ETH);
    await fundAndDeposit(this.chain.stack, url, who.C, usdc, USDC(1_000_000n));
    await fundAndDeposit(this.chain.stack, url, who.D, WETH, 50n * ONE_ETH);
    await fundAndDeposit(this.chain.stack, url, who.G, WETH, 20n * ONE_ETH);
    await fundAndDeposit(this.chain.stack, url, who.E, WETH, 20n * ONE_ETH);
  }

  /** The sequencer's order feed (`GET /v1/feed/orders`), or one serving nothing. */
  serveFeed(withhold: boolean): Promise<FeedServer> {
    return serveOrderFeed(() => (withhold ? [] : this.#feed));
  }

  async spawnWatcher(
    name: string,
    key: number,
    env: Record<string, string>,
    ...args: string[]
  ): Promise<ChildProcess> {
    const logFile = join(this.dir, `${name.replace(" ", "-")}.log`);
    const out = openSync(logFile, "a");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", resolve("scripts/watchtower.ts"), ...args],
      {
        stdio: ["ignore", out, out],
        env: {
          ...process.env,
          RPC_URL: this.chain.node.url,
          SETTLEMENT_ADDRESS: this.#settlement,
          WATCHTOWER_KEY: devAccount(key).privateKey,
          SETTLEMENT_START_BLOCK: String(this.chain.stack.deployBlock),
          WATCHTOWER_DATA_DIR: join(this.dir, name.replace(" ", "-")),
          WATCHTOWER_POLL_MS: "200",
          SIGNED_ORDERS_FILE: join(this.dir, `signed-orders-${key}.jsonl`),
          ...env,
        },
      },
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const text = await readFile(
        join(this.dir, name.replace(" ", "-"), "stats.json"),
        "utf8",
      ).catch(() => "");
      if (text !== "") break; // its first check is done
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`${name} did not start: ${await readFile(logFile, "utf8")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return child;
  }

  // ------------------------------------------------------------ orders and fills

  /** An order signed by `index` (or, for a contract wallet, by its owner), published and kept. */
  async sign(index: number, fields: OrderFields, as?: { trader: Address }): Promise<Signed> {
    const { account } = devAccount(index);
    const order = this.#order(as?.trader ?? account.address, fields);
    const signature = await account.signTypedData({
      domain: this.#domain,
      types: orderTypes,
      primaryType: "Order",
      message: order,
    });
    const signed = { order, hash: this.#hasher.hashOrder(order), signature };
    this.#feed.push(signed);
    this.#signed.set(signed.hash.toLowerCase(), signed);
    this.#stores.get(index)?.add(signed.hash, order); // the trader's client keeps what it signs
    return signed;
  }

  /** An order in `index`'s name that nobody signed (hashed only). */
  unsigned(index: number, fields: OrderFields): Signed {
    const order = this.#order(devAccount(index).account.address, fields);
    return { order, hash: this.#hasher.hashOrder(order), signature: "0x" };
  }

  /** A month-long order of `trader` in market 1 with a fresh nonce, `fields` over the defaults. */
  #order(trader: Address, fields: OrderFields): Order {
    return {
      trader,
      marketId: 1,
      nonce: this.#nonce++,
      expiry: BigInt(Math.floor(Date.now() / 1000) + 30 * 86_400),
      maxFeeBps: 50,
      flags: 0,
      ...fields,
    };
  }

  /** A fill of `taker` against resting `maker`, honest unless `o` says otherwise. */
  fill(
    maker: Signed,
    taker: Signed,
    o: Partial<FillLeaf> & { base: bigint; makerAfter?: bigint; takerAfter?: bigint },
  ): FillLeaf {
    const price = o.price ?? maker.order.price;
    const quote = (o.base * price) / ONE_ETH;
    return {
      batchId: 0n,
      index: 0,
      makerOrderHash: maker.hash,
      takerOrderHash: taker.hash,
      maker: maker.order.trader,
      taker: taker.order.trader,
      marketId: 1,
      takerSide: taker.order.side,
      price,
      baseAmount: o.base,
      quoteAmount: quote,
      makerFee: 0n,
      takerFee: quote / 1_000n,
      makerFilledAfter: o.makerAfter ?? o.base,
      takerFilledAfter: o.takerAfter ?? o.base,
      takerFok: false,
      fokRunEnd: false,
      ...o,
    } as FillLeaf;
  }

  async #nextBatchId(): Promise<bigint> {
    return this.chain.stack.publicClient.readContract({
      address: this.#settlement,
      abi: settlementAbi,
      functionName: "nextBatchId",
    });
  }

  /** Commits `fills` as the sequencer's key (top-level), as they are: the malicious path. */
  async commit(
    fills: FillLeaf[],
    tamper?: (deltas: { account: Address; token: Address; delta: bigint }[]) => void,
    honest = false,
  ): Promise<Committed> {
    const batchId = await this.#nextBatchId();
    fills.forEach((f, i) => Object.assign(f, { batchId, index: i }));
    markFokRunEnds(fills);
    const built = buildBatchCommit(
      fills,
      devCommitMarkets(this.chain.stack),
      devAccount(DEV_ROLES.feeRecipient).account.address,
    );
    const deltas = built.deltas.map((d) => ({ ...d }));
    tamper?.(deltas);
    const receipt = await this.send(
      DEV_ROLES.sequencer,
      this.#settlement,
      settlementAbi,
      "commitBatch",
      [batchId, built.commitFills, deltas],
    );
    const committed: Committed = {
      batchId,
      fills,
      proofs: built.proofs,
      deltas,
      block: receipt.blockNumber,
      landedAt: Date.now(),
      honest,
    };
    this.#committed.push(committed);
    return committed;
  }

  /** Simulates then sends one call from dev account `index`; throws the revert's error name. */
  async send(
    index: number,
    address: Address,
    abi: Abi,
    functionName: string,
    args: readonly unknown[],
    value?: bigint,
  ): Promise<TransactionReceipt> {
    const wallet = this.wallet(index);
    const { publicClient } = this.chain.stack;
    try {
      const { request } = await publicClient.simulateContract({
        account: wallet.account,
        address,
        abi,
        functionName,
        args,
        ...(value !== undefined ? { value } : {}),
      } as never);
      const hash = await wallet.writeContract(request as never);
      return await publicClient.waitForTransactionReceipt({ hash });
    } catch (error) {
      throw new Error(revertName(error), { cause: error });
    }
  }

  /** Calls `settlement.functionName(args)` through contract wallet `wallet`, owned by `owner`. */
  async viaWallet(owner: number, wallet: Address, functionName: string, args: readonly unknown[]) {
    const data = encodeFunctionData({ abi: settlementAbi, functionName, args } as never);
    return this.send(owner, wallet, walletAbi, "execute", [this.#settlement, data]);
  }

  async status(batchId: bigint): Promise<number> {
    const b = await this.chain.stack.publicClient.readContract({
      address: this.#settlement,
      abi: settlementAbi,
      functionName: "batch",
      args: [batchId],
    });
    return b.status;
  }

  /**
   * Waits for the first watcher action on `c`: a fraud proof, a conflicting-fills rollback or a
   * challenge; records the time from the commit landing to the harness seeing it mined.
   */
  async firstAction(c: Committed) {
    const { publicClient } = this.chain.stack;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const logs = await publicClient.getLogs({ address: this.#settlement, fromBlock: c.block });
      const events = parseEventLogs({ abi: settlementAbi, logs }).filter(
        (e) =>
          ((e.eventName === "FraudProven" || e.eventName === "ChallengeOpened") &&
            e.args.batchId === c.batchId) ||
          (e.eventName === "BatchesRolledBack" && e.args.fromBatchId === c.batchId),
      );
      const first = events[0];
      if (first) {
        this.latencies.push(Date.now() - c.landedAt);
        const tx = await publicClient.getTransaction({ hash: first.transactionHash });
        const by = this.#actor(tx.from);
        return { via: first.eventName === "ChallengeOpened" ? "challenge" : "proof", by };
      }
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  #actor(from: Address): string {
    const names: [number, string][] = [
      [who.tower, "watchtower"],
      [who.A, "watcher A"],
      [who.B, "watcher B"],
    ];
    return (
      names.find(
        ([i]) => devAccount(i).account.address.toLowerCase() === from.toLowerCase(),
      )?.[1] ?? from
    );
  }

  /** The reason the batch rolled back, once it has (undefined after `timeoutMs`). */
  async #rolledBackBy(batchId: bigint, timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [rolled] = await this.chain.stack.publicClient.getContractEvents({
        address: this.#settlement,
        abi: settlementAbi,
        eventName: "BatchesRolledBack",
        args: { fromBatchId: batchId },
        fromBlock: this.chain.stack.deployBlock,
        strict: true,
      });
      if (rolled) return ROLLBACK_REASONS[rolled.args.reason];
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** What the proof that rolled `c` back showed (`FraudProven`, else conflicting fills). */
  async #provenKind(c: Committed): Promise<string> {
    const [proven] = await this.chain.stack.publicClient.getContractEvents({
      address: this.#settlement,
      abi: settlementAbi,
      eventName: "FraudProven",
      args: { batchId: c.batchId },
      fromBlock: c.block,
      strict: true,
    });
    return proven ? FRAUD_KINDS[proven.args.kind]! : "ConflictingFills";
  }

  // ------------------------------------------------------------ frauds

  /** One fraudulent batch of `kind`: committed, then caught (or refused at commit). */
  async #fraud(
    kind: string,
    inject: () => Promise<Committed>,
    after?: () => Promise<void>,
  ): Promise<FraudRow> {
    const row: FraudRow = {
      kind,
      injected: 1,
      refusedAtCommit: 0,
      proven: 0,
      challengedAndUpheld: 0,
      finalized: 0,
      by: "",
      note: "",
    };
    let c: Committed;
    try {
      c = await inject();
    } catch (error) {
      row.refusedAtCommit = 1;
      row.note = `commitBatch reverted: ${(error as Error).message}`;
      return row;
    }
    this.#fraudBatches.set(kind, [c.batchId]);
    const action = await this.firstAction(c);
    await after?.();
    if (!action) {
      row.note = "no watcher acted within 30 s";
      return row;
    }
    row.by = action.by;
    if (action.via === "challenge") {
      // The malicious sequencer cannot answer: once the deadline passes, the watcher upholds
      // (unless a proof rolled the batch back first).
      const rolled = await this.#rolledBackBy(c.batchId, 5_000);
      if (rolled === undefined) await advanceTime(this.chain.node.url, RESPONSE + 1n);
    }
    const reason = await this.#rolledBackBy(c.batchId, 30_000);
    if (reason === "ChallengeUnanswered") {
      row.challengedAndUpheld = 1;
      row.note = "challenged (never signed); upheld at the deadline";
    } else if (reason !== undefined) {
      row.proven = 1;
      const proven = await this.#provenKind(c);
      row.note =
        action.via === "challenge"
          ? `challenged (never signed), then proven as ${proven}`
          : `proven as ${proven}`;
    } else row.note = `${action.via} sent, but the batch did not roll back`;
    this.log(`${kind}: ${row.note} by ${row.by}`);
    return row;
  }

  async frauds(): Promise<FraudRow[]> {
    const { A, B, C } = who;
    const ask = (fields: Partial<Order> = {}) =>
      this.sign(B, { side: 1, price: USDC(2_000n), amount: ONE_ETH, ...fields });
    const bid = (fields: Partial<Order> = {}) =>
      this.sign(A, { side: 0, price: USDC(2_100n), amount: ONE_ETH, ...fields });
    const url = this.chain.node.url;
    const rows: FraudRow[] = [];
    const run = async (
      kind: string,
      inject: () => Promise<Committed>,
      after?: () => Promise<void>,
    ) => rows.push(await this.#fraud(kind, inject, after));

    await run("PriceWorseThanLimit", async () => {
      const [m, t] = [await ask(), await bid({ price: USDC(1_900n) })];
      return this.commit([this.fill(m, t, { base: ONE_ETH })]);
    });
    await run("OverFilled", async () => {
      const [m, t] = [await ask({ amount: ONE_ETH / 2n }), await bid()];
      return this.commit([this.fill(m, t, { base: ONE_ETH })]);
    });
    await run("FeeAboveMax", async () => {
      const [m, t] = [await ask(), await bid()];
      const f = this.fill(m, t, { base: ONE_ETH });
      return this.commit([{ ...f, takerFee: f.quoteAmount / 100n }]); // 100 bps > 50
    });
    await run("Expired", async () => {
      const now = (await this.chain.stack.publicClient.getBlock()).timestamp;
      const [m, t] = [await ask({ expiry: now + 5n }), await bid()];
      await advanceTime(url, 10);
      return this.commit([this.fill(m, t, { base: ONE_ETH })]);
    });
    await run("WrongMarket", async () => {
      const [m, t] = [await ask({ marketId: 2 }), await bid()];
      return this.commit([this.fill(m, t, { base: ONE_ETH })]);
    });
    await run("WrongTrader", async () => {
      // B's ask, but the fill names A as its maker: A pays with WETH it never offered.
      const [m, t] = [
        await ask(),
        await this.sign(C, { side: 0, price: USDC(2_100n), amount: ONE_ETH }),
      ];
      return this.commit([
        { ...this.fill(m, t, { base: ONE_ETH }), maker: devAccount(A).account.address },
      ]);
    });
    await run("WrongSide", async () => {
      // B signed a bid; the fill makes B sell.
      const [m, t] = [
        await this.sign(B, { side: 0, price: USDC(2_000n), amount: ONE_ETH }),
        await bid(),
      ];
      return this.commit([this.fill(m, t, { base: ONE_ETH, takerSide: 0 })]);
    });
    await run("Cancelled", async () => {
      const [m, t] = [await ask(), await bid()];
      await this.send(B, this.#settlement, settlementAbi, "cancelOrder", [m.hash]);
      await mineBlocks(url, GRACE + 1);
      return this.commit([this.fill(m, t, { base: ONE_ETH })]);
    });
    await run("NonceInvalidated", async () => {
      const [m, t] = [await ask(), await bid()];
      await this.send(B, this.#settlement, settlementAbi, "invalidateNonces", [m.order.nonce + 1n]);
      await mineBlocks(url, GRACE + 1);
      return this.commit([this.fill(m, t, { base: ONE_ETH })]);
    });
    await run(
      "MarketPaused",
      async () => {
        const [m, t] = [await ask(), await bid()];
        await this.send(DEV_ROLES.guardian, this.#settlement, settlementAbi, "setMarketPaused", [
          1,
          true,
        ]);
        return this.commit([this.fill(m, t, { base: ONE_ETH })]);
      },
      async () => {
        await this.send(DEV_ROLES.guardian, this.#settlement, settlementAbi, "setMarketPaused", [
          1,
          false,
        ]);
      },
    );
    await run("NotMakersPrice", async () => {
      const [m, t] = [await ask({ price: USDC(1_900n) }), await bid()];
      return this.commit([this.fill(m, t, { base: ONE_ETH, price: USDC(2_000n) })]);
    });
    await run("FlagsViolated", async () => {
      const [m, t] = [await ask(), await bid({ flags: 1 })]; // post-only, filled as taker
      return this.commit([this.fill(m, t, { base: ONE_ETH })]);
    });
    await run("FokPartial", async () => {
      const [m, t] = [await ask(), await bid({ flags: 4, amount: 2n * ONE_ETH })];
      return this.commit([this.fill(m, t, { base: ONE_ETH, takerFok: true })]);
    });
    await run("ConflictingFills", async () => {
      // B's ask fully filled in an honest batch, then "filled" again, claiming the same range.
      const m = await ask();
      await this.commit([this.fill(m, await bid(), { base: ONE_ETH })], undefined, true);
      return this.commit([this.fill(m, await bid(), { base: ONE_ETH })]);
    });
    await run("UnsignedOrder", async () => {
      // A fill of an order in A's name that A never signed: only a challenge can show it.
      const t = this.unsigned(A, { side: 0, price: USDC(2_100n), amount: ONE_ETH });
      return this.commit([this.fill(await ask(), t, { base: ONE_ETH })]);
    });
    await run("DeltasNotMatchingFills", async () => {
      const [m, t] = [await ask(), await bid()];
      return this.commit([this.fill(m, t, { base: ONE_ETH })], (deltas) => {
        // Moves one USDC atom from the fee recipient to A: still balanced per token.
        const usdc = this.#tokens.USDC.toLowerCase();
        const inUsdc = deltas.filter((d) => d.token.toLowerCase() === usdc);
        inUsdc[0]!.delta += 1n;
        inUsdc[1]!.delta -= 1n;
      });
    });
    rows.push(await this.#emptyFlood(20));
    for (const kind of ["BadQuoteAmount", "OffTickOrLot", "MislabelledLeaf"] as FraudKindName[])
      rows.push({
        kind,
        injected: 0,
        refusedAtCommit: 0,
        proven: 0,
        challengedAndUpheld: 0,
        finalized: 0,
        by: "",
        note:
          kind === "MislabelledLeaf"
            ? "not expressible: the contract labels each leaf with its own batch id and index"
            : "not expressible: a record carries ticks and lots; the contract computes price and quote",
      });
    return rows;
  }

  /** `count` commits of no fills, mined (fixed gas): each must revert, creating no batch. */
  async #emptyFlood(count: number): Promise<FraudRow> {
    const wallet = this.wallet(DEV_ROLES.sequencer);
    const { publicClient } = this.chain.stack;
    const before = await this.#nextBatchId();
    let reverted = 0;
    let refusedAs = "";
    for (let i = 0; i < count; i++) {
      // Sent without simulation, fixed gas: the chain mines it and the node reports the revert.
      try {
        const hash = await wallet.writeContract({
          address: this.#settlement,
          abi: settlementAbi,
          functionName: "commitBatch",
          args: [before, "0x", []],
          gas: 200_000n,
        });
        const receipt = await publicClient.waitForTransactionReceipt({ hash });
        if (receipt.status === "reverted") reverted++;
      } catch (error) {
        refusedAs = revertName(error);
        if (refusedAs === "SettlementEmptyBatch") reverted++;
      }
    }
    const after = await this.#nextBatchId();
    let error = "";
    try {
      await this.send(DEV_ROLES.sequencer, this.#settlement, settlementAbi, "commitBatch", [
        before,
        "0x",
        [],
      ]);
    } catch (e) {
      error = (e as Error).message;
    }
    return {
      kind: "EmptyBatchFlood",
      injected: count,
      refusedAtCommit: reverted,
      proven: 0,
      challengedAndUpheld: 0,
      finalized: Number(after - before),
      by: "",
      note: `${reverted} of ${count} commits reverted (${refusedAs || "mined, status reverted"}); batches created: ${after - before}`,
    };
  }

  // ------------------------------------------------------------ griefs (honest sequencer)

  /** The honest sequencer answers every open challenge it holds a signed order for. */
  async #answerChallenges(fromBlock: bigint): Promise<number> {
    const { publicClient } = this.chain.stack;
    const opened = await publicClient.getContractEvents({
      address: this.#settlement,
      abi: settlementAbi,
      eventName: "ChallengeOpened",
      fromBlock,
      strict: true,
    });
    let answered = 0;
    for (const e of opened) {
      const c = await publicClient.readContract({
        address: this.#settlement,
        abi: settlementAbi,
        functionName: "challenge",
        args: [e.args.challengeId],
      });
      const signed = this.#signed.get(e.args.orderHash.toLowerCase());
      if (c.status !== 1 || !signed) continue;
      await this.send(DEV_ROLES.sequencer, this.#settlement, settlementAbi, "answerChallenge", [
        e.args.challengeId,
        signed.order,
        signed.signature,
      ]);
      answered++;
    }
    return answered;
  }

  /** A batch of the griefer's fill (it sells 1 WETH to C) and an unrelated one (D sells to C). */
  async #griefBatch(grief: string, griefer: Signed, beforeCommit?: () => Promise<void>) {
    const { C, D } = who;
    const cBid = await this.sign(C, { side: 0, price: USDC(2_000n), amount: 2n * ONE_ETH });
    const dAsk = await this.sign(D, { side: 1, price: USDC(2_000n), amount: ONE_ETH });
    const fills = [
      this.fill(griefer, cBid, { base: ONE_ETH, takerAfter: ONE_ETH }),
      this.fill(dAsk, cBid, { base: ONE_ETH, takerAfter: 2n * ONE_ETH }),
    ];
    await beforeCommit?.();
    const c = await this.commit(fills, undefined, true);
    this.#griefBatches.set(grief, { batchId: c.batchId, unrelated: 1 });
    return c;
  }

  async griefs(): Promise<GriefRow[]> {
    const { G, K1, K2, E } = who;
    const url = this.chain.node.url;
    const rows: GriefRow[] = [];
    const start = await this.chain.stack.publicClient.getBlockNumber();
    const sell = (index: number, as?: { trader: Address }) =>
      this.sign(index, { side: 1, price: USDC(2_000n), amount: ONE_ETH }, as);
    const row = (grief: string, outcome: string) => {
      rows.push({ grief, outcome, unrelatedFills: 1, unrelatedRolledBack: 0 });
      this.log(`${grief}: ${outcome}`);
    };

    // 1. ERC-1271: a contract wallet signs, its fill is committed, then its code stops
    //    accepting the signature (its owner turned over) and it challenges.
    {
      const wallet = await this.#deployWallet(K1);
      await this.#fundWallet(K1, wallet, 5n * ONE_ETH);
      const order = await sell(K1, { trader: wallet });
      // The honest sequencer fixes the wallet's consent on-chain, a grace before committing.
      const c = await this.#griefBatch("ERC-1271 revocation", order, async () => {
        await this.send(DEV_ROLES.sequencer, this.#settlement, settlementAbi, "recordApproval", [
          wallet,
          order.hash,
          order.signature,
        ]);
        await mineBlocks(url, GRACE + 1);
      });
      await this.#setCodeOfWalletOwnedBy(wallet, K2);
      await this.viaWallet(K2, wallet, "challengeFill", [c.fills[0]!, c.proofs[0]!]);
      const answered = await this.#answerChallenges(start);
      row(
        "ERC-1271 revocation",
        `challenge answered (${answered}) with the approval recorded before the commit`,
      );
    }
    // 2. EIP-7702: an EOA's own ECDSA signature, then its address gains code that refuses it.
    {
      const order = await sell(E);
      const c = await this.#griefBatch("EIP-7702 revocation", order);
      await this.send(E, this.#settlement, settlementAbi, "challengeFill", [
        c.fills[0]!,
        c.proofs[0]!,
      ]);
      await this.#setCodeOfWalletOwnedBy(devAccount(E).account.address, K2);
      const answered = await this.#answerChallenges(start);
      row(
        "EIP-7702 revocation",
        `challenge answered (${answered}): ECDSA counts whatever the code`,
      );
    }
    // 3. v = 0: the same order with v in {0, 1} instead of {27, 28}.
    {
      const order = await sell(G);
      const v0 =
        `${order.signature.slice(0, 130)}${(Number.parseInt(order.signature.slice(130), 16) - 27).toString(16).padStart(2, "0")}` as Hex;
      let intake = "accepted";
      try {
        recoverAddress(this.#hasher.hashOrder(order.order), v0);
      } catch (error) {
        intake = `refused (${(error as Error).message})`;
      }
      const c = await this.#griefBatch("v = 0 signature", order);
      const challenged = await this.send(G, this.#settlement, settlementAbi, "challengeFill", [
        c.fills[0]!,
        c.proofs[0]!,
      ]);
      let contract = "accepted";
      const { challengeId } = parseEventLogs({
        abi: settlementAbi,
        eventName: "ChallengeOpened",
        logs: challenged.logs,
      })[0]!.args;
      try {
        await this.send(DEV_ROLES.sequencer, this.#settlement, settlementAbi, "answerChallenge", [
          challengeId,
          order.order,
          v0,
        ]);
      } catch (error) {
        contract = (error as Error).message;
      }
      const answered = await this.#answerChallenges(start);
      row(
        "v = 0 signature",
        `intake ${intake}; contract answer with v=0 ${contract}; answered (${answered}) with v=27`,
      );
    }
    // 4. The on-chain cancel race: cancel in the block before the commit, then try to prove it.
    {
      const order = await sell(G);
      const c = await this.#griefBatch("on-chain cancel race", order, async () => {
        await this.send(G, this.#settlement, settlementAbi, "cancelOrder", [order.hash]);
      });
      const proof = await this.#proveOwn(G, c, order);
      row("on-chain cancel race", `cancel ${c.block - 1n} -> commit ${c.block}: proof ${proof}`);
    }
    // 5. Self-rollback loop: challenge one's own genuine fills, and try to prove them, 3 times.
    {
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i++) {
        const order = await sell(G);
        const c = await this.#griefBatch(`self-rollback loop #${i + 1}`, order);
        await this.send(G, this.#settlement, settlementAbi, "challengeFill", [
          c.fills[0]!,
          c.proofs[0]!,
        ]);
        await this.#answerChallenges(start);
        outcomes.push(await this.#proveOwn(G, c, order));
      }
      for (let i = 0; i < 3; i++)
        row(`self-rollback loop #${i + 1}`, `challenge answered; own proof ${outcomes[i]}`);
    }
    // 6. Dispute-then-withdraw: hold the batch with a dispute, ask for every token at once.
    {
      const order = await sell(G);
      const c = await this.#griefBatch("dispute-then-withdraw", order);
      const { WETH } = this.#tokens;
      const balance = await this.#balance(G, WETH);
      const disputed = await this.send(
        G,
        this.#settlement,
        settlementAbi,
        "openDispute",
        [c.batchId, `0x${"11".repeat(32)}`],
        BOND,
      );
      const { disputeId } = parseEventLogs({
        abi: settlementAbi,
        eventName: "DisputeOpened",
        logs: disputed.logs,
      })[0]!.args;
      await this.send(G, this.#settlement, settlementAbi, "requestWithdrawal", [WETH, balance]);
      // The honest side: once the dispute's deadline passes it is expired, the batch finalized,
      // all before the withdrawal delay (> window + response + dispute timeout) ends.
      await advanceTime(url, WINDOW + 1n);
      await this.send(DEV_ROLES.sequencer, this.#settlement, settlementAbi, "expireDispute", [
        disputeId,
      ]);
      await this.finalizeAll();
      await advanceTime(url, WITHDRAWAL_DELAY);
      const receipt = await this.send(G, this.#settlement, settlementAbi, "withdraw", [WETH]);
      const paid = parseEventLogs({
        abi: settlementAbi,
        eventName: "Withdrawn",
        logs: receipt.logs,
      })[0]!.args.amount;
      row(
        "dispute-then-withdraw",
        `batch ${(await this.status(c.batchId)) === Finalized ? "finalized" : "NOT finalized"} before the withdrawal executed; ` +
          `requested ${balance / ONE_ETH} WETH, paid ${paid / ONE_ETH} (its sold WETH stayed); bond forfeited`,
      );
    }
    return rows;
  }

  /** The griefer tries to prove its own (maker) fill, index 0 of `c`: what the contract said. */
  async #proveOwn(griefer: number, c: Committed, order: Signed): Promise<string> {
    try {
      await this.send(griefer, this.#settlement, settlementAbi, "proveFillFraud", [
        c.fills[0]!,
        c.proofs[0]!,
        order.order,
        true,
      ]);
      return "accepted";
    } catch (error) {
      return (error as Error).message;
    }
  }

  async #balance(index: number, token: Address): Promise<bigint> {
    return this.chain.stack.publicClient.readContract({
      address: this.#settlement,
      abi: settlementAbi,
      functionName: "balanceOf",
      args: [devAccount(index).account.address, token],
    });
  }

  async #walletArtifact(): Promise<{ abi: Abi; bytecode: Hex }> {
    return JSON.parse(
      await readFile(
        resolve("artifacts/contracts/test/TestERC1271Wallet.sol/TestERC1271Wallet.json"),
        "utf8",
      ),
    ) as { abi: Abi; bytecode: Hex };
  }

  async #deployWallet(owner: number): Promise<Address> {
    const { abi, bytecode } = await this.#walletArtifact();
    const wallet = this.wallet(owner);
    const hash = await wallet.deployContract({
      abi,
      bytecode,
      args: [devAccount(owner).account.address],
    } as never);
    const receipt = await this.chain.stack.publicClient.waitForTransactionReceipt({ hash });
    return receipt.contractAddress!;
  }

  /** Gives `address` the code of a wallet owned by `owner` (its ERC-1271 answers change). */
  async #setCodeOfWalletOwnedBy(address: Address, owner: number): Promise<void> {
    const other = await this.#deployWallet(owner);
    const code = await this.chain.stack.publicClient.getCode({ address: other });
    await rpc(this.chain.node.url, "hardhat_setCode", [address, code]);
  }

  async #fundWallet(owner: number, wallet: Address, amount: bigint): Promise<void> {
    const { WETH } = this.#tokens;
    await this.send(owner, WETH, devTokenAbi as Abi, "mint", [wallet, amount]);
    const approve = encodeFunctionData({
      abi: devTokenAbi,
      functionName: "approve",
      args: [this.#settlement, amount],
    });
    await this.send(owner, wallet, walletAbi, "execute", [WETH, approve]);
    await this.viaWallet(owner, wallet, "deposit", [WETH, amount]);
  }

  // ------------------------------------------------------------ the end

  /** Past every window, finalizes each pending batch in order (rolled-back ones are skipped). */
  async finalizeAll(): Promise<void> {
    await advanceTime(this.chain.node.url, WINDOW + RESPONSE + 1n);
    for (const c of this.#committed) {
      if ((await this.status(c.batchId)) !== 1) continue;
      await this.send(DEV_ROLES.sequencer, this.#settlement, settlementAbi, "finalizeBatch", [
        c.batchId,
        c.deltas,
      ]);
    }
  }

  /** Honest batches (the conflict's first fill, every grief's) that rolled back: must be 0. */
  async honestRolledBack(): Promise<number> {
    let n = 0;
    for (const c of this.#committed)
      if (c.honest && (await this.status(c.batchId)) === RolledBack) n++;
    return n;
  }

  async finalizedOf(kind: string): Promise<number> {
    let n = 0;
    for (const id of this.#fraudBatches.get(kind) ?? [])
      if ((await this.status(id)) === Finalized) n++;
    return n;
  }

  async unrelatedRolledBack(grief: string): Promise<number> {
    const b = this.#griefBatches.get(grief);
    return b && (await this.status(b.batchId)) === RolledBack ? b.unrelated : 0;
  }
}

const walletAbi = [
  {
    type: "function",
    name: "execute",
    stateMutability: "payable",
    inputs: [
      { name: "target", type: "address" },
      { name: "data", type: "bytes" },
    ],
    outputs: [{ name: "", type: "bytes" }],
  },
] as const satisfies Abi;
