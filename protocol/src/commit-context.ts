/**
 * Rebuilds, from chain data alone, the `FillLib.CommitContext` the contract would gather for a
 * fraud proof against one side of a committed fill (`SettlementProofs._commitContext`), so the
 * shared rules (`protocol/src/fraud-rules.ts`) judge a committed fill exactly as
 * `proveFillFraud` would.
 *
 * | context field | contract | read here through |
 * | --- | --- | --- |
 * | committedAt | `batch.committedAt` | `batch(batchId)` |
 * | cancelledBeforeCommit | `_cancelledAt[trader][hash] != 0 && <= batch.cancelCutoffBlock` | `cancelledAtBlock(trader, hash)` |
 * | minNonceBeforeCommit | `_minNonces[trader]` at block `batch.cancelCutoffBlock` | `minNonceAt(trader, cancelCutoffBlock)` |
 * | marketPausedAtCommit | `_marketPauses[id]` at commitBlock - 1 or commitBlock | `MarketPaused` event logs (no view exposes the history) |
 * | market | `_markets[id]` | `market(id)` |
 *
 * Gap: the pause history has no view function, so it is rebuilt from `MarketPaused(marketId,
 * paused)` logs (the last event at or before a block is the state at the end of that block, as
 * the checkpoint's same-block overwrite makes it). That needs `eth_getLogs` from the market's
 * registration (`pauseLogsFromBlock`, default 0): a node that prunes or caps log ranges may need a
 * later start block, which is only safe if the market's pause state is known at that block.
 */
import type { Address, Hex, PublicClient } from "viem";
import type { FillLeaf, Order } from "./eip712.js";
import type { CommitContext, MarketRules } from "./fraud-rules.js";
import { settlementAbi } from "./settlement-abi.js";

/** `batch(batchId)` as the rules need it. */
export interface OnChainBatchRecord {
  readonly batchId: bigint;
  readonly fillsRoot: Hex;
  readonly committedAt: bigint;
  readonly commitBlock: bigint;
  /** commitBlock - the cancel grace: on-chain cancels and nonce bumps up to it bind the batch. */
  readonly cancelCutoffBlock: bigint;
  readonly finalizableAt: bigint;
  readonly fillCount: number;
  /** 0 none, 1 pending, 2 finalized, 3 rolled back (`ISettlement.BatchStatus`). */
  readonly status: number;
}

export interface CommitContextReaderOptions {
  /** First block to read `MarketPaused` logs from. Default 0 (the whole history). */
  readonly pauseLogsFromBlock?: bigint;
}

/**
 * Reads commit contexts, caching what does not change once a batch is committed (its record, the
 * markets' configs, the pause histories up to the highest block asked for so far).
 */
export class CommitContextReader {
  readonly #client: PublicClient;
  readonly #settlement: Address;
  readonly #fromBlock: bigint;
  readonly #batches = new Map<bigint, Promise<OnChainBatchRecord>>();
  readonly #markets = new Map<number, Promise<MarketRules>>();
  /** Per market: pause events (block, paused) in chain order, read up to `toBlock`. */
  readonly #pauses = new Map<number, Promise<{ toBlock: bigint; events: PauseEvent[] }>>();

  constructor(client: PublicClient, settlement: Address, options: CommitContextReaderOptions = {}) {
    this.#client = client;
    this.#settlement = settlement;
    this.#fromBlock = options.pauseLogsFromBlock ?? 0n;
  }

