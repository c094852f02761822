import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { getAddress, zeroAddress, type Address } from "viem";
import { TIMELOCK_ROLES } from "../ignition/lib/constants.js";
import {
  CANONICAL_SAFE_V141,
  compatibilityFallbackHandlerArtifact,
  safeL2Artifact,
  safeProxyFactoryArtifact,
} from "../ignition/lib/safe-artifacts.js";
import { safeAbi } from "../scripts/lib/safe.js";
import { deployStack, type Stack } from "./helpers/deploy-stack.js";

const ROLE_NAMES = Object.fromEntries(
  Object.entries(TIMELOCK_ROLES).map(([name, id]) => [id, name]),
) as Record<string, keyof typeof TIMELOCK_ROLES>;

describe("deployment through the Ignition modules", () => {
  let stack: Stack;
  let deployer: Address;

  before(async () => {
    stack = await deployStack();
    const [wallet] = await stack.connection.viem.getWalletClients();
    deployer = wallet!.account.address;
  });

  it("sets up both Safes with the configured owners and thresholds, without the deployer", async () => {
    const client = await stack.connection.viem.getPublicClient();
    const { governanceSafe, guardianSafe } = stack.contracts;
    const expected = [
      [
        governanceSafe.address,
        stack.parameters.Governance!.owners,
        stack.parameters.Governance!.threshold,
      ],
      [
        guardianSafe.address,
        stack.parameters.Governance!.guardianOwners,
        stack.parameters.Governance!.guardianThreshold,
      ],
    ] as const;
    for (const [safe, owners, threshold] of expected) {
      const actualOwners = await client.readContract({
        address: safe,
        abi: safeAbi,
        functionName: "getOwners",
      });
      assert.deepEqual(
        [...actualOwners].map((a) => getAddress(a)).sort(),
        (owners as string[]).map((a) => getAddress(a)).sort(),
      );
      assert.equal(
        await client.readContract({ address: safe, abi: safeAbi, functionName: "getThreshold" }),
        BigInt(threshold as number),
      );
      assert.equal(
        await client.readContract({
          address: safe,
          abi: safeAbi,
          functionName: "isOwner",
          args: [deployer],
        }),
        false,
      );
      assert.equal(
        await client.readContract({ address: safe, abi: safeAbi, functionName: "VERSION" }),
        "1.4.1",
      );
    }
    assert.notEqual(governanceSafe.address, guardianSafe.address);
  });

  it("leaves the timelock with its real delay, governed by the Safe alone", async () => {
    const { timelock, governanceSafe } = stack.contracts;
    assert.equal(
      await timelock.read.getMinDelay(),
      BigInt(stack.parameters.Handoff!.timelockDelay as number),
    );
    for (const [name, role] of Object.entries(TIMELOCK_ROLES)) {
      assert.equal(
        await timelock.read.hasRole([role, deployer]),
        false,
        `deployer still has ${name}`,
      );
    }
    for (const role of [
      TIMELOCK_ROLES.PROPOSER_ROLE,
      TIMELOCK_ROLES.CANCELLER_ROLE,
      TIMELOCK_ROLES.EXECUTOR_ROLE,
    ]) {
      assert.equal(await timelock.read.hasRole([role, governanceSafe.address]), true);
    }
    // Replay every grant and revoke: the final holders are exactly these.
    const granted = await timelock.getEvents.RoleGranted({}, { fromBlock: 0n });
    const revoked = await timelock.getEvents.RoleRevoked({}, { fromBlock: 0n });
    const holders = new Set<string>();
    const events = [
      ...granted.map((e) => ["+", e] as const),
      ...revoked.map((e) => ["-", e] as const),
    ].sort(([, a], [, b]) => Number(a.blockNumber! - b.blockNumber!) || a.logIndex! - b.logIndex!);
    for (const [op, e] of events) {
      const key = `${ROLE_NAMES[e.args.role!]}:${getAddress(e.args.account!)}`;
      if (op === "+") holders.add(key);
      else holders.delete(key);
    }
    assert.deepEqual([...holders].sort(), [
      `CANCELLER_ROLE:${getAddress(governanceSafe.address)}`,
      `DEFAULT_ADMIN_ROLE:${getAddress(timelock.address)}`,
      `EXECUTOR_ROLE:${getAddress(governanceSafe.address)}`,
      `PROPOSER_ROLE:${getAddress(governanceSafe.address)}`,
    ]);
  });

  it("initializes Settlement behind its proxy with the timelock, the Safes and the configured roles", async () => {
    const { settlement, timelock, governanceSafe, guardianSafe } = stack.contracts;
    const p = stack.parameters.Settlement!;
    const [timelockRole, guardian, arbiter, sequencer] = await settlement.read.roles();
    assert.equal(getAddress(timelockRole), getAddress(timelock.address));
    assert.equal(getAddress(guardian), getAddress(guardianSafe.address));
    assert.equal(getAddress(arbiter), getAddress(governanceSafe.address));
    assert.equal(getAddress(sequencer), getAddress(p.sequencer as string));
    assert.ok(
      ![timelockRole, guardian, arbiter, sequencer]
        .map((a) => getAddress(a))
        .includes(getAddress(deployer)),
    );
    assert.equal(
      getAddress(await settlement.read.feeRecipient()),
      getAddress(p.feeRecipient as string),
    );
    assert.deepEqual(await settlement.read.parameters(), [
      BigInt(p.challengeWindow as number),
      BigInt(p.challengeResponseWindow as number),
      BigInt(p.withdrawalDelay as number),
      BigInt(p.disputeTimeout as number),
      p.disputeBond,
    ]);
    assert.equal(await settlement.read.paused(), false);
  });

  it("allows every planned token and registers every planned market", async () => {
    const { settlement } = stack.contracts;
    const tokenAddress = (key: string) => getAddress(stack.addresses[`token${key}`]!);
    for (const key of Object.keys(stack.plan.tokens)) {
      assert.equal(await settlement.read.isTokenAllowed([tokenAddress(key)]), true, key);
    }
    assert.ok(stack.plan.markets.length > 0);
    for (const m of stack.plan.markets) {
      const market = await settlement.read.market([m.marketId]);
      assert.equal(market.registered, true);
      assert.equal(market.paused, false);
      assert.equal(getAddress(market.baseToken), tokenAddress(m.base));
      assert.equal(getAddress(market.quoteToken), tokenAddress(m.quote));
      assert.equal(market.tickSize, m.tickSize);
      assert.equal(market.lotSize, m.lotSize);
      const base = stack.plan.tokens[m.base]!;
      assert.equal(market.baseDecimals, "testToken" in base ? base.testToken.decimals : undefined);
    }
    const unplanned = await settlement.read.market([999]);
    assert.equal(unplanned.registered, false);
    assert.equal(getAddress(unplanned.baseToken), zeroAddress);
  });

  it("uses the canonical Safe v1.4.1 addresses when the plan says useCanonicalSafe", async () => {
    // The simulated chain has no canonical Safe: place the npm artifacts' runtime code there.
    const canonical = await deployStack({
      parameters: { Clearmatch: { useCanonicalSafe: true } },
      beforeDeploy: async ({ networkHelpers }) => {
        for (const [artifact, at] of [
          [safeL2Artifact, CANONICAL_SAFE_V141.safeL2.address],
          [safeProxyFactoryArtifact, CANONICAL_SAFE_V141.safeProxyFactory.address],
          [
            compatibilityFallbackHandlerArtifact,
            CANONICAL_SAFE_V141.compatibilityFallbackHandler.address,
          ],
        ] as const) {
          await networkHelpers.setCode(at, artifact.deployedBytecode);
        }
      },
    });
    assert.equal(canonical.addresses.safeSingleton, CANONICAL_SAFE_V141.safeL2.address);
    assert.equal(
      canonical.addresses.safeProxyFactory,
      CANONICAL_SAFE_V141.safeProxyFactory.address,
    );
    const client = await canonical.connection.viem.getPublicClient();
    // The governance Safe is a proxy of the canonical singleton (its storage slot 0).
    const singleton = await client.getStorageAt({
      address: canonical.addresses.governanceSafe!,
      slot: "0x0",
    });
    assert.equal(getAddress(`0x${singleton!.slice(-40)}`), CANONICAL_SAFE_V141.safeL2.address);
    const [, guardian] = await canonical.contracts.settlement.read.roles();
    assert.equal(getAddress(guardian), canonical.addresses.guardianSafe);
  });
});
