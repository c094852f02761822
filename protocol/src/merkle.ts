/**
 * The batch's fill tree: byte-for-byte OpenZeppelin `StandardMerkleTree.of(values,
 * FILL_LEAF_ENCODING, { sortLeaves: false })` (leaves in batch order, commutative keccak256
 * node hash, the same array layout, so the same root and the same proofs), built directly on
 * bytes. Leaves stay in batch order because the contract rebuilds this root at commit from
 * the packed fills (`CommitLib._root`), where sorting would cost more than the rest.
 *
 * `StandardMerkleTree` ABI-encodes through a generic encoder, compares hashes as BigInts
 * while sorting and re-verifies every proof it hands out; that is seconds for a 10,000-fill
 * batch. This builder hashes each leaf once and each node once. The tests prove identical
 * roots and proofs against `StandardMerkleTree` and `MerkleProof.verify` accepts the vectors.
 */
import { keccak256Bytes as keccak_256 } from "./keccak.js";
import type { Hex } from "viem";
import { bytesToHex, compareBytes, hexToFixedBytes } from "./bytes.js";
import type { FillLeaf } from "./eip712.js";
import { fillLeafHashBytes } from "./fill-leaf.js";
import { SettlementDataError, SettlementDataErrorCode } from "./settlement-data-error.js";

/** A Merkle tree over leaf hashes, with what a verifier needs per leaf. */
export interface MerkleCommitment {
  /** The root (`fillsRoot` in `commitBatch`). */
  root: Hex;
  /** Leaf hash of each input, in input order. */
  leafHashes: Hex[];
  /** `MerkleProof.verify` proof of each input, in input order (sibling hashes, leaf upward). */
  proofs: Hex[][];
}

/** Scratch for one node hash: the two children, smaller first. */
const pair = new Uint8Array(64);

/** OpenZeppelin's `Hashes.commutativeKeccak256`: keccak256 of the sorted pair. */
function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (compareBytes(a, b) <= 0) {
    pair.set(a, 0);
    pair.set(b, 32);
  } else {
    pair.set(b, 0);
    pair.set(a, 32);
  }
  return keccak_256(pair);
}

/**
 * Builds the tree `StandardMerkleTree` would build from these leaf hashes with sortLeaves off:
 * leaves in input order, stored reversed at the end of a `2n - 1` array, node `i` hashing
 * children `2i + 1` and `2i + 2`.
 */
export function buildMerkleTree(leaves: readonly Uint8Array[]): MerkleCommitment {
  return runToEnd(treeSteps(leaves, Infinity));
}

/**
 * Builds a batch's fill tree. Fills must be in batch order: one `batchId`, and `index`
 * equal to the position (0, 1, 2, ...), so a leaf names its place in the batch.
 */
export function buildFillTree(fills: readonly FillLeaf[]): MerkleCommitment {
  return runToEnd(fillTreeSteps(fills, Infinity));
}

/**
 * `buildFillTree` for the running sequencer: the same tree, built in slices of `slice` hashes
 * (and of proofs) with the event loop let through between them, so cutting a batch of thousands
 * of fills does not hold up order acknowledgements for the tens of milliseconds the whole build
 * takes.
 */
export async function buildFillTreeAsync(
  fills: readonly FillLeaf[],
  slice = 128,
): Promise<MerkleCommitment> {
  const steps = fillTreeSteps(fills, slice);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>(yieldToEventLoop);
  }
}

/**
 * Lets other work run: `setImmediate` where the runtime has it (Node: no timer clamping), else a
 * zero timeout (browsers).
 */
const setImmediateIfAny = (globalThis as { setImmediate?: (run: () => void) => unknown })
  .setImmediate;
const yieldToEventLoop: (resolve: () => void) => void =
  typeof setImmediateIfAny === "function"
    ? (resolve) => void setImmediateIfAny(resolve)
    : (resolve) => void setTimeout(resolve, 0);

function runToEnd<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The fill tree, pausing (yield) after every `slice` units of work. */
function* fillTreeSteps(
  fills: readonly FillLeaf[],
  slice: number,
): Generator<void, MerkleCommitment> {
  const batchId = fills[0]?.batchId;
  const leaves = new Array<Uint8Array>(fills.length);
  for (let i = 0; i < fills.length; i++) {
    const fill = fills[i]!;
    if (fill.batchId !== batchId || fill.index !== i)
      throw new SettlementDataError(
        SettlementDataErrorCode.InvalidFill,
        `fill at position ${i} is (batch ${fill.batchId}, index ${fill.index}), expected (${batchId}, ${i})`,
      );
    leaves[i] = fillLeafHashBytes(fill);
    if ((i + 1) % slice === 0) yield;
  }
  return yield* treeSteps(leaves, slice);
}

/** The tree over leaf hashes (see `buildMerkleTree`), pausing after every `slice` units. */
function* treeSteps(
  leaves: readonly Uint8Array[],
  slice: number,
): Generator<void, MerkleCommitment> {
  const n = leaves.length;
  if (n === 0) throw new SettlementDataError(SettlementDataErrorCode.EmptyBatch, "no leaves");
  const size = 2 * n - 1;
  const tree = new Array<Uint8Array>(size);
  const treeIndex = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    tree[size - 1 - i] = leaves[i]!;
    treeIndex[i] = size - 1 - i;
  }
  for (let i = size - 1 - n, done = 1; i >= 0; i--, done++) {
    tree[i] = hashPair(tree[2 * i + 1]!, tree[2 * i + 2]!);
    if (done % slice === 0) yield;
  }

  const hex = tree.map((node) => bytesToHex(node));
  const proofs = new Array<Hex[]>(n);
  for (let input = 0; input < n; input++) {
    const proof: Hex[] = [];
    // OpenZeppelin's siblingIndex: an odd (left) child's sibling is i + 1, an even one's i - 1.
    for (let i = treeIndex[input]!; i > 0; i = (i - 1) >> 1)
      proof.push(hex[i & 1 ? i + 1 : i - 1]!);
    proofs[input] = proof;
    if ((input + 1) % (4 * slice) === 0) yield;
  }
  return { root: hex[0]!, leafHashes: treeIndex.map((i) => hex[i]!), proofs };
}

/** Root implied by `leaf` and `proof`, as `MerkleProof.processProof` computes it. */
export function processProof(leaf: Hex, proof: readonly Hex[]): Hex {
  let node = hexToFixedBytes(leaf, 32, "leaf");
  for (const sibling of proof) node = hashPair(node, hexToFixedBytes(sibling, 32, "proof node"));
  return bytesToHex(node);
}
