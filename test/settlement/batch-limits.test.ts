/**
 * The caps that keep every batch settleable (review finding 3): `commitBatch` refuses more than
 * 1,024 fills, 512 deltas or 120,000 bytes of calldata, and the worst batches the caps admit, built
 * from real packed fills that justify every delta, stay within the 15M gas budget, measured by
 * the gas limit `estimateGas` asks for, not the gas used:
 *
 * - the worst finalize: 512 deltas, 510 of them credits to new storage slots and a negative balance
 *   at the last delta, so finalize applies 510 credits and undoes them all (a chain of fills in
 *   which 255 fresh traders each gain in both tokens, one account loses in both, topped up with
 *   round trips to the byte cap: 494 fills);
 * - the dearest commit: as many fills as the byte cap takes (832), alternating two markets, every
 *   field wide and without zero bytes.
 *
 * bench/gas.ts builds the same batches (test/helpers/commit-batch.ts) for its worstCaseTxGas.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getAddress, isAddressEqual, pad, toHex, type Address } from "viem";
import {
  chainFills,
  commitCalldataBytes,
  heaviestCommitFills,
  LAST_ACCOUNT,
  MAX_BATCH_DELTAS,
  MAX_COMMIT_BYTES,
  maxFillsFor,
  prepareCommit,
  worstFinalizeFills,
} from "../helpers/commit-batch.js";
import {
  BASE_DECIMALS,
  createSettlementTest,
  LOT,
  MARKET_ID,
  PARAMS,
  TICK,
  type SettlementFixture,
} from "../helpers/settlement-fixture.js";

const BUDGET = 15_000_000n;
const NEGATIVE_BALANCE = 4; // ISettlement.RollbackReason

describe("Settlement batch limits", async () => {
  const t = await createSettlementTest();
  const { viem, networkHelpers } = t;

  /** `n` fresh accounts (no balance, no storage), sorting before LAST_ACCOUNT. */
  const fresh = (n: number, from = 0x1000) =>
    Array.from({ length: n }, (_, i) => getAddress(pad(toHex(from + i), { size: 20 })));

  const marketOf = (f: SettlementFixture) => ({
    ...f.markets.get(MARKET_ID)!,
    marketId: MARKET_ID,
  });

  /** Deposits `amount` of `token` for `account` (impersonated). */
  async function fund(f: SettlementFixture, account: Address, token: Address, amount: bigint) {
    const erc20 = isAddressEqual(token, f.base.address) ? f.base : f.quote;
    await networkHelpers.impersonateAccount(account);
    await networkHelpers.setBalance(account, 10n ** 20n);
    await erc20.write.mint([account, amount]);
    await erc20.write.approve([f.settlement.address, amount], { account });
    await f.settlement.write.deposit([token, amount], { account });
  }

  it("refuses a batch over 1,024 fills, 512 deltas or 120,000 bytes, reporting all three", async () => {
    const f = await t.load();
    const as = { account: f.wallets.sequencer.account };
    const fee = f.addr(f.wallets.feeRecipient);
    // 513 deltas: 255 traders and the last account in a chain, the fee recipient apart.
    const wide = prepareCommit(
      1n,
      chainFills(marketOf(f), fresh(255), LAST_ACCOUNT),
      f.markets,
      fee,
    );
    assert.equal(wide.deltas.length, 513);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, wide.packed, wide.deltas], as),
      f.settlement,
      "SettlementBatchTooLarge",
      [256n, 513n, BigInt(commitCalldataBytes(256, 513))],
    );
    // 1,025 fills between alice and bob: over the fill cap (and the byte cap with it).
    const { fill } = f.simpleTrade();
    const many = prepareCommit(1n, Array(1_025).fill(fill), f.markets, fee);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, many.packed, many.deltas], as),
      f.settlement,
      "SettlementBatchTooLarge",
      [1_025n, 5n, BigInt(commitCalldataBytes(1_025, 5))],
    );
    // Within both counts, one fill over the byte cap.
    const n = maxFillsFor(5) + 1;
    const heavy = prepareCommit(1n, Array(n).fill(fill), f.markets, fee);
    assert.ok(commitCalldataBytes(n, 5) > MAX_COMMIT_BYTES);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.commitBatch([1n, heavy.packed, heavy.deltas], as),
      f.settlement,
      "SettlementBatchTooLarge",
      [BigInt(n), 5n, BigInt(commitCalldataBytes(n, 5))],
    );
    // One fill fewer is admitted.
    const most = prepareCommit(1n, Array(n - 1).fill(fill), f.markets, fee);
    await f.settlement.write.commitBatch([1n, most.packed, most.deltas], as);
    assert.equal((await f.settlement.read.batch([1n])).fillsRoot, most.root);
  });

  it("finalizes (rolls back) the worst batch the caps admit within 15M gas", async () => {
    const f = await t.load();
    const fee = f.addr(f.wallets.feeRecipient);
    const market = marketOf(f);
    // 254 fresh traders and the fee recipient (no balance yet either), each gaining in both tokens.
    const traders = [...fresh(254), fee];
    const batch = prepareCommit(1n, worstFinalizeFills(market, traders), f.markets, fee);
    const { deltas } = batch;
    assert.equal(deltas.length, MAX_BATCH_DELTAS);
    assert.equal(batch.fills.length, maxFillsFor(MAX_BATCH_DELTAS));
    assert.ok(commitCalldataBytes(batch.fills.length, deltas.length) <= MAX_COMMIT_BYTES);
    // Every delta but the last account's two is a credit; the last account holds the token of its
    // first delta (so that debit succeeds, on a slot that exists) and not the other.
    assert.ok(deltas.slice(0, -2).every((d) => d.delta > 0n));
    const [first, last] = deltas.slice(-2) as [(typeof deltas)[0], (typeof deltas)[0]];
    assert.ok(isAddressEqual(first.account, LAST_ACCOUNT) && first.delta < 0n);
    assert.ok(isAddressEqual(last.account, LAST_ACCOUNT) && last.delta < 0n);
    await fund(f, LAST_ACCOUNT, first.token, -first.delta);

    const commit = {
      address: f.settlement.address,
      abi: f.settlement.abi,
      functionName: "commitBatch",
      args: [1n, batch.packed, deltas],
      account: f.wallets.sequencer.account,
    } as const;
    const commitGas = await t.publicClient.estimateContractGas(commit);
    await f.settlement.write.commitBatch([1n, batch.packed, deltas], {
      account: f.wallets.sequencer.account,
    });
    assert.equal((await f.settlement.read.batch([1n])).fillsRoot, batch.root);
    await f.passWindow();
    const finalizeGas = await t.publicClient.estimateContractGas({
      address: f.settlement.address,
      abi: f.settlement.abi,
      functionName: "finalizeBatch",
      args: [1n, deltas],
      account: f.wallets.dave.account,
    });
    console.log(
      `      worst finalize: ${batch.fills.length} fills, ${deltas.length} deltas, ` +
        `${commitCalldataBytes(batch.fills.length, deltas.length)} bytes: commit ${commitGas} gas, ` +
        `finalize ${finalizeGas} gas`,
    );
    assert.ok(commitGas < BUDGET, `commit asks ${commitGas}`);
    assert.ok(finalizeGas < BUDGET, `finalize asks ${finalizeGas}`);
    await viem.assertions.emitWithArgs(
      f.settlement.write.finalizeBatch([1n, deltas], {
        account: f.wallets.dave.account,
        gas: BUDGET,
      }),
      f.settlement,
      "BatchesRolledBack",
      [1n, 1n, NEGATIVE_BALANCE],
    );
    assert.equal(await f.settlement.read.balanceOf([deltas[0]!.account, deltas[0]!.token]), 0n);
    assert.equal(await f.settlement.read.balanceOf([LAST_ACCOUNT, first.token]), -first.delta);
  });

  /** The dearest batch the byte cap admits (two markets, 833 fills), prepared as batch 1. */
  async function dearest(f: SettlementFixture) {
    const asTimelock = { account: f.wallets.timelock.account };
    const wbtc = await viem.deployContract("TestERC20", ["Wrapped Bitcoin", "WBTC", BASE_DECIMALS]);
    await f.settlement.write.setTokenAllowed([wbtc.address, true], asTimelock);
    const ids = [0x01010101, 0x02020202] as const;
    const bases = [f.base.address, wbtc.address] as const;
    for (const [i, id] of ids.entries())
      await f.settlement.write.registerMarket(
        [id, bases[i]!, f.quote.address, TICK, LOT],
        asTimelock,
      );
    const markets = ids.map((marketId, i) => ({
      marketId,
      baseToken: bases[i]!,
      quoteToken: f.quote.address,
      tickSize: TICK,
      lotSize: LOT,
      baseDecimals: BASE_DECIMALS,
    })) as [ReturnType<typeof marketOf>, ReturnType<typeof marketOf>];
    const lookup = new Map(markets.map((m) => [m.marketId, m]));
    const fee = f.addr(f.wallets.feeRecipient);
    const fills = heaviestCommitFills(markets, f.addr(f.wallets.alice), f.addr(f.wallets.bob));
    return { fills, batch: prepareCommit(1n, fills, lookup, fee) };
  }

  it("commits the dearest batch the byte cap admits within 15M gas", async () => {
    const f = await t.load();
    const { fills, batch } = await dearest(f);
    assert.equal(batch.deltas.length, 7);
    const bytes = commitCalldataBytes(fills.length, batch.deltas.length);
    assert.ok(bytes <= MAX_COMMIT_BYTES && bytes > MAX_COMMIT_BYTES - 143);
    const commitGas = await t.publicClient.estimateContractGas({
      address: f.settlement.address,
      abi: f.settlement.abi,
      functionName: "commitBatch",
      args: [1n, batch.packed, batch.deltas],
      account: f.wallets.sequencer.account,
    });
    console.log(
      `      dearest commit: ${fills.length} fills, ${batch.deltas.length} deltas, ${bytes} bytes: ` +
        `${commitGas} gas`,
    );
    assert.ok(commitGas < BUDGET, `commit asks ${commitGas}`);
    await f.settlement.write.commitBatch([1n, batch.packed, batch.deltas], {
      account: f.wallets.sequencer.account,
      gas: BUDGET,
    });
    assert.equal((await f.settlement.read.batch([1n])).fillsRoot, batch.root);
  });

  it("takes every other step on the deepest leaf of that batch within 15M gas: challenge, dispute, uphold, decide", async () => {
    const f = await t.load();
    const { batch } = await dearest(f);
    const seq = { account: f.wallets.sequencer.account };
    await f.settlement.write.commitBatch([1n, batch.packed, batch.deltas], { ...seq, gas: BUDGET });
    // The deepest leaf: leaf 0 sits at the end of the tree array (index 2n - 2), 10 levels down.
    const last = batch.proofs.reduce(
      (deep, p, i) => (p.length > batch.proofs[deep]!.length ? i : deep),
      0,
    );
    const leaf = batch.fills[last]!;
    const proof = batch.proofs[last]!;
    assert.equal(proof.length, 10);
    const taker = [f.wallets.alice, f.wallets.bob].find((w) =>
      isAddressEqual(f.addr(w), leaf.taker),
    )!;
    const estimate = (
      functionName: "challengeFill" | "openDispute" | "resolveDispute" | "upholdChallenge",
      args: readonly unknown[],
      account: typeof taker.account,
      value?: bigint,
    ) =>
      t.publicClient.estimateContractGas({
        address: f.settlement.address,
        abi: f.settlement.abi,
        functionName,
        args,
        account,
        ...(value === undefined ? {} : { value }),
      } as Parameters<typeof t.publicClient.estimateContractGas>[0]);

    const steps: [string, bigint][] = [];
    steps.push(["challengeFill", await estimate("challengeFill", [leaf, proof], taker.account)]);
    await f.settlement.write.challengeFill([leaf, proof], { account: taker.account });
    const claim = pad(toHex("claim"), { size: 32 });
    const carol = f.wallets.carol.account;
    steps.push([
      "openDispute",
      await estimate("openDispute", [1n, claim], carol, PARAMS.disputeBond),
    ]);
    await f.settlement.write.openDispute([1n, claim], {
      account: carol,
      value: PARAMS.disputeBond,
    });
    const arbiter = f.wallets.arbiter.account;
    steps.push(["resolveDispute (uphold)", await estimate("resolveDispute", [1n, true], arbiter)]);
    await networkHelpers.time.increase(PARAMS.challengeResponseWindow + 1n);
    steps.push(["upholdChallenge", await estimate("upholdChallenge", [1n], carol)]);
    for (const [step, gas] of steps) {
      console.log(`      ${step} on leaf ${last} of ${batch.fills.length}: ${gas} gas`);
      assert.ok(gas < BUDGET, `${step} asks ${gas}`);
    }
  });
});
