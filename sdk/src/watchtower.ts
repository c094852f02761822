/**
 * The watchtower (issue 21): a process apart from the sequencer, with its own state, that follows
 * every `BatchCommitted` event, rebuilds the batch's fills from the commit transaction's input
 * alone (`commitBatch` is top-level: no trace API), judges each side of each fill against the
 * signed order it names with the contract's own rules (`protocol/src/fraud-rules.ts`, the commit
 * context rebuilt from chain data by the SDK's `CommitContextReader`), and sends `proveFillFraud`
 * for the first provable side of a batch, well inside the window. A fill whose order it does not
 * have (the sequencer's feed may withhold it) is counted: the traders' own watchers cover those.
 *
 * It also proves two fills of one order that claim overlapping filled ranges
 * (`proveConflictingFills`), across batches, which needs no order at all.
 *
 * Trader mode (`trader` set; the SDK's `watchMyFills`): only the sides naming that trader are
 * judged, against the orders the trader signed (kept by its client); a side naming the trader
 * whose order the trader never signed is challenged (`challengeFill`, "I never signed this") from
 * the trader's own key, and upheld once the sequencer's deadline passes unanswered.
 *
 * Durable: the cursor (the last block whose commits are all checked) is written after each range,
 * so a restart or an RPC outage resumes where it stopped and misses no batch; re-checking a batch
 * is harmless (a rolled-back batch is skipped, a proof is only sent for a pending one).
 */
import {
  parseEventLogs,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import {
  CommitContextReader,
  fillStruct,
  type FillStruct,
  settlementAbi,
  OrderHasher,
  clearmatchDomain,
  type FillLeaf,
  type Order,
  decodeCommitFills,
  decodeCommitInput,
  FILL_RECORD_BYTES,
  type CommitMarket,
  findFraud,
  type FraudKindName,
  buildFillTree,
} from "@clearmatch/protocol";

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

/** What the watchtower has done, for metrics and logs. */
export interface WatchtowerStats {
  batchesChecked: number;
  fillsChecked: number;
  /** Fill sides whose order the source did not have (or had with another hash). */
  fillsWithoutOrders: number;
  /** Proofs sent and mined: fraud (`proveFillFraud`) and conflicting fills (`proveConflictingFills`). */
  proofsSent: number;
  /** Proofs that reverted (another watcher proved it first, or the batch left pending). */
  proofsFailed: number;
  /** Trader mode: challenges opened ("I never signed this"), and how they ended. */
  challengesSent: number;
  /** The sequencer answered with a valid signature (the trader's client had lost the order). */
  challengesAnswered: number;
  /** Unanswered at the deadline: the batch rolled back (upheld by this watcher or another). */
  challengesUpheld: number;
  /** Challenge or uphold transactions that reverted. */
  challengesFailed: number;
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
  /** `ConflictingFills`: this side overlaps an earlier fill of the same order (`proveConflictingFills`). */
  kind: FraudKindName | "ConflictingFills";
  txHash: Hex;
  /** Milliseconds from seeing the commit to the proof's receipt. */
  latencyMs: number;
}

/** One challenge opened (trader mode). */
export interface ChallengeSent {
  batchId: bigint;
  index: number;
  side: "maker" | "taker";
  challengeId: bigint;
  txHash: Hex;
  /** Milliseconds from seeing the commit to the challenge's receipt. */
  latencyMs: number;
}

/** How a challenge this watcher follows ended. */
export type ChallengeOutcome = "answered" | "upheld" | "failed";

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
  /**
   * Trader mode: judge only the sides naming this address (`walletClient` must be its key), and
   * challenge those whose order `orders` does not hold (the trader never signed it).
   */
  trader?: Address;
  /** Trader mode: called for each challenge opened, and when one it follows ends. */
  onChallenge?: (challenge: ChallengeSent) => void;
  onChallengeOutcome?: (challengeId: bigint, outcome: ChallengeOutcome) => void;
  /** Most order sides kept to find conflicting fills across batches (default 500,000). */
  maxRangeEntries?: number;
}

/** A committed fill side's claimed range of its order, [start, end) in base atoms. */
interface RangeEntry {
  batchId: bigint;
  index: number;
  isMaker: boolean;
  start: bigint;
  end: bigint;
}

type Side = "maker" | "taker";
/** The settlement calls a watcher sends. */
type WriteCall =
  | { functionName: "proveFillFraud"; args: readonly [FillStruct, Hex[], Order, boolean] }
  | {
      functionName: "proveConflictingFills";
      args: readonly [FillStruct, Hex[], boolean, FillStruct, Hex[], boolean];
    }
  | { functionName: "challengeFill"; args: readonly [FillStruct, Hex[]] }
  | { functionName: "upholdChallenge"; args: readonly [bigint] };