  /** The on-chain record of `batchId` (status 0 if never committed). Cached once committed. */
  batch(batchId: bigint): Promise<OnChainBatchRecord> {
    let cached = this.#batches.get(batchId);
    if (cached === undefined) {
      cached = this.#client
        .readContract({
          address: this.#settlement,
          abi: settlementAbi,
          functionName: "batch",
          args: [batchId],
        })
        .then((b) => ({
          batchId,
          fillsRoot: b.fillsRoot,
          committedAt: b.committedAt,
          commitBlock: b.commitBlock,
          cancelCutoffBlock: b.cancelCutoffBlock,
          finalizableAt: b.finalizableAt,
          fillCount: Number(b.fillCount),
          status: Number(b.status),
        }));
      this.#batches.set(batchId, cached);
      // Commit fields never change once committed; `status` is as of the first read (a new
      // reader sees later finalizations and rollbacks). An uncommitted id is not cached.
      cached.then(
        (b) => (b.status === 0 ? this.#batches.delete(batchId) : undefined),
        () => this.#batches.delete(batchId),
      );
    }
    return cached;
  }

  /** The market's config (`market(id)`); tick, lot and decimals never change once registered. */
  market(marketId: number): Promise<MarketRules> {
    let cached = this.#markets.get(marketId);
    if (cached === undefined) {
      cached = this.#client
        .readContract({
          address: this.#settlement,
          abi: settlementAbi,
          functionName: "market",
          args: [marketId],
        })
        .then((m) => ({
          registered: m.registered,
          tickSize: m.tickSize,
          lotSize: m.lotSize,
          baseDecimals: Number(m.baseDecimals),
        }));
      this.#markets.set(marketId, cached);
      cached.then(
        (m) => (m.registered ? undefined : this.#markets.delete(marketId)),
        () => this.#markets.delete(marketId),
      );
    }
    return cached;
  }

  /** Whether the market was paused at the end of block commitBlock - 1 or of commitBlock. */
  async marketPausedAtCommit(marketId: number, commitBlock: bigint): Promise<boolean> {
    const events = await this.#pauseEvents(marketId, commitBlock);
    return pausedAtEndOf(events, commitBlock - 1n) || pausedAtEndOf(events, commitBlock);
  }

  /** The context `proveFillFraud(fill, proof, order, isMaker)` would judge under. */
  async contextFor(fill: FillLeaf, order: Order, orderHash: Hex): Promise<CommitContext> {
    const b = await this.batch(fill.batchId);
    if (b.status === 0) throw new Error(`batch ${fill.batchId} is not committed on-chain`);
    const [cancelledAt, minNonce, paused, market] = await Promise.all([
      this.#client.readContract({
        address: this.#settlement,
        abi: settlementAbi,
        functionName: "cancelledAtBlock",
        args: [order.trader, orderHash],
      }),
      this.#client.readContract({
        address: this.#settlement,
        abi: settlementAbi,
        functionName: "minNonceAt",
        args: [order.trader, b.cancelCutoffBlock],
      }),
      this.marketPausedAtCommit(fill.marketId, b.commitBlock),
      this.market(fill.marketId),
    ]);
    return {
      committedAt: b.committedAt,
      cancelledBeforeCommit: cancelledAt !== 0n && cancelledAt <= b.cancelCutoffBlock,
      minNonceBeforeCommit: minNonce,
      marketPausedAtCommit: paused,
      market,
    };
  }

  async #pauseEvents(marketId: number, toBlock: bigint): Promise<PauseEvent[]> {
    const cached = this.#pauses.get(marketId);
    if (cached !== undefined) {
      const read = await cached;
      if (read.toBlock >= toBlock) return read.events;
    }
    const next = this.#client
      .getContractEvents({
        address: this.#settlement,
        abi: settlementAbi,
        eventName: "MarketPaused",
        args: { marketId },
        fromBlock: this.#fromBlock,
        toBlock,
        strict: true,
      })
      .then((logs) => ({
        toBlock,
        events: logs
          .map((l) => ({
            block: l.blockNumber,
            logIndex: l.logIndex,
            paused: l.args.paused,
          }))
          .sort((a, b) =>
            a.block !== b.block ? (a.block < b.block ? -1 : 1) : a.logIndex - b.logIndex,
          ),
      }));
    this.#pauses.set(marketId, next);
    next.catch(() => this.#pauses.delete(marketId));
    return (await next).events;
  }
}

interface PauseEvent {
  readonly block: bigint;
  readonly logIndex: number;
  readonly paused: boolean;
}

/** The checkpoint's value at the end of `block`: the last event at or before it (0 if none). */
function pausedAtEndOf(events: readonly PauseEvent[], block: bigint): boolean {
  let paused = false;
  for (const e of events) {
    if (e.block > block) break;
    paused = e.paused;
  }
  return paused;
}
