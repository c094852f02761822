/**
 * The watchtower (issue 21): a process apart from the sequencer, with its own state, that follows
 * every `BatchCommitted` event, rebuilds the batch's fills from the commit transaction's input
 * alone (`commitBatch` is top-level: no trace API), judges each side of each fill against the
 * signed order it names with the contract's own rules (`settlement/fraud-rules.ts`, the commit
 * context rebuilt from chain data by the SDK's `CommitContextReader`), and sends `proveFillFraud`
 * for the first provable side of a batch, well inside the window. A fill whose order it does not
 * have (the sequencer's feed may withhold it) is counted: the traders' own watchers cover those.
 *
 * Durable: the cursor (the last block whose commits are all checked) is written after each range,
 * so a restart or an RPC outage resumes where it stopped and misses no batch; re-checking a batch
 * is harmless (a rolled-back batch is skipped, a proof is only sent for a pending one).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { CommitContextReader } from "../../../sdk/src/commit-context.js";
import { fillStruct } from "../../../sdk/src/onchain-actions.js";
import { settlementAbi } from "../chain/settlement-abi.js";
import { OrderHasher } from "../eip712/order-hasher.js";
import { clearmatchDomain, type FillLeaf, type Order } from "../eip712/types.js";
import {
  decodeCommitFills,
  decodeCommitInput,
  FILL_RECORD_BYTES,
  type CommitMarket,
} from "../settlement/commit-fills.js";
import { findFraud, type FraudKindName } from "../settlement/fraud-rules.js";
import { buildFillTree } from "../settlement/merkle.js";

/** Where the watchtower gets the signed orders fills name (the sequencer's feed, or a trader's own). */
export interface OrderSource {
  /** Brings the source up to date (for a feed: pages in what was accepted since the last sync). */
  sync(): Promise<void>;
  /** The order with this EIP-712 hash, if the source has it. */
  get(orderHash: Hex): Order | undefined;
}

/** Where the cursor lives between runs. */
export interface CursorStore {
  load(): bigint | undefined;
  save(block: bigint): void;
}

/** A JSON file written atomically (temporary file, then rename). */
export class FileCursorStore implements CursorStore {
  constructor(readonly path: string) {}
  load(): bigint | undefined {
    try {
      const { block } = JSON.parse(readFileSync(this.path, "utf8")) as { block: string };
      return BigInt(block);
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    }
  }
  save(block: bigint): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ block: block.toString() }));
    renameSync(tmp, this.path);
  }
}

/** What the watchtower has done, for metrics and logs. */
export interface WatchtowerStats {
  batchesChecked: number;
  fillsChecked: number;
  /** Fill sides whose order the source did not have (or had with another hash). */
  fillsWithoutOrders: number;
  proofsSent: number;
  /** Proofs that reverted (another watcher proved it first, or the batch left pending). */
  proofsFailed: number;
  /** The last block whose commits are all checked. */
  cursor: bigint;
  /** Head block minus cursor at the last check. */
  lagBlocks: bigint;
  /**
   * How far behind the chain head a commit was when checked, in ms of chain time (the head's
   * timestamp minus the commit block's): the 99th percentile and the maximum over the last 10,000
   * commits. Whole seconds on chains with one-second timestamps.
   */
  checkLagP99Ms: number;
  checkLagMaxMs: number;
}

/** One proof sent. */
export interface ProofSent {
  batchId: bigint;
  index: number;
  side: "maker" | "taker";
  kind: FraudKindName;
  txHash: Hex;
  /** Milliseconds from seeing the commit to the proof's receipt. */
  latencyMs: number;
}

export interface WatchtowerOptions {
  publicClient: PublicClient;
  /** Pays for proofs. */
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  settlement: Address;
  orders: OrderSource;
  cursor: CursorStore;
  /** First block to read commits from when there is no cursor (the deployment block). */
  fromBlock: bigint;
  /** Blocks behind the head the watchtower reads to (default 0: a proof is urgent). */
  confirmations?: number;
  /** Most blocks per log query (default 2,000). */
  maxRange?: bigint;
  /** Called for each proof sent. */
  onProof?: (proof: ProofSent) => void;
  /** Called after each check, with the stats (the CLI writes them to its state directory). */
  afterCheck?: (stats: WatchtowerStats) => void;
  /** Called for each fill side whose order is missing. */
  onMissingOrder?: (batchId: bigint, index: number, side: "maker" | "taker") => void;
}

const PENDING = 1;
const commitEvent = settlementAbi.find(
  (x) => x.type === "event" && x.name === "BatchCommitted",
) as Extract<(typeof settlementAbi)[number], { type: "event"; name: "BatchCommitted" }>;

export class Watchtower {
  readonly stats: WatchtowerStats;
  readonly #o: WatchtowerOptions;
  readonly #reader: CommitContextReader;
  readonly #markets = new Map<number, CommitMarket>();
  #hasher: OrderHasher | undefined;
  #lastBlock: { number: bigint; time: number } | undefined;
  readonly #lags: number[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;

