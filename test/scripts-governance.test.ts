/**
 * The operator scripts' governance library (scripts/lib/governance.ts) on the simulated chain,
 * through the proposal file format the CLIs exchange: propose -> owners sign -> schedule ->
 * (refused before the delay) -> execute; guardian pause; arbiter decisions; every refusal by code.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { getAddress, keccak256, toHex, zeroHash } from "viem";
import { actions } from "../scripts/lib/governance/actions.js";
import { GovernanceError, GovernanceErrorCode } from "../scripts/lib/governance/errors.js";
import {
  readProposal,
  writeProposal,
  type GovernanceAddresses,
  type Proposal,
} from "../scripts/lib/governance/proposal-file.js";
import {
  executePendingStep,
  pendingStep,
  prepare,
  propose,
  proposalStatus,
  signProposal,
} from "../scripts/lib/governance/workflow.js";
import { gridFill, prepareCommit } from "./helpers/commit-batch.js";
import { deployStack, type Stack } from "./helpers/deploy-stack.js";
import { hardhatAccount } from "./helpers/safe.js";

/** Awaits `promise` and asserts it fails with a `GovernanceError` of `code`. */
async function assertRefused(promise: Promise<unknown>, code: GovernanceErrorCode) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof GovernanceError, `expected a GovernanceError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe("governance scripts (library) on the simulated chain", () => {
  let stack: Stack;
  let addresses: GovernanceAddresses;
  let dir: string;
  const owners = [hardhatAccount(1), hardhatAccount(2), hardhatAccount(3)];
  const guardianOwner = hardhatAccount(4);

  before(async () => {
    stack = await deployStack();
    addresses = {
      settlement: stack.addresses.settlement!,
      timelock: stack.addresses.timelock!,
      governanceSafe: stack.addresses.governanceSafe!,
      guardianSafe: stack.addresses.guardianSafe!,
    };
    dir = await mkdtemp(path.join(tmpdir(), "clearmatch-proposals-"));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function clients() {
    const client = await stack.connection.viem.getPublicClient();
    const wallets = await stack.connection.viem.getWalletClients();
    return { client, submitter: wallets[8]!, sequencer: wallets[6]!, trader: wallets[9]! };
  }

  /** Round-trips through a file, as the CLIs do between owners. */
  async function viaFile(proposal: Proposal, name: string): Promise<Proposal> {
    const file = path.join(dir, `${name}.json`);
    await writeProposal(file, proposal);
    return readProposal(file);
  }

  it("runs a parameter change end to end: propose, two signatures, schedule, wait, execute", async () => {
    const { client, submitter } = await clients();
    const { settlement, timelock } = stack.contracts;
    const delay = await timelock.read.getMinDelay();
    const before = await settlement.read.parameters();
    const next = {
      challengeWindow: 45n,
      challengeResponseWindow: 40n,
      withdrawalDelay: 1_000n,
      disputeTimeout: 900n,
      disputeBond: 2n * 10n ** 16n,
    };

    let proposal = await propose(
      client,
      addresses,
      actions.setParameters(addresses.settlement, next),
    );
    assert.equal(pendingStep(proposal)!.name, "schedule");
    proposal = await viaFile(proposal, "params");
    await signProposal(proposal, owners[0]!, client);
    proposal = await viaFile(proposal, "params");
    await signProposal(proposal, owners[2]!, client);
    proposal = await viaFile(proposal, "params");

    const scheduled = await executePendingStep(client, submitter, proposal, "schedule");
    assert.equal(await timelock.read.isOperationPending([proposal.timelock!.id]), true);
    assert.ok(scheduled.transactionHash);
    // Scheduling adds the execute step at the Safe's next nonce, to sign during the delay.
    assert.equal(pendingStep(proposal)!.name, "execute");
    proposal = await viaFile(proposal, "params");
    await signProposal(proposal, owners[1]!, client);
    await signProposal(proposal, owners[2]!, client);

    // Before the delay: refused with the time it becomes executable, nothing sent.
    const nonceBefore = await client.getTransactionCount({ address: submitter.account.address });
    await assertRefused(
      executePendingStep(client, submitter, proposal, "execute"),
      GovernanceErrorCode.DelayNotPassed,
    );
    assert.equal(
      await client.getTransactionCount({ address: submitter.account.address }),
      nonceBefore,
    );
    assert.deepEqual(await settlement.read.parameters(), before);

    await stack.connection.networkHelpers.time.increase(delay);
    await executePendingStep(client, submitter, proposal, "execute");
    const after = await settlement.read.parameters();
    assert.deepEqual(
      [after[0], after[1], after[2], after[3], after[4]],
      [
        next.challengeWindow,
        next.challengeResponseWindow,
        next.withdrawalDelay,
        next.disputeTimeout,
        next.disputeBond,
      ],
    );
    assert.equal(await timelock.read.isOperationDone([proposal.timelock!.id]), true);
    const status = await proposalStatus(client, proposal);
    assert.equal(status.timelock!.state, "done");
    assert.equal(status.pending, undefined);

    // Done: every further step is refused.
    await assertRefused(
      executePendingStep(client, submitter, proposal),
      GovernanceErrorCode.AlreadyExecuted,
    );
  });

  it("upgrades Settlement through the timelock to a newly deployed implementation", async () => {
    const { client, submitter } = await clients();
    const { viem, networkHelpers } = stack.connection;
    const v2 = await viem.deployContract("SettlementV2");
    const initData = (await import("viem")).encodeFunctionData({
      abi: v2.abi,
      functionName: "initializeV2",
      args: [7n],
    });
    const proposal = await propose(
      client,
      addresses,
      actions.upgrade(addresses.settlement, v2.address, initData),
      { salt: "upgrade to SettlementV2 (test)" },
    );
    for (const o of [owners[0]!, owners[1]!]) await signProposal(proposal, o, client);
    await executePendingStep(client, submitter, proposal, "schedule");
    for (const o of [owners[0]!, owners[1]!]) await signProposal(proposal, o, client);
    await networkHelpers.time.increase(await stack.contracts.timelock.read.getMinDelay());
    await executePendingStep(client, submitter, proposal, "execute");
    const upgraded = await viem.getContractAt("SettlementV2", addresses.settlement);
    assert.equal(await upgraded.read.version(), "2");
    assert.equal(await upgraded.read.marker(), 7n);
  });

  it("refuses to schedule below the Safe's threshold, and accepts once it is met", async () => {
    const { client, submitter } = await clients();
    const { settlement, timelock } = stack.contracts;
    const feeRecipient = getAddress(hardhatAccount(12).address);
    const proposal = await propose(
      client,
      addresses,
      actions.setFeeRecipient(addresses.settlement, feeRecipient),
    );
    await assertRefused(
      executePendingStep(client, submitter, proposal, "schedule"),
      GovernanceErrorCode.ThresholdNotMet,
    );
    await signProposal(proposal, owners[1]!, client);
    await assertRefused(
      executePendingStep(client, submitter, proposal, "schedule"),
      GovernanceErrorCode.ThresholdNotMet,
    );
    assert.equal(await timelock.read.getTimestamp([proposal.timelock!.id]), 0n);

    // Not an owner: refused at signing; a forged signature entry: refused at execution.
    await assertRefused(
      signProposal(proposal, guardianOwner, client),
      GovernanceErrorCode.BadSignature,
    );
    const forged = structuredClone(proposal);
    pendingStep(forged)!.signatures.push({
      signer: getAddress(owners[2]!.address),
      data: pendingStep(forged)!.signatures[0]!.data,
    });
    await assertRefused(
      executePendingStep(client, submitter, forged, "schedule"),
      GovernanceErrorCode.BadSignature,
    );

    // Execute before schedule: refused as not scheduled.
    const skipped = structuredClone(proposal);
    skipped.steps[0]!.executedIn = zeroHash;
    skipped.steps.push({ ...skipped.steps[0]!, name: "execute", executedIn: undefined });
    await assertRefused(
      executePendingStep(client, submitter, skipped, "execute"),
      GovernanceErrorCode.NotScheduled,
    );

    await signProposal(proposal, owners[2]!, client);
    await executePendingStep(client, submitter, proposal, "schedule");
    assert.notEqual(await timelock.read.getTimestamp([proposal.timelock!.id]), 0n);
    assert.notEqual(getAddress(await settlement.read.feeRecipient()), feeRecipient);
  });

  it("refuses a Safe transaction whose nonce another transaction used, until prepared again", async () => {
    const { client, submitter } = await clients();
    const token = getAddress(hardhatAccount(13).address);
    const first = await propose(
      client,
      addresses,
      actions.setTokenAllowed(addresses.settlement, token, true),
    );
    const second = await propose(
      client,
      addresses,
      actions.setTokenAllowed(addresses.settlement, token, false),
    );
    for (const p of [first, second]) {
      for (const o of [owners[0]!, owners[1]!]) await signProposal(p, o, client);
    }
    await executePendingStep(client, submitter, first, "schedule");
    await assertRefused(
      executePendingStep(client, submitter, second, "schedule"),
      GovernanceErrorCode.StaleNonce,
    );
    const rebuilt = await prepare(client, second);
    assert.equal(rebuilt.signatures.length, 0);
    for (const o of [owners[0]!, owners[1]!]) await signProposal(second, o, client);
    await executePendingStep(client, submitter, second, "schedule");
  });

  it("pauses at once through the guardian Safe, and a market too", async () => {
    const { client, submitter } = await clients();
    const { settlement } = stack.contracts;
    const marketPause = await propose(
      client,
      addresses,
      actions.pauseMarket(addresses.settlement, 2),
    );
    assert.equal(marketPause.timelock, undefined);
    assert.equal(pendingStep(marketPause)!.safe, addresses.guardianSafe);
    // A governance owner is not a guardian owner.
    await assertRefused(
      signProposal(marketPause, owners[0]!, client),
      GovernanceErrorCode.BadSignature,
    );
    await signProposal(marketPause, guardianOwner, client);
    await executePendingStep(client, submitter, marketPause);
    assert.equal((await settlement.read.market([2])).paused, true);

    const pause = await propose(client, addresses, actions.pause(addresses.settlement));
    await assertRefused(
      executePendingStep(client, submitter, pause),
      GovernanceErrorCode.ThresholdNotMet,
    );
    await signProposal(pause, guardianOwner, client);
    await executePendingStep(client, submitter, pause);
    assert.equal(await settlement.read.paused(), true);

    // Unpausing goes through the timelock: market and contract.
    const delay = await stack.contracts.timelock.read.getMinDelay();
    for (const action of [
      actions.unpauseMarket(addresses.settlement, 2),
      actions.unpause(addresses.settlement),
    ]) {
      const p = await propose(client, addresses, action);
      for (const o of [owners[1]!, owners[2]!]) await signProposal(p, o, client);
      await executePendingStep(client, submitter, p, "schedule");
      for (const o of [owners[1]!, owners[2]!]) await signProposal(p, o, client);
      await stack.connection.networkHelpers.time.increase(delay);
      await executePendingStep(client, submitter, p, "execute");
    }
    assert.equal(await settlement.read.paused(), false);
    assert.equal((await settlement.read.market([2])).paused, false);

    // The guardian also unpauses at once (no exit window to wait: it moves no balance).
    for (const [paused, action] of [
      [true, actions.pause(addresses.settlement)],
      [false, actions.pause(addresses.settlement, false)],
    ] as const) {
      const p = await propose(client, addresses, action);
      assert.equal(p.timelock, undefined);
      await signProposal(p, guardianOwner, client);
      await executePendingStep(client, submitter, p);
      assert.equal(await settlement.read.paused(), paused);
    }
    const marketUnpause = actions.pauseMarket(addresses.settlement, 2, false);
    assert.equal(marketUnpause.route, "guardian");
  });

  it("resolves disputes through the governance Safe as arbiter: uphold rolls back, dismiss keeps", async () => {
    const { client, submitter, sequencer, trader } = await clients();
    const { settlement } = stack.contracts;
    const [, , , , bond] = await settlement.read.parameters();

    /** Commits a batch and opens a dispute on it; returns the ids. */
    async function disputedBatch(): Promise<{ batchId: bigint; disputeId: bigint }> {
      const batchId = await settlement.read.nextBatchId();
      // One real fill on market 1 (as registered), between two traders.
      const m = await settlement.read.market([1]);
      const market = { ...m, marketId: 1 };
      const fill = gridFill(
        market,
        getAddress(trader.account.address),
        getAddress(submitter.account.address),
        0,
        10n,
        200_000n,
        `dispute ${batchId}`,
      );
      const feeRecipient = await settlement.read.feeRecipient();
      const p = prepareCommit(batchId, [fill], new Map([[1, market]]), feeRecipient);
      await settlement.write.commitBatch([batchId, p.packed, p.deltas], {
        account: sequencer.account,
      });
      const hash = await settlement.write.openDispute(
        [batchId, keccak256(toHex(`claim ${batchId}`))],
        {
          account: trader.account,
          value: bond,
        },
      );
      const receipt = await client.waitForTransactionReceipt({ hash });
      const [event] = await settlement.getEvents.DisputeOpened(
        {},
        { blockHash: receipt.blockHash },
      );
      return { batchId, disputeId: event!.args.disputeId! };
    }

    const upheld = await disputedBatch();
    const uphold = await propose(
      client,
      addresses,
      actions.resolveDispute(addresses.settlement, upheld.disputeId, true),
    );
    assert.equal(pendingStep(uphold)!.safe, addresses.governanceSafe);
    await signProposal(uphold, owners[0]!, client);
    await assertRefused(
      executePendingStep(client, submitter, uphold),
      GovernanceErrorCode.ThresholdNotMet,
    );
    await signProposal(uphold, owners[1]!, client);
    await executePendingStep(client, submitter, uphold);
    assert.equal((await settlement.read.dispute([upheld.disputeId])).status, 2); // Upheld
    assert.equal((await settlement.read.batch([upheld.batchId])).status, 3); // RolledBack

    const dismissed = await disputedBatch();
    const dismiss = await propose(
      client,
      addresses,
      actions.resolveDispute(addresses.settlement, dismissed.disputeId, false),
    );
    for (const o of [owners[1]!, owners[2]!]) await signProposal(dismiss, o, client);
    await executePendingStep(client, submitter, dismiss);
    assert.equal((await settlement.read.dispute([dismissed.disputeId])).status, 3); // Dismissed
    assert.equal((await settlement.read.batch([dismissed.batchId])).status, 1); // still Pending
  });

  it("refuses a hand-edited proposal file", async () => {
    const { client } = await clients();
    const proposal = await propose(client, addresses, actions.pause(addresses.settlement));
    const file = path.join(dir, "edited.json");
    await writeProposal(file, proposal);
    const { readFile, writeFile } = await import("node:fs/promises");
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace(proposal.action.target.slice(2), "00".repeat(20)));
    await assertRefused(readProposal(file), GovernanceErrorCode.BadProposal);
  });
});
