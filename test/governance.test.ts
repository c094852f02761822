/**
 * Governance end to end: real owner signatures (EIP-712 SafeTx, signed with the owners' private
 * keys), the governance Safe proposing to and executing on the timelock, the guardian Safe pausing.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { encodeFunctionData, getAddress } from "viem";
import {
  executeSafeTransaction,
  proposeSafeTransaction,
  readSafeState,
} from "../scripts/lib/safe.js";
import {
  encodeExecute,
  encodeSchedule,
  operationId,
  operationSalt,
  timelockOperation,
  type TimelockOperation,
} from "../scripts/lib/timelock.js";
import { deployStack, type Stack } from "./helpers/deploy-stack.js";
import { execViaSafe, hardhatAccount } from "./helpers/safe.js";

/** ERC-1967 implementation slot: bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1). */
const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

describe("governance through the Safe and the timelock", () => {
  let stack: Stack;
  let delay: bigint;
  const owners = [hardhatAccount(1), hardhatAccount(2), hardhatAccount(3)];
  const guardianOwner = hardhatAccount(4);

  before(async () => {
    stack = await deployStack();
    delay = BigInt(stack.parameters.Handoff!.timelockDelay as number);
    // The fixture's parameters name these accounts as owners; the test holds their keys.
    assert.deepEqual(
      (stack.parameters.Governance!.owners as string[]).map((a) => getAddress(a)),
      owners.map((o) => o.address),
    );
  });

  async function clients() {
    const client = await stack.connection.viem.getPublicClient();
    const wallets = await stack.connection.viem.getWalletClients();
    return { client, submitter: wallets[8]!, trader: wallets[9]! };
  }

  /** The governance Safe schedules `op` on the timelock (owners 1 and 2 sign). */
  async function scheduleViaSafe(op: TimelockOperation) {
    const { client, submitter } = await clients();
    const { timelock, governanceSafe } = stack.contracts;
    await execViaSafe(
      client,
      submitter,
      governanceSafe.address,
      { to: timelock.address, data: encodeSchedule(op, delay) },
      [owners[0]!, owners[1]!],
    );
  }

  it("refuses a Safe transaction signed by fewer owners than the threshold", async () => {
    const { client, submitter } = await clients();
    const { governanceSafe, settlement } = stack.contracts;
    const safe = governanceSafe.address;
    const before = await readSafeState(client, safe);
    assert.equal(before.threshold, 2n);
    const { tx, signatures } = await proposeSafeTransaction(
      client,
      safe,
      {
        to: settlement.address,
        data: encodeFunctionData({ abi: settlement.abi, functionName: "pause" }),
      },
      [owners[2]!],
    );
    await stack.connection.viem.assertions.revertWith(
      executeSafeTransaction(client, submitter, safe, tx, signatures),
      "GS020",
    );
    assert.equal((await readSafeState(client, safe)).nonce, before.nonce);
    assert.equal(await settlement.read.paused(), false);
  });

  it("upgrades Settlement to V2 only after the timelock delay, keeping its state", async () => {
    const { viem, networkHelpers } = stack.connection;
    const { client, submitter, trader } = await clients();
    const { settlement, timelock, governanceSafe } = stack.contracts;
    const usdc = { address: stack.addresses.tokenUSDC! };

    // State before the upgrade: a vault balance, the parameters, the roles.
    const token = await viem.getContractAt("TestERC20", usdc.address);
    await token.write.mint([trader.account.address, 1_000_000_000n]);
    await token.write.approve([settlement.address, 1_000_000_000n], { account: trader.account });
    await settlement.write.deposit([usdc.address, 1_000_000_000n], { account: trader.account });
    const stateBefore = {
      balance: await settlement.read.balanceOf([trader.account.address, usdc.address]),
      parameters: await settlement.read.parameters(),
      roles: await settlement.read.roles(),
      market: await settlement.read.market([1]),
    };
    assert.equal(stateBefore.balance, 1_000_000_000n);

    const v2 = await viem.deployContract("SettlementV2");
    const op = timelockOperation(
      {
        target: settlement.address,
        data: encodeFunctionData({
          abi: settlement.abi,
          functionName: "upgradeToAndCall",
          args: [
            v2.address,
            encodeFunctionData({ abi: v2.abi, functionName: "initializeV2", args: [42n] }),
          ],
        }),
      },
      operationSalt("upgrade Settlement to SettlementV2"),
    );
    const id = operationId(op);
    assert.equal(
      id,
      await timelock.read.hashOperation([op.target, op.value, op.data, op.predecessor, op.salt]),
    );

    await scheduleViaSafe(op);
    assert.equal(await timelock.read.isOperationPending([id]), true);
    assert.equal(await timelock.read.isOperationReady([id]), false);

    // Before the delay: the timelock refuses its executor, ...
    const executeArgs = [op.target, op.value, op.data, op.predecessor, op.salt] as const;
    await viem.assertions.revertWithCustomError(
      timelock.simulate.execute(executeArgs, { account: governanceSafe.address }),
      timelock,
      "TimelockUnexpectedOperationState",
    );
    // ... so the Safe transaction executing it fails as a whole (GS013: inner call failed), ...
    await viem.assertions.revertWith(
      execViaSafe(
        client,
        submitter,
        governanceSafe.address,
        { to: timelock.address, data: encodeExecute(op) },
        [owners[1]!, owners[2]!],
      ),
      "GS013",
    );
    // ... and the executor is the Safe: nobody else executes, even after the delay.
    await viem.assertions.revertWithCustomError(
      timelock.simulate.execute(executeArgs, { account: submitter.account.address }),
      timelock,
      "AccessControlUnauthorizedAccount",
    );
    // A direct upgrade by the Safe (not through the timelock) is refused too.
    await viem.assertions.revertWithCustomError(
      settlement.simulate.upgradeToAndCall([v2.address, "0x"], { account: governanceSafe.address }),
      settlement,
      "SettlementUnauthorized",
    );

    await networkHelpers.time.increase(delay);
    assert.equal(await timelock.read.isOperationReady([id]), true);
    await execViaSafe(
      client,
      submitter,
      governanceSafe.address,
      { to: timelock.address, data: encodeExecute(op) },
      [owners[2]!, owners[1]!],
    );
    assert.equal(await timelock.read.isOperationDone([id]), true);

    const implementation = await client.getStorageAt({
      address: settlement.address,
      slot: IMPLEMENTATION_SLOT,
    });
    assert.equal(getAddress(`0x${implementation!.slice(-40)}`), getAddress(v2.address));
    const upgraded = await viem.getContractAt("SettlementV2", settlement.address);
    assert.equal(await upgraded.read.version(), "2");
    assert.equal(await upgraded.read.marker(), 42n);
    assert.deepEqual(
      {
        balance: await upgraded.read.balanceOf([trader.account.address, usdc.address]),
        parameters: await upgraded.read.parameters(),
        roles: await upgraded.read.roles(),
        market: await upgraded.read.market([1]),
      },
      stateBefore,
    );
  });

  it("lets the guardian Safe pause and unpause at once; the governance Safe only through the timelock", async () => {
    const { viem, networkHelpers } = stack.connection;
    const { client, submitter } = await clients();
    const { settlement, guardianSafe, governanceSafe } = stack.contracts;
    const call = (functionName: "pause" | "unpause") => ({
      to: settlement.address,
      data: encodeFunctionData({ abi: settlement.abi, functionName }),
    });

    await execViaSafe(client, submitter, guardianSafe.address, call("pause"), [guardianOwner]);
    assert.equal(await settlement.read.paused(), true);
    // Unpausing moves no balance, so it need not wait out the exit window (finding 8).
    await execViaSafe(client, submitter, guardianSafe.address, call("unpause"), [guardianOwner]);
    assert.equal(await settlement.read.paused(), false);

    await execViaSafe(client, submitter, guardianSafe.address, call("pause"), [guardianOwner]);
    await viem.assertions.revertWithCustomError(
      settlement.simulate.unpause({ account: governanceSafe.address }),
      settlement,
      "SettlementUnauthorized",
    );
    const op = timelockOperation(
      { target: settlement.address, data: call("unpause").data },
      operationSalt("unpause after guardian pause"),
    );
    await scheduleViaSafe(op);
    assert.equal(await settlement.read.paused(), true);
    await networkHelpers.time.increase(delay);
    await execViaSafe(
      client,
      submitter,
      governanceSafe.address,
      { to: stack.contracts.timelock.address, data: encodeExecute(op) },
      [owners[0]!, owners[2]!],
    );
    assert.equal(await settlement.read.paused(), false);
  });
});
