/**
 * The watchtower (issue 21): a process apart from the sequencer, with its own state, that follows
 * every `BatchCommitted` event, rebuilds the batch's fills from the commit transaction's input
 * alone (`commit-reader.ts`), judges each side of each fill against the signed order it names
 * (`order-sources.ts`) with the contract's own rules (`protocol/src/fraud-rules.ts`, under the
 * commit context the protocol's `CommitContextReader` rebuilds from chain data), and sends `proveFillFraud`
 * for the first provable side of a batch, well inside the window. A fill whose order it does not
 * have (the sequencer's feed may withhold it) is counted: the traders' own watchers cover those.
 *
 * It also proves two fills of one order that claim overlapping filled ranges
 * (`proveConflictingFills`, from `fill-ranges.ts`), across batches, which needs no order at all.
 *
 * Trader mode (`trader` set; the SDK's `watchMyFills`): only the sides naming that trader are
 * judged, against the orders the trader signed (kept by its client); a side naming the trader
 * whose order the trader never signed is challenged (`challengeFill`, "I never signed this") from
 * the trader's own key, and upheld once the sequencer's deadline passes unanswered
 * (`trader-challenges.ts`).
 *
 * Durable: the cursor (the last block whose commits are all checked) is written after each range,
 * so a restart or an RPC outage resumes where it stopped and misses no batch; re-checking a batch
 * is harmless (a rolled-back batch is skipped, a proof is only sent for a pending one).
 */
import type { Hex, TransactionReceipt } from "viem";
import {
  clearmatchDomain,
  CommitContextReader,
  fillStruct,
  findFraud,
  OrderHasher,
  settlementAbi,
  type FillLeaf,
  type FraudKindName,
  type Order,
} from "@clearmatch/protocol";
import { CommitReader } from "./commit-reader.js";
import { FillRangeIndex, type RangeEntry } from "./fill-ranges.js";
import { TraderChallenges } from "./trader-challenges.js";
import type {
  ProofSent,
  Side,
  WatchtowerOptions,
  WatchtowerStats,
  WriteCall,
} from "./watchtower-types.js";

type Verdict = { order: Order; kind: FraudKindName } | "missing" | undefined;

const PENDING = 1;
const ROLLED_BACK = 3;
const commitEvent = settlementAbi.find(
  (x) => x.type === "event" && x.name === "BatchCommitted",
) as Extract<(typeof settlementAbi)[number], { type: "event"; name: "BatchCommitted" }>;

export class Watchtower {
  readonly stats: WatchtowerStats;
  readonly #o: WatchtowerOptions;
  readonly #reader: CommitContextReader;
  readonly #commits: CommitReader;
  #hasher: OrderHasher | undefined;
  #lastBlock: { number: bigint; time: number } | undefined;
  readonly #lags: number[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  /** Per checked batch: its commit transaction, to rebuild an earlier leaf for a conflict proof. */
  readonly #commitTx = new Map<bigint, Hex>();
  /** Trader mode: its challenges. */
  readonly #challenges: TraderChallenges | undefined;
  #reindexed = false;
  readonly #ranges: FillRangeIndex;

  constructor(options: WatchtowerOptions) {
    this.#o = options;
    this.#ranges = new FillRangeIndex(options.maxRangeEntries);
    this.#commits = new CommitReader(options.publicClient, options.settlement);
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
    this.#challenges = options.trader
      ? new TraderChallenges({
          publicClient: options.publicClient,
          settlement: options.settlement,
          trader: options.trader,
          fromBlock: options.fromBlock,
          write: (call) => this.#write(call),
          stats: this.stats,
          onChallenge: options.onChallenge,
          onChallengeOutcome: options.onChallengeOutcome,
        })
      : undefined;
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
    if (this.#challenges) await this.#challenges.follow(latest.timestamp);
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
        const { fills } = await this.#commits.fillsOf(batchId, log.transactionHash!);
        this.#rememberCommit(batchId, log.transactionHash!);
        for (const fill of fills)
          for (const side of ["maker", "taker"] as const)
            if (
              trader === undefined ||
              (side === "maker" ? fill.maker : fill.taker).toLowerCase() === trader
            )
              this.#ranges.add(fill, side);
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
    const { fills, tree } = await this.#commits.fillsOf(batchId, txHash);
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
    const conflicts = sides.flatMap(({ fill, side }) => this.#ranges.add(fill, side));
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
    if (this.#challenges && unsigned >= 0) {
      const { fill, side } = sides[unsigned]!;
      await this.#challenges.open(fill, tree.proofs[fill.index]!, side, seenAt);
    }
    return undefined;
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
      const rebuilt = await this.#commits.fillsOf(earlier.batchId, txHash);
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

  async #orderHasher(): Promise<OrderHasher> {
    if (!this.#hasher) {
      const chainId = await this.#o.publicClient.getChainId();
      this.#hasher = new OrderHasher(clearmatchDomain(chainId, this.#o.settlement));
    }
    return this.#hasher;
  }
}