type Verdict = { order: Order; kind: FraudKindName } | "missing" | undefined;

const PENDING = 1;
const ROLLED_BACK = 3;
const CHALLENGE_OPEN = 1;
const CHALLENGE_ANSWERED = 2;
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
  /** Per order hash: the ranges its committed fill sides claim (conflicting-fills proofs). */
  readonly #ranges = new Map<string, RangeEntry[]>();
  #rangeEntries = 0;
  /** Per checked batch: its commit transaction, to rebuild an earlier leaf for a conflict proof. */
  readonly #commitTx = new Map<bigint, Hex>();
  /** Trader mode: challenges opened and not yet ended (loaded from the chain after a restart). */
  readonly #challenges = new Set<bigint>();
  #challengesLoaded = false;
  #reindexed = false;

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
      challengesSent: 0,
      challengesAnswered: 0,
      challengesUpheld: 0,
      challengesFailed: 0,
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
    if (!this.#reindexed) await this.#reindex(maxRange);
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
    if (this.#o.trader) await this.#followChallenges(latest.timestamp);
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
   * After a restart, the fills committed before the cursor are read back into the range index
   * (not judged again, not counted), so a later fill that overlaps one of them is still proven.
   */
  async #reindex(maxRange: bigint): Promise<void> {
    const { publicClient, settlement } = this.#o;
    const trader = this.#o.trader?.toLowerCase();
    for (let from = this.#o.fromBlock; from <= this.stats.cursor; from += maxRange) {
      const to =
        from + maxRange - 1n < this.stats.cursor ? from + maxRange - 1n : this.stats.cursor;
      const logs = await publicClient.getLogs({
        address: settlement,
        event: commitEvent,
        fromBlock: from,
        toBlock: to,
      });
      for (const log of logs) {
        const batchId = log.args.batchId!;
        const { fills } = await this.#rebuild(batchId, log.transactionHash!);
        this.#rememberCommit(batchId, log.transactionHash!);
        for (const fill of fills)
          for (const side of ["maker", "taker"] as const)
            if (
              trader === undefined ||
              (side === "maker" ? fill.maker : fill.taker).toLowerCase() === trader
            )
              this.#indexRange(fill, side);
      }
    }
    this.#reindexed = true;
  }

  /** Keeps `batchId`'s commit transaction (the most recent 200,000 batches). */
  #rememberCommit(batchId: bigint, txHash: Hex): void {
    this.#commitTx.set(batchId, txHash);
    if (this.#commitTx.size > 200_000) this.#commitTx.delete(this.#commitTx.keys().next().value!);
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
    const { fills, tree } = await this.#rebuild(batchId, txHash);
    const onChain = await this.#o.publicClient.readContract({
      address: this.#o.settlement,
      abi: settlementAbi,
      functionName: "batch",
      args: [batchId],
    });
    this.stats.batchesChecked++;
    if (onChain.fillsRoot.toLowerCase() !== tree.root.toLowerCase()) return undefined;
    if (onChain.status === ROLLED_BACK) return undefined; // its fills claim nothing any more
    this.#rememberCommit(batchId, txHash);
    const trader = this.#o.trader?.toLowerCase();
    const sides = fills.flatMap((fill) =>
      (["maker", "taker"] as const)
        .filter(
          (side) =>
            trader === undefined ||
            (side === "maker" ? fill.maker : fill.taker).toLowerCase() === trader,
        )
        .map((side) => ({ fill, side })),
    );
    // Indexed even when finalized: a later batch may claim the same range again.
    const conflicts = sides.flatMap(({ fill, side }) => this.#indexRange(fill, side));
    if (onChain.status !== PENDING) return undefined;
    // Every side judged at once (each judgement is a few reads), then the first provable one in
    // batch order is proven: one proof rolls the batch back.
    const verdicts = await Promise.all(sides.map(({ fill, side }) => this.#judge(fill, side)));
    this.stats.fillsChecked += fills.length;
    const at = verdicts.findIndex((v) => v !== undefined && v !== "missing");
    if (at >= 0) {
      const { fill, side } = sides[at]!;
      const found = verdicts[at] as { order: Order; kind: FraudKindName };
      return this.#prove(fill, tree.proofs[fill.index]!, found, side, seenAt);
    }
    for (const conflict of conflicts) {
      const sent = await this.#proveConflict(conflict, fills, tree.proofs, seenAt);
      if (sent) return sent;
    }
    const unsigned = verdicts.indexOf("missing");
    if (trader !== undefined && unsigned >= 0) {
      const { fill, side } = sides[unsigned]!;
      await this.#challenge(fill, tree.proofs[fill.index]!, side, seenAt);
    }
    return undefined;
  }

  /** A batch's fills and tree, rebuilt from its commit transaction's input alone. */
  async #rebuild(batchId: bigint, txHash: Hex) {
    const tx = await this.#o.publicClient.getTransaction({ hash: txHash });
    const call = decodeCommitInput(tx.input);
    if (call.batchId !== batchId) throw new Error(`tx ${txHash} does not commit batch ${batchId}`);
    const markets = await this.#marketsOf(call.fills);
    const fills = decodeCommitFills(batchId, call.fills, call.deltas, (id) => markets.get(id));
    return { fills, tree: buildFillTree(fills) };
  }

  /**
   * Records the range one side claims of its order, and returns the earlier sides it overlaps
   * (`FillLib.overlaps`: [filledAfter - baseAmount, filledAfter) must be disjoint per order).
   */
  #indexRange(fill: FillLeaf, side: Side): { earlier: RangeEntry; later: RangeEntry }[] {
    const isMaker = side === "maker";
    const orderHash = (isMaker ? fill.makerOrderHash : fill.takerOrderHash).toLowerCase();
    const end = isMaker ? fill.makerFilledAfter : fill.takerFilledAfter;
    const entry: RangeEntry = {
      batchId: fill.batchId,
      index: fill.index,
      isMaker,
      start: end > fill.baseAmount ? end - fill.baseAmount : 0n,
      end,
    };
    let list = this.#ranges.get(orderHash);
    if (!list) {
      list = [];
      this.#ranges.set(orderHash, list);
    }
    const found = list
      .filter((e) => fill.baseAmount > 0n && e.start < entry.end && entry.start < e.end)
      .filter((e) => e.batchId !== entry.batchId || e.index !== entry.index)
      .map((earlier) => ({ earlier, later: entry }));
    if (
      !list.some(
        (e) => e.batchId === entry.batchId && e.index === entry.index && e.isMaker === isMaker,
      )
    ) {
      list.push(entry);
      this.#rangeEntries++;
    }
    // Bounded: the oldest orders go first (their fills are long final or rolled back).
    for (const [hash, old] of this.#ranges) {
      if (this.#rangeEntries <= (this.#o.maxRangeEntries ?? 500_000)) break;
      this.#ranges.delete(hash);
      this.#rangeEntries -= old.length;
    }
    return found;
  }

  /** Proves one overlap, unless the earlier fill's batch has rolled back (its claim is void). */
  async #proveConflict(
    conflict: { earlier: RangeEntry; later: RangeEntry },
    fills: readonly FillLeaf[],
    proofs: readonly Hex[][],
    seenAt: number,
  ): Promise<ProofSent | undefined> {
    const { earlier, later } = conflict;
    let a: { fill: FillLeaf; proof: Hex[] };
    if (earlier.batchId === later.batchId) {
      a = { fill: fills[earlier.index]!, proof: proofs[earlier.index]! };
    } else {
      const status = (
        await this.#o.publicClient.readContract({
          address: this.#o.settlement,
          abi: settlementAbi,
          functionName: "batch",
          args: [earlier.batchId],
        })
      ).status;
      const txHash = this.#commitTx.get(earlier.batchId);
      if (status === ROLLED_BACK || txHash === undefined) return undefined;
      const rebuilt = await this.#rebuild(earlier.batchId, txHash);
      a = { fill: rebuilt.fills[earlier.index]!, proof: rebuilt.tree.proofs[earlier.index]! };
    }
    const b = fills[later.index]!;
    return this.#send(
      {
        functionName: "proveConflictingFills",
        args: [
          fillStruct(a.fill),
          a.proof,
          earlier.isMaker,
          fillStruct(b),
          proofs[later.index]!,
          later.isMaker,
        ],
      },
      { fill: b, side: later.isMaker ? "maker" : "taker", kind: "ConflictingFills", seenAt },
    );
  }

  /** The fraud kind of one side of `fill`, if its order is known and contradicts it. */
  async #judge(fill: FillLeaf, side: Side): Promise<Verdict> {
    const orderHash = side === "maker" ? fill.makerOrderHash : fill.takerOrderHash;
    const order = this.#o.orders.get(orderHash);
    const hasher = await this.#orderHasher();
    if (!order || hasher.hashOrder(order).toLowerCase() !== orderHash.toLowerCase()) {
      this.stats.fillsWithoutOrders++;
      this.#o.onMissingOrder?.(fill.batchId, fill.index, side);
      return "missing";
    }
    const ctx = await this.#reader.contextFor(fill, order, orderHash);
    const kind = findFraud(fill, order, side === "maker", ctx);
    return kind ? { order, kind } : undefined;
  }

  /** Trader mode: "I never signed this", from the trader's key. */
  async #challenge(fill: FillLeaf, proof: Hex[], side: Side, seenAt: number): Promise<void> {
    try {
      const receipt = await this.#write({
        functionName: "challengeFill",
        args: [fillStruct(fill), proof],
      });
      const txHash = receipt.transactionHash;
      const opened = parseEventLogs({
        abi: settlementAbi,
        eventName: "ChallengeOpened",
        logs: receipt.logs,
      })[0];
      if (!opened) throw new Error("challengeFill did not open");
      this.#challenges.add(opened.args.challengeId);
      this.stats.challengesSent++;
      this.#o.onChallenge?.({
        batchId: fill.batchId,
        index: fill.index,
        side,
        challengeId: opened.args.challengeId,
        txHash,
        latencyMs: Date.now() - seenAt,
      });
    } catch {
      this.stats.challengesFailed++;
    }
  }

  /**
   * Trader mode: ends the challenges it opened. Answered ones are counted; an open one past its
   * deadline is upheld (`upholdChallenge`, which anyone may send), rolling its batch back.
   */
  async #followChallenges(headTime: bigint): Promise<void> {
    const { publicClient, settlement } = this.#o;
    if (!this.#challengesLoaded) {
      // After a restart: the challenges this trader opened that may still be open.
      const logs = await publicClient.getContractEvents({
        address: settlement,
        abi: settlementAbi,
        eventName: "ChallengeOpened",
        fromBlock: this.#o.fromBlock,
        strict: true,
      });
      for (const l of logs)
        if (l.args.trader.toLowerCase() === this.#o.trader!.toLowerCase())
          this.#challenges.add(l.args.challengeId);
      this.#challengesLoaded = true;
    }
    for (const id of [...this.#challenges]) {
      const c = await publicClient.readContract({
        address: settlement,
        abi: settlementAbi,
        functionName: "challenge",
        args: [id],
      });
      let outcome: ChallengeOutcome | undefined;
      if (c.status === CHALLENGE_ANSWERED) outcome = "answered";
      else if (c.status !== CHALLENGE_OPEN) outcome = "upheld";
      else if (headTime >= c.deadline) {
        outcome = await this.#write({ functionName: "upholdChallenge", args: [id] }).then(
          () => "upheld" as const,
          () => "failed" as const,
        );
      }
      if (outcome === undefined) continue;
      this.#challenges.delete(id);
      if (outcome === "answered") this.stats.challengesAnswered++;
      else if (outcome === "upheld") this.stats.challengesUpheld++;
      else this.stats.challengesFailed++;
      this.#o.onChallengeOutcome?.(id, outcome);
    }
  }

  async #prove(
    fill: FillLeaf,
    proof: Hex[],
    found: { order: Order; kind: FraudKindName },
    side: Side,
    seenAt: number,
  ): Promise<ProofSent | undefined> {
    return this.#send(
      {
        functionName: "proveFillFraud",
        args: [fillStruct(fill), proof, found.order, side === "maker"],
      },
      { fill, side, kind: found.kind, seenAt },
    );
  }

  /**
   * Simulates `call` (a revert throws, with nothing sent), sends it from the watcher's key and
   * waits for a successful receipt.
   */
  async #write(call: WriteCall): Promise<TransactionReceipt> {
    const { publicClient, walletClient, settlement } = this.#o;
    const { request } = await publicClient.simulateContract({
      account: walletClient.account,
      address: settlement,
      abi: settlementAbi,
      ...call,
    } as Parameters<typeof publicClient.simulateContract>[0]);
    const hash = await walletClient.writeContract(
      request as Parameters<typeof walletClient.writeContract>[0],
    );
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${call.functionName} reverted`);
    return receipt;
  }

  /** Sends one proof from the watcher's key; a revert (proven first by another) is counted. */
  async #send(
    call: WriteCall,
    what: { fill: FillLeaf; side: Side; kind: ProofSent["kind"]; seenAt: number },
  ): Promise<ProofSent | undefined> {
    try {
      const txHash = (await this.#write(call)).transactionHash;
      const sent: ProofSent = {
        batchId: what.fill.batchId,
        index: what.fill.index,
        side: what.side,
        kind: what.kind,
        txHash,
        latencyMs: Date.now() - what.seenAt,
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