  constructor(options: WatchtowerOptions) {
    this.#o = options;
    this.#reader = new CommitContextReader(options.publicClient, options.settlement);
    const cursor = options.cursor.load() ?? (options.fromBlock > 0n ? options.fromBlock - 1n : -1n);
    this.stats = {
      batchesChecked: 0,
      fillsChecked: 0,
      fillsWithoutOrders: 0,
      proofsSent: 0,
      proofsFailed: 0,
      cursor,
      lagBlocks: 0n,
      checkLagP99Ms: 0,
      checkLagMaxMs: 0,
    };
  }

  /** Checks every commit from the cursor to the head; returns the proofs sent. */
  async checkOnce(): Promise<ProofSent[]> {
    const { publicClient, settlement } = this.#o;
    const latest = await publicClient.getBlock({ blockTag: "latest" });
    const head = latest.number - BigInt(this.#o.confirmations ?? 0);
    const headTime = Number(latest.timestamp) * 1000;
    const proofs: ProofSent[] = [];
    const maxRange = this.#o.maxRange ?? 2_000n;
    while (this.stats.cursor < head) {
      const fromBlock = this.stats.cursor + 1n;
      const toBlock = fromBlock + maxRange - 1n < head ? fromBlock + maxRange - 1n : head;
      const logs = await publicClient.getLogs({
        address: settlement,
        event: commitEvent,
        fromBlock,
        toBlock,
      });
      if (logs.length > 0) await this.#o.orders.sync();
      for (const log of logs) {
        const seenAt = Date.now();
        const proof = await this.#checkBatch(log.args.batchId!, log.transactionHash!, seenAt);
        if (proof) proofs.push(proof);
        await this.#recordLag(log.blockNumber!, headTime);
      }
      this.stats.cursor = toBlock;
      this.#o.cursor.save(toBlock);
    }
    this.stats.lagBlocks = head > this.stats.cursor ? head - this.stats.cursor : 0n;
    if (this.#lags.length > 0) {
      // Once per check, not per commit: the window holds up to 10,000 lags.
      const sorted = [...this.#lags].sort((a, b) => a - b);
      this.stats.checkLagP99Ms =
        sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
      this.stats.checkLagMaxMs = sorted[sorted.length - 1]!;
    }
    this.#o.afterCheck?.(this.stats);
    return proofs;
  }

  /**
   * Records how far behind the chain a commit was checked: the head's time when the check began
   * minus the commit block's time, both the chain's clock.
   */
  async #recordLag(blockNumber: bigint, headTime: number): Promise<void> {
    // Commits arrive in block order: only the last block's time is worth keeping.
    if (this.#lastBlock?.number !== blockNumber) {
      const { timestamp } = await this.#o.publicClient.getBlock({ blockNumber });
      this.#lastBlock = { number: blockNumber, time: Number(timestamp) * 1000 };
    }
    this.#lags.push(Math.max(0, headTime - this.#lastBlock.time));
    if (this.#lags.length > 10_000) this.#lags.shift();
  }

  /** Polls every `intervalMs` until `stop()`; errors (an RPC outage) are retried next time. */
  start(intervalMs = 1_000, onError: (error: unknown) => void = () => undefined): void {
    this.#running = true;
    const tick = async () => {
      try {
        await this.checkOnce();
      } catch (error) {
        onError(error);
      }
      if (this.#running) this.#timer = setTimeout(() => void tick(), intervalMs);
    };
    void tick();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
  }

  async #checkBatch(batchId: bigint, txHash: Hex, seenAt: number): Promise<ProofSent | undefined> {
    const { publicClient, settlement } = this.#o;
    const tx = await publicClient.getTransaction({ hash: txHash });
    const call = decodeCommitInput(tx.input);
    if (call.batchId !== batchId) return undefined; // not this event's commit (cannot happen)
    const markets = await this.#marketsOf(call.fills);
    const fills = decodeCommitFills(batchId, call.fills, call.deltas, (id) => markets.get(id));
    const tree = buildFillTree(fills);
    const onChain = await publicClient.readContract({
      address: settlement,
      abi: settlementAbi,
      functionName: "batch",
      args: [batchId],
    });
    this.stats.batchesChecked++;
    if (onChain.fillsRoot.toLowerCase() !== tree.root.toLowerCase()) return undefined;
    if (onChain.status !== PENDING) return undefined; // finalized or rolled back already
    // Every side judged at once (each judgement is a few reads), then the first provable one in
    // batch order is proven: one proof rolls the batch back.
    const sides = fills.flatMap((fill) =>
      (["maker", "taker"] as const).map((side) => ({ fill, side })),
    );
    const verdicts = await Promise.all(sides.map(({ fill, side }) => this.#judge(fill, side)));
    this.stats.fillsChecked += fills.length;
    const at = verdicts.findIndex((v) => v !== undefined);
    if (at < 0) return undefined;
    const { fill, side } = sides[at]!;
    return this.#prove(fill, tree.proofs[fill.index]!, verdicts[at]!, side, seenAt);
  }

  /** The fraud kind of one side of `fill`, if its order is known and contradicts it. */
  async #judge(
    fill: FillLeaf,
    side: "maker" | "taker",
  ): Promise<{ order: Order; kind: FraudKindName } | undefined> {
    const orderHash = side === "maker" ? fill.makerOrderHash : fill.takerOrderHash;
    const order = this.#o.orders.get(orderHash);
    const hasher = await this.#orderHasher();
    if (!order || hasher.hashOrder(order).toLowerCase() !== orderHash.toLowerCase()) {
      this.stats.fillsWithoutOrders++;
      this.#o.onMissingOrder?.(fill.batchId, fill.index, side);
      return undefined;
    }
    const ctx = await this.#reader.contextFor(fill, order, orderHash);
    const kind = findFraud(fill, order, side === "maker", ctx);
    return kind ? { order, kind } : undefined;
  }

  async #prove(
    fill: FillLeaf,
    proof: Hex[],
    found: { order: Order; kind: FraudKindName },
    side: "maker" | "taker",
    seenAt: number,
  ): Promise<ProofSent | undefined> {
    const { publicClient, walletClient, settlement } = this.#o;
    try {
      const { request } = await publicClient.simulateContract({
        account: walletClient.account,
        address: settlement,
        abi: settlementAbi,
        functionName: "proveFillFraud",
        args: [fillStruct(fill), proof, found.order, side === "maker"],
      });
      const txHash = await walletClient.writeContract(request);
      await publicClient.waitForTransactionReceipt({ hash: txHash });
      const sent: ProofSent = {
        batchId: fill.batchId,
        index: fill.index,
        side,
        kind: found.kind,
        txHash,
        latencyMs: Date.now() - seenAt,
      };
      this.stats.proofsSent++;
      this.#o.onProof?.(sent);
      return sent;
    } catch {
      this.stats.proofsFailed++;
      return undefined;
    }
  }

  /** The markets a batch's records name, read once each (a market's steps never change). */
  async #marketsOf(packed: Hex): Promise<Map<number, CommitMarket>> {
    const ids = new Set<number>();
    // The market id is bytes 64-67 of each record (commit-fills.ts); two hex digits a byte.
    for (let at = 2 + 2 * 64; at < packed.length; at += 2 * FILL_RECORD_BYTES)
      ids.add(Number.parseInt(packed.slice(at, at + 8), 16));
    for (const id of ids) {
      if (this.#markets.has(id)) continue;
      const m = await this.#o.publicClient.readContract({
        address: this.#o.settlement,
        abi: settlementAbi,
        functionName: "market",
        args: [id],
      });
      this.#markets.set(id, {
        baseToken: m.baseToken,
        quoteToken: m.quoteToken,
        tickSize: m.tickSize,
        lotSize: m.lotSize,
        baseDecimals: m.baseDecimals,
      });
    }
    return this.#markets;
  }

  async #orderHasher(): Promise<OrderHasher> {
    if (!this.#hasher) {
      const chainId = await this.#o.publicClient.getChainId();
      this.#hasher = new OrderHasher(clearmatchDomain(chainId, this.#o.settlement));
    }
    return this.#hasher;
  }
}

