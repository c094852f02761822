import { type FillProofView, hashFillLeaf } from "@clearmatch/protocol";
import { describe, expect, it } from "vitest";
import { devKey, proofFixture, sdkClient, type ProofFixture } from "./sdk-fixtures.js";

const client = sdkClient(undefined);
const fixture: Promise<ProofFixture> = proofFixture();

async function verify(mutate: (proof: FillProofView, f: ProofFixture) => FillProofView) {
  const f = await fixture;
  return client.verifyFillProof(mutate(f.proofs[1]!, f));
}

describe("ClearmatchClient.verifyFillProof", () => {
  it("accepts every proof of a tree built by buildFillTree", async () => {
    const f = await fixture;
    for (const proof of f.proofs) {
      const result = await client.verifyFillProof(proof);
      expect(result).toEqual({
        valid: true,
        leafHash: proof.leafHash,
        root: proof.batch.fillsRoot,
      });
    }
  });

  it("rejects a tampered leaf whose stated hash was left alone", async () => {
    const result = await verify((p) => ({
      ...p,
      leaf: { ...p.leaf, baseAmount: p.leaf.baseAmount + 1n },
    }));
    expect(result).toMatchObject({ valid: false, reason: "LEAF_HASH_MISMATCH" });
  });

  it("rejects a tampered leaf even when its stated hash is recomputed", async () => {
    const result = await verify((p) => {
      const leaf = { ...p.leaf, takerFee: 0n };
      return { ...p, leaf, leafHash: hashFillLeaf(leaf) };
    });
    expect(result).toMatchObject({ valid: false, reason: "ROOT_MISMATCH" });
  });

  it("rejects another leaf's proof", async () => {
    const result = await verify((p, f) => ({ ...p, proof: f.proofs[0]!.proof }));
    expect(result).toMatchObject({ valid: false, reason: "ROOT_MISMATCH" });
  });

  it("rejects a proof against another root", async () => {
    const result = await verify((p) => ({
      ...p,
      batch: { ...p.batch, fillsRoot: `0x${"11".repeat(32)}` },
    }));
    expect(result).toMatchObject({ valid: false, reason: "ROOT_MISMATCH" });
  });

  it("rejects a batch that has no root yet", async () => {
    const result = await verify((p) => {
      const { fillsRoot: _root, ...batch } = p.batch;
      return { ...p, batch };
    });
    expect(result).toMatchObject({ valid: false, reason: "NO_ROOT" });
  });

  it("rejects a signed order that is not the one the leaf names", async () => {
    const taker = await verify((p, f) => ({ ...p, takerOrder: f.other }));
    expect(taker).toMatchObject({ valid: false, reason: "TAKER_ORDER_HASH_MISMATCH" });
    const maker = await verify((p, f) => ({ ...p, makerOrder: f.taker }));
    expect(maker).toMatchObject({ valid: false, reason: "MAKER_ORDER_HASH_MISMATCH" });
  });

  it("rejects an order whose stated hash differs from its recomputed hash", async () => {
    const result = await verify((p, f) => ({
      ...p,
      makerOrder: { ...p.makerOrder, orderHash: f.other.orderHash },
    }));
    expect(result).toMatchObject({ valid: false, reason: "MAKER_ORDER_HASH_MISMATCH" });
  });

  it("rejects an order signed by someone other than its trader", async () => {
    const f = await fixture;
    const forger = sdkClient(devKey(13));
    // The forger signs the maker's exact order as if it were the maker (hash unchanged).
    const forged = await forger.signOrder({ ...f.maker.order, trader: devKey(13).address });
    const result = await verify((p) => ({
      ...p,
      makerOrder: { ...p.makerOrder, signature: forged.signature },
    }));
    expect(result).toMatchObject({ valid: false, reason: "MAKER_SIGNATURE_INVALID" });
    expect(
      await client.verifyFillProof(
        { ...f.proofs[1]!, makerOrder: { ...f.maker, signature: forged.signature } },
        { checkSignatures: false },
      ),
    ).toMatchObject({ valid: true });
  });

  it("rejects a leaf whose values do not fit their Solidity types", async () => {
    const result = await verify((p) => ({ ...p, leaf: { ...p.leaf, takerSide: 256 } }));
    expect(result).toMatchObject({ valid: false, reason: "MALFORMED_LEAF" });
  });
});
