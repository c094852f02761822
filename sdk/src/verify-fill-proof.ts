/**
 * Checks a fill proof (`GET /v1/fills/:fillId/proof`) locally, trusting nothing the server
 * computed: the leaf hash is recomputed from the leaf's values, the proof is folded up to the
 * root, both signed orders are re-hashed (and their signatures checked) against the leaf, and,
 * with a public client, the root is compared with the one committed on-chain and the fill is judged
 * by the contract's own fraud rules (`protocol/src/fraud-rules.ts`) under the commit
 * context rebuilt from the chain (`protocol/src/commit-context.ts`): `provable` lists each side a fraud proof
 * would succeed against. A provable fill is still a valid proof (it is what the chain committed);
 * the batch will roll back as soon as anyone proves it.
 */
import {
  type FillProofView,
  type OrderHasher,
  orderTypes,
  hashFillLeaf,
  processProof,
  findFraud,
  type FraudKindName,
} from "@clearmatch/protocol";
import { recoverTypedDataAddress, zeroHash, type Address, type Hex, type PublicClient } from "viem";
import { CommitContextReader } from "@clearmatch/protocol";

/** Why a fill proof is not valid. */
export type FillProofFailure =
  /** A leaf field is out of its Solidity range or malformed, so it cannot be hashed. */
  | "MALFORMED_LEAF"
  /** The answer's `leafHash` is not the hash of its `leaf` values. */
  | "LEAF_HASH_MISMATCH"
  /** `leaf.batchId` is not `batch.batchId`. */
  | "BATCH_MISMATCH"
  /** The batch has no `fillsRoot` yet (not cut). */
  | "NO_ROOT"
  /** The leaf and the proof do not lead to `batch.fillsRoot`. */
  | "ROOT_MISMATCH"
  /** The maker order's hash (recomputed) is not `leaf.makerOrderHash`, or not the `orderHash` given. */
  | "MAKER_ORDER_HASH_MISMATCH"
  | "TAKER_ORDER_HASH_MISMATCH"
  /** The maker order's trader is not `leaf.maker`, or its market not `leaf.marketId`. */
  | "MAKER_ORDER_MISMATCH"
  | "TAKER_ORDER_MISMATCH"
  /** The maker order's signature is not its trader's. */
  | "MAKER_SIGNATURE_INVALID"
  | "TAKER_SIGNATURE_INVALID"
  /** The chain has no committed batch with this id. */
  | "BATCH_NOT_ON_CHAIN"
  /** The chain committed another root for this batch. */
  | "ONCHAIN_ROOT_MISMATCH";

/** The on-chain record of the proof's batch (only with a public client). */
export interface OnChainBatchInfo {
  readonly fillsRoot: Hex;
  readonly status: "pending" | "finalized" | "rolled_back";
  /** Unix seconds after which the batch can be finalized (the end of the challenge window). */
  readonly finalizableAt: bigint;
  /** `block.timestamp` and `block.number` of the commit: what the contract judges time by. */
  readonly committedAt: bigint;
  readonly commitBlock: bigint;
}

/** One side of the fill that `proveFillFraud` would prove fraudulent, and the kind it would emit. */
export interface ProvableFraud {
  readonly kind: FraudKindName;
  /** The order side the proof names; "leaf" for a leaf mislabelled in its batch (no order). */
  readonly side: "maker" | "taker" | "leaf";
  readonly orderHash: Hex;
}

export type FillProofVerification =
  | {
      readonly valid: true;
      readonly leafHash: Hex;
      readonly root: Hex;
      /** Present when a public client was given. A rolled-back batch's fills are void. */
      readonly onChain?: OnChainBatchInfo;
      /**
       * Present when a public client was given (and `checkRules` is not false): the sides of the
       * fill the contract would prove fraudulent under the chain's state at the commit; empty
       * when none. Non-empty means the batch can be rolled back by anyone.
       */
      readonly provable?: readonly ProvableFraud[];
    }
  | {
      readonly valid: false;
      readonly reason: FillProofFailure;
      /** For humans. */
      readonly message: string;
    };

export interface VerifyFillProofContext {
  /** Hasher under the exchange's domain (chain id and settlement proxy). */
  readonly hasher: OrderHasher;
  /** Settlement proxy, for the on-chain root. */
  readonly settlement: Address;
  /** When given: compare with the on-chain root and check ERC-1271 (contract wallet) signatures. */
  readonly publicClient?: PublicClient | undefined;
  /** Check the two orders' signatures. Default: true. */
  readonly checkSignatures?: boolean;
  /** With a public client: judge the fill by the contract's fraud rules. Default: true. */
  readonly checkRules?: boolean;
  /**
   * First block of the `MarketPaused` logs read to rebuild the market's pause history (the
   * contract has no view of it). Default 0; see `CommitContextReader`.
   */
  readonly pauseLogsFromBlock?: bigint;
}

const ON_CHAIN_STATUS = { 1: "pending", 2: "finalized", 3: "rolled_back" } as const;

function fail(reason: FillProofFailure, message: string): FillProofVerification {
  return { valid: false, reason, message };
}

