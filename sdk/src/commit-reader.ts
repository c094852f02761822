/**
 * Reads a committed batch back from chain data alone: the commit transaction's input holds its
 * packed fills and deltas (`commitBatch` is top-level, so no trace API is needed), and the
 * markets they name come from `market(id)`, read once each (a market's steps never change).
 */
import type { Address, Hex, PublicClient } from "viem";
import {
  buildFillTree,
  decodeCommitFills,
  decodeCommitInput,
  FILL_RECORD_BYTES,
  settlementAbi,
  type CommitMarket,
} from "@clearmatch/protocol";

export class CommitReader {
  readonly #client: PublicClient;
  readonly #settlement: Address;
  readonly #markets = new Map<number, CommitMarket>();

  constructor(client: PublicClient, settlement: Address) {
    this.#client = client;
    this.#settlement = settlement;
  }

  /** A batch's fills and tree, rebuilt from its commit transaction's input alone. */
  async fillsOf(batchId: bigint, txHash: Hex) {
    const tx = await this.#client.getTransaction({ hash: txHash });
    const call = decodeCommitInput(tx.input);
    if (call.batchId !== batchId) throw new Error(`tx ${txHash} does not commit batch ${batchId}`);
    const markets = await this.#marketsOf(call.fills);
    const fills = decodeCommitFills(batchId, call.fills, call.deltas, (id) => markets.get(id));
    return { fills, tree: buildFillTree(fills) };
  }

  /** The markets a batch's records name, read once each (a market's steps never change). */
  async #marketsOf(packed: Hex): Promise<Map<number, CommitMarket>> {
    const ids = new Set<number>();
    // The market id is bytes 64-67 of each record (commit-fills.ts); two hex digits a byte.
    for (let at = 2 + 2 * 64; at < packed.length; at += 2 * FILL_RECORD_BYTES)
      ids.add(Number.parseInt(packed.slice(at, at + 8), 16));
    for (const id of ids) {
      if (this.#markets.has(id)) continue;
      const m = await this.#client.readContract({
        address: this.#settlement,
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
}