/** An order source over a fixed set of signed orders (a trader's own, or a test's). */
export class MapOrderSource implements OrderSource {
  readonly #orders = new Map<string, Order>();
  add(orderHash: Hex, order: Order): void {
    this.#orders.set(orderHash.toLowerCase(), order);
  }
  async sync(): Promise<void> {}
  get(orderHash: Hex): Order | undefined {
    return this.#orders.get(orderHash.toLowerCase());
  }
}

/** The order feed of a sequencer (`GET /v1/feed/orders`), paged in from where it last stopped. */
export class FeedOrderSource implements OrderSource {
  readonly #orders = new Map<string, Order>();
  #after: string | undefined;

  constructor(
    readonly client: {
      getAcceptedOrdersPage(options: { after?: string; limit?: number }): Promise<{
        items: readonly { orderHash: Hex; order: Order; seq: number }[];
        nextCursor?: string;
      }>;
    },
  ) {}

  /** Orders held. */
  get size(): number {
    return this.#orders.size;
  }

  async sync(): Promise<void> {
    for (;;) {
      const page = await this.client.getAcceptedOrdersPage({
        limit: 1_000,
        ...(this.#after !== undefined ? { after: this.#after } : {}),
      });
      for (const o of page.items) this.#orders.set(o.orderHash.toLowerCase(), o.order);
      const last = page.items.at(-1);
      if (last) this.#after = String(last.seq);
      if (page.nextCursor === undefined) return;
    }
  }

  get(orderHash: Hex): Order | undefined {
    return this.#orders.get(orderHash.toLowerCase());
  }
}