export async function verifyFillProof(
  proof: FillProofView,
  context: VerifyFillProofContext,
): Promise<FillProofVerification> {
  const { leaf, batch } = proof;

  let leafHash: Hex;
  try {
    leafHash = hashFillLeaf(leaf);
  } catch (error) {
    return fail("MALFORMED_LEAF", error instanceof Error ? error.message : String(error));
  }
  if (leafHash !== proof.leafHash.toLowerCase())
    return fail("LEAF_HASH_MISMATCH", `leaf hashes to ${leafHash}, answer says ${proof.leafHash}`);
  if (leaf.batchId !== batch.batchId)
    return fail(
      "BATCH_MISMATCH",
      `leaf is in batch ${leaf.batchId}, answer's batch is ${batch.batchId}`,
    );
  if (batch.fillsRoot === undefined)
    return fail("NO_ROOT", `batch ${batch.batchId} has no root yet`);
  const root = processProof(leafHash, proof.proof);
  if (root !== batch.fillsRoot.toLowerCase())
    return fail("ROOT_MISMATCH", `proof leads to ${root}, batch root is ${batch.fillsRoot}`);

  for (const [side, signed, orderHash, trader] of [
    ["MAKER", proof.makerOrder, leaf.makerOrderHash, leaf.maker],
    ["TAKER", proof.takerOrder, leaf.takerOrderHash, leaf.taker],
  ] as const) {
    let computed: Hex;
    try {
      computed = context.hasher.hashOrder(signed.order);
    } catch {
      return fail(`${side}_ORDER_HASH_MISMATCH`, `${side.toLowerCase()} order cannot be hashed`);
    }
    if (computed !== orderHash.toLowerCase() || computed !== signed.orderHash.toLowerCase())
      return fail(
        `${side}_ORDER_HASH_MISMATCH`,
        `${side.toLowerCase()} order hashes to ${computed}; leaf names ${orderHash}`,
      );
    if (
      signed.order.trader.toLowerCase() !== trader.toLowerCase() ||
      signed.order.marketId !== leaf.marketId
    )
      return fail(
        `${side}_ORDER_MISMATCH`,
        `${side.toLowerCase()} order's trader or market differs from the leaf's`,
      );
    if (context.checkSignatures !== false && !(await signedBy(signed, context)))
      return fail(
        `${side}_SIGNATURE_INVALID`,
        `${side.toLowerCase()} order is not signed by ${trader}`,
      );
  }

  if (context.publicClient === undefined) return { valid: true, leafHash, root };
  const reader = new CommitContextReader(context.publicClient, context.settlement, {
    ...(context.pauseLogsFromBlock !== undefined
      ? { pauseLogsFromBlock: context.pauseLogsFromBlock }
      : {}),
  });
  const onChain = await reader.batch(leaf.batchId);
  const status = ON_CHAIN_STATUS[onChain.status as keyof typeof ON_CHAIN_STATUS];
  if (status === undefined)
    return fail("BATCH_NOT_ON_CHAIN", `batch ${leaf.batchId} is not committed on-chain`);
  if (onChain.fillsRoot.toLowerCase() !== root)
    return fail(
      "ONCHAIN_ROOT_MISMATCH",
      `on-chain root of batch ${leaf.batchId} is ${onChain.fillsRoot}`,
    );
  const onChainInfo: OnChainBatchInfo = {
    fillsRoot: onChain.fillsRoot,
    status,
    finalizableAt: onChain.finalizableAt,
    committedAt: onChain.committedAt,
    commitBlock: onChain.commitBlock,
  };
  if (context.checkRules === false) return { valid: true, leafHash, root, onChain: onChainInfo };

  const provable: ProvableFraud[] = [];
  // An index at or beyond the batch's fill count (`proveMislabelledFill`, no order needed).
  if (leaf.index >= onChain.fillCount)
    provable.push({ kind: "MislabelledLeaf", side: "leaf", orderHash: zeroHash });
  for (const [side, signed] of [
    ["maker", proof.makerOrder],
    ["taker", proof.takerOrder],
  ] as const) {
    const ctx = await reader.contextFor(leaf, signed.order, signed.orderHash);
    const kind = findFraud(leaf, signed.order, side === "maker", ctx);
    if (kind !== undefined) provable.push({ kind, side, orderHash: signed.orderHash });
  }
  return { valid: true, leafHash, root, onChain: onChainInfo, provable };
}

/** EOA signatures locally; with a public client also ERC-1271 / ERC-6492 contract wallets. */
async function signedBy(
  signed: FillProofView["makerOrder"],
  context: VerifyFillProofContext,
): Promise<boolean> {
  const typedData = {
    domain: context.hasher.domain,
    types: orderTypes,
    primaryType: "Order",
    message: signed.order,
  } as const;
  try {
    const recovered = await recoverTypedDataAddress({ ...typedData, signature: signed.signature });
    if (recovered.toLowerCase() === signed.order.trader.toLowerCase()) return true;
  } catch {
    // not a 65-byte ECDSA signature: may still be a contract wallet's
  }
  if (context.publicClient === undefined) return false;
  return context.publicClient.verifyTypedData({
    address: signed.order.trader,
    domain: context.hasher.domain,
    types: orderTypes,
    primaryType: "Order",
    message: { ...signed.order },
    signature: signed.signature,
  });
}
