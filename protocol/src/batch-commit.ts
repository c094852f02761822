/**
 * Everything `commitBatch` takes for a batch of fills, built in one call: the netted deltas, the
 * packed fill records pointing at them, and the fill tree (root and proofs). The running
 * sequencer builds the same pieces in `settlement/batcher.ts` (its tree a slice at a time); tests,
 * benchmarks and tools use this.
 */
import type { Address, Hex } from "viem";
import type { Delta, FillLeaf } from "./eip712.js";
import { encodeCommitFills, type CommitMarketLookup } from "./commit-fills.js";
import { buildDeltas } from "./deltas.js";
import { buildFillTree } from "./merkle.js";

/** A batch ready to commit. */
export interface BatchCommit {
  /** The root the contract rebuilds and stores. */
  root: Hex;
  /** Sorted deltas, one per pair the fills touch. */
  deltas: Delta[];
  /** Packed fill records (`commitBatch`'s `fills`). */
  commitFills: Hex;
  /** Each fill's proof under `root`, in fill order. */
  proofs: Hex[][];
}

/** Builds the commit of `fills` (in batch order: one batch id, indexes 0, 1, 2, ...). */
export function buildBatchCommit(
  fills: readonly FillLeaf[],
  markets: CommitMarketLookup,
  feeRecipient: Address,
): BatchCommit {
  const deltas = buildDeltas(fills, markets, feeRecipient);
  const tree = buildFillTree(fills);
  return {
    root: tree.root,
    deltas,
    commitFills: encodeCommitFills(fills, deltas, markets, feeRecipient),
    proofs: tree.proofs,
  };
}
