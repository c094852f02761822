import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  hashDomain,
  hashTypedData,
  hexToBigInt,
  keccak256,
  pad,
  toHex,
  zeroAddress,
} from "viem";
import {
  DEPOSIT_BASE,
  LOT,
  MARKET_ID,
  ORDER_TYPES,
  PARAMS,
  TICK,
  createSettlementTest,
  type SettlementFixture,
} from "../helpers/settlement-fixture.js";

/** ERC-7201: keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~bytes32(uint256(0xff)) */
function erc7201(id: string) {
  const inner = hexToBigInt(keccak256(toHex(id))) - 1n;
  return hexToBigInt(keccak256(encodeAbiParameters([{ type: "uint256" }], [inner]))) & ~0xffn;
}

describe("Settlement initialization, governance and upgrades", async () => {
  const t = await createSettlementTest();
  const { viem, networkHelpers } = t;

  it("keeps its state in the ERC-7201 namespace clearmatch.storage.Settlement", async () => {
    const f = await t.load();
    const slot = erc7201("clearmatch.storage.Settlement");
    assert.equal(slot, 0x92bb2a10460f84d576e385617f2b71f668c8cd5d28ad754d15ded0c96085f400n);
    // The first fields of the Layout are the roles: timelock, guardian, arbiter, sequencer.
    for (const [i, wallet] of [
      f.wallets.timelock,
      f.wallets.guardian,
      f.wallets.arbiter,
      f.wallets.sequencer,
    ].entries()) {
      const word = await t.publicClient.getStorageAt({
        address: f.settlement.address,
        slot: toHex(slot + BigInt(i), { size: 32 }),
      });
      assert.equal(word, pad(f.addr(wallet).toLowerCase() as `0x${string}`, { size: 32 }));
    }
  });

  it("initializes roles, fee recipient, parameters and batch ids, once", async () => {
    const f = await t.load();
    const w = f.wallets;
    assert.deepEqual(
      await f.settlement.read.roles(),
      [w.timelock, w.guardian, w.arbiter, w.sequencer].map(f.addr),
    );
    assert.equal(await f.settlement.read.feeRecipient(), f.addr(w.feeRecipient));
    assert.deepEqual(await f.settlement.read.parameters(), [
      PARAMS.challengeWindow,
      PARAMS.challengeResponseWindow,
      PARAMS.withdrawalDelay,
      PARAMS.disputeTimeout,
      PARAMS.disputeBond,
    ]);
    assert.equal(await f.settlement.read.nextBatchId(), 1n);
    assert.equal(await f.settlement.read.nextFinalizeId(), 1n);
    assert.equal(await f.settlement.read.paused(), false);
    await viem.assertions.revertWithCustomError(
      f.settlement.write.initialize([f.initParams]),
      f.settlement,
      "InvalidInitialization",
    );
    await viem.assertions.revertWithCustomError(
      f.implementation.write.initialize([f.initParams]),
      f.implementation,
      "InvalidInitialization",
    );
  });

  it("refuses to initialize with a zero role or inconsistent parameters", async () => {
    const f = await t.load();
    const proxy = await viem.deployContract("ERC1967Proxy", [f.implementation.address, "0x"]);
    const fresh = await viem.getContractAt("Settlement", proxy.address);
    for (const role of ["timelock", "guardian", "arbiter", "sequencer", "feeRecipient"] as const) {
      await viem.assertions.revertWithCustomError(
        fresh.write.initialize([{ ...f.initParams, [role]: zeroAddress }]),
        fresh,
        "SettlementZeroAddress",
      );
    }
    for (const bad of [
      { challengeWindow: 0n },
      { challengeResponseWindow: 0n },
      { disputeTimeout: 0n },
      // Finding 8: a dispute could outlast the withdrawal delay (dispute, withdraw, let it expire).
      {
        withdrawalDelay:
          PARAMS.challengeWindow + PARAMS.challengeResponseWindow + PARAMS.disputeTimeout,
      },
    ]) {
      await viem.assertions.revertWithCustomError(
        fresh.write.initialize([{ ...f.initParams, ...bad }]),
        fresh,
        "SettlementInvalidParameters",
      );
    }
  });

  it("hashes orders under the Clearmatch v1 domain of the proxy", async () => {
    const f = await t.load();
    assert.equal(
      await f.settlement.read.domainSeparator(),
      hashDomain({
        domain: { ...f.domain, chainId: BigInt(f.domain.chainId) },
        types: {
          EIP712Domain: [
            { name: "name", type: "string" },
            { name: "version", type: "string" },
            { name: "chainId", type: "uint256" },
            { name: "verifyingContract", type: "address" },
          ],
        },
      }),
    );
    const order = f.order(f.addr(f.wallets.alice));
    assert.equal(
      await f.settlement.read.hashOrder([order]),
      hashTypedData({ domain: f.domain, types: ORDER_TYPES, primaryType: "Order", message: order }),
    );
  });

  it("pauses and unpauses at once by the guardian or the timelock, no one else", async () => {
    const f = await t.load();
    const { guardian, timelock, alice } = f.wallets;
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.pause({ account: alice.account }),
      f.settlement,
      "SettlementUnauthorized",
      [f.addr(alice)],
    );
    await viem.assertions.emitWithArgs(
      f.settlement.write.pause({ account: guardian.account }),
      f.settlement,
      "Paused",
      [f.addr(guardian)],
    );
    assert.equal(await f.settlement.read.paused(), true);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.unpause({ account: alice.account }),
      f.settlement,
      "SettlementUnauthorized",
      [f.addr(alice)],
    );
    // Finding 8: unpausing must not wait out the exit window; it moves no balance.
    await viem.assertions.emitWithArgs(
      f.settlement.write.unpause({ account: guardian.account }),
      f.settlement,
      "Unpaused",
      [f.addr(guardian)],
    );
    await f.settlement.write.pause({ account: timelock.account });
    assert.equal(await f.settlement.read.paused(), true);
    await viem.assertions.emitWithArgs(
      f.settlement.write.unpause({ account: timelock.account }),
      f.settlement,
      "Unpaused",
      [f.addr(timelock)],
    );
  });

  it("pauses and unpauses a market by the guardian or the timelock", async () => {
    const f = await t.load();
    const { guardian, timelock, alice } = f.wallets;
    await viem.assertions.emitWithArgs(
      f.settlement.write.setMarketPaused([MARKET_ID, true], { account: guardian.account }),
      f.settlement,
      "MarketPaused",
      [MARKET_ID, true],
    );
    assert.equal((await f.settlement.read.market([MARKET_ID])).paused, true);
    await viem.assertions.revertWithCustomError(
      f.settlement.write.setMarketPaused([MARKET_ID, false], { account: alice.account }),
      f.settlement,
      "SettlementUnauthorized",
    );
    await f.settlement.write.setMarketPaused([MARKET_ID, false], { account: guardian.account });
    assert.equal((await f.settlement.read.market([MARKET_ID])).paused, false);
    await f.settlement.write.setMarketPaused([MARKET_ID, true], { account: timelock.account });
    await f.settlement.write.setMarketPaused([MARKET_ID, false], { account: timelock.account });
    assert.equal((await f.settlement.read.market([MARKET_ID])).paused, false);
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.setMarketPaused([7, true], { account: guardian.account }),
      f.settlement,
      "SettlementUnknownMarket",
      [7],
    );
  });

  it("allows tokens and registers markets only through the timelock, with valid steps", async () => {
    const f = await t.load();
    const as = { account: f.wallets.timelock.account };
    const usdt = await viem.deployContract("TestERC20", ["Tether", "USDT", 6]);
    await viem.assertions.revertWithCustomError(
      f.settlement.write.setTokenAllowed([usdt.address, true], {
        account: f.wallets.guardian.account,
      }),
      f.settlement,
      "SettlementUnauthorized",
    );
    await viem.assertions.revertWithCustomError(
      f.settlement.write.setTokenAllowed([zeroAddress, true], as),
      f.settlement,
      "SettlementZeroAddress",
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.registerMarket([2, f.base.address, usdt.address, TICK, LOT], as),
      f.settlement,
      "SettlementTokenNotAllowed",
      [getAddress(usdt.address)],
    );
    await viem.assertions.emitWithArgs(
      f.settlement.write.setTokenAllowed([usdt.address, true], as),
      f.settlement,
      "TokenAllowed",
      [getAddress(usdt.address), true],
    );
    assert.equal(await f.settlement.read.isTokenAllowed([usdt.address]), true);
    for (const [tick, lot, base, quote] of [
      [0n, LOT, f.base.address, usdt.address],
      [TICK, 0n, f.base.address, usdt.address],
      [TICK, LOT / 10n, f.base.address, usdt.address], // lot·tick = 10^17: quotes not exact
      [TICK, LOT, f.base.address, f.base.address],
    ] as const) {
      await viem.assertions.revertWithCustomError(
        f.settlement.write.registerMarket([2, base, quote, tick, lot], as),
        f.settlement,
        "SettlementInvalidMarket",
      );
    }
    await viem.assertions.revertWithCustomErrorWithArgs(
      f.settlement.write.registerMarket([MARKET_ID, f.base.address, usdt.address, TICK, LOT], as),
      f.settlement,
      "SettlementMarketExists",
      [MARKET_ID],
    );
    await viem.assertions.revertWithCustomError(
      f.settlement.write.registerMarket([2, f.base.address, usdt.address, TICK, LOT]),
      f.settlement,
      "SettlementUnauthorized",
    );
    await viem.assertions.emitWithArgs(
      f.settlement.write.registerMarket([2, f.base.address, usdt.address, TICK, LOT], as),
      f.settlement,
      "MarketRegistered",
      [2, getAddress(f.base.address), getAddress(usdt.address), TICK, LOT, 18],
    );
    assert.deepEqual(await f.settlement.read.market([2]), {
      baseToken: getAddress(f.base.address),
      quoteToken: getAddress(usdt.address),
      tickSize: TICK,
      lotSize: LOT,
      baseDecimals: 18,
      registered: true,
      paused: false,
    });
    // Disallowing stops deposits, not withdrawals.
    await f.settlement.write.setTokenAllowed([f.base.address, false], as);
    await viem.assertions.revertWithCustomError(
      f.settlement.write.deposit([f.base.address, 1n], { account: f.wallets.alice.account }),
      f.settlement,
      "SettlementTokenNotAllowed",
    );
  });

  it("sets roles, fee recipient and parameters only through the timelock", async () => {
    const f = await t.load();
    const as = { account: f.wallets.timelock.account };
    const [c, d, a] = [f.wallets.carol, f.wallets.dave, f.wallets.alice].map(f.addr) as [
      `0x${string}`,
      `0x${string}`,
      `0x${string}`,
    ];
    await viem.assertions.revertWithCustomError(
      f.settlement.write.setRoles([c, d, a]),
      f.settlement,
      "SettlementUnauthorized",
    );
    await viem.assertions.revertWithCustomError(
      f.settlement.write.setRoles([c, zeroAddress, a], as),
      f.settlement,
      "SettlementZeroAddress",
    );
    await viem.assertions.emitWithArgs(
      f.settlement.write.setRoles([c, d, a], as),
      f.settlement,
      "RolesSet",
      [c, d, a],
    );
    assert.deepEqual(await f.settlement.read.roles(), [f.addr(f.wallets.timelock), a, d, c]);

    await viem.assertions.revertWithCustomError(
      f.settlement.write.setFeeRecipient([c]),
      f.settlement,
      "SettlementUnauthorized",
    );
    await viem.assertions.revertWithCustomError(
      f.settlement.write.setFeeRecipient([zeroAddress], as),
      f.settlement,
      "SettlementZeroAddress",
    );
    await viem.assertions.emitWithArgs(
      f.settlement.write.setFeeRecipient([c], as),
      f.settlement,
      "FeeRecipientSet",
      [c],
    );
    assert.equal(await f.settlement.read.feeRecipient(), c);
    await viem.assertions.revertWithCustomError(
      f.settlement.write.setParameters([60n, 30n, 691n, 600n, 5n]),
      f.settlement,
      "SettlementUnauthorized",
    );
  });

  /**
   * A proxy whose timelock is a real TimelockController waiting `minDelay` seconds (the fixture's
   * timelock is a plain account), and `run`, which schedules a call to it, waits and executes.
   */
  async function behindTimelock(f: SettlementFixture, minDelay: bigint) {
    const operator = f.wallets.timelock;
    const timelock = await viem.deployContract("TimelockController", [
      minDelay,
      [f.addr(operator)],
      [f.addr(operator)],
      zeroAddress,
    ]);
    const init = encodeFunctionData({
      abi: f.settlement.abi,
      functionName: "initialize",
      args: [{ ...f.initParams, timelock: timelock.address }],
    });
    const proxy = await viem.deployContract("ERC1967Proxy", [f.implementation.address, init]);
    const settlement = await viem.getContractAt("Settlement", proxy.address);
    let salt = 0n;
    const run = async (target: `0x${string}`, data: `0x${string}`) => {
      const id = pad(toHex(++salt));
      const as = { account: operator.account };
      const delay = await timelock.read.getMinDelay();
      await timelock.write.schedule([target, 0n, data, pad("0x00"), id, delay], as);
      await networkHelpers.time.increase(delay);
      return timelock.write.execute([target, 0n, data, pad("0x00"), id], as);
    };
    const setParameters = (p: readonly [bigint, bigint, bigint, bigint, bigint]) =>
      run(
        settlement.address,
        encodeFunctionData({ abi: settlement.abi, functionName: "setParameters", args: [...p] }),
      );
    return { timelock, settlement, run, setParameters };
  }

  it("changes parameters only through a timelock that waits the withdrawal delay + 7 days (finding 8)", async () => {
    const f = await t.load();
    const exitMargin = 7n * 86_400n;
    const { settlement, setParameters } = await behindTimelock(
      f,
      PARAMS.withdrawalDelay + exitMargin,
    );
    // The holds must end before a withdrawal matures: withdrawal > window + response + dispute.
    await viem.assertions.revertWithCustomError(
      setParameters([60n, 30n, 690n, 600n, 5n]),
      settlement,
      "SettlementInvalidParameters",
    );
    // Governance cannot raise the withdrawal delay past what its own delay leaves for exits.
    await viem.assertions.revertWithCustomErrorWithArgs(
      setParameters([60n, 30n, PARAMS.withdrawalDelay + 1n, 600n, 5n]),
      settlement,
      "SettlementExitWindowTooShort",
      [PARAMS.withdrawalDelay + exitMargin, PARAMS.withdrawalDelay + 1n + exitMargin],
    );
    const next = [60n, 30n, 691n, 600n, 5n] as const;
    await viem.assertions.emitWithArgs(setParameters(next), settlement, "ParametersSet", [...next]);
    assert.deepEqual(await settlement.read.parameters(), [...next]);
  });

  it("upgrades only through the timelock, keeping state, to SettlementV2", async () => {
    const f = await t.load();
    const exitMargin = 7n * 86_400n;
    const { timelock, settlement, run } = await behindTimelock(
      f,
      PARAMS.withdrawalDelay + exitMargin,
    );
    await f.base.write.approve([settlement.address, DEPOSIT_BASE], {
      account: f.wallets.alice.account,
    });
    await run(
      settlement.address,
      encodeFunctionData({
        abi: settlement.abi,
        functionName: "setTokenAllowed",
        args: [f.base.address, true],
      }),
    );
    await f.base.write.mint([f.addr(f.wallets.alice), DEPOSIT_BASE]);
    await settlement.write.deposit([f.base.address, DEPOSIT_BASE], {
      account: f.wallets.alice.account,
    });
    const v2 = await viem.deployContract("SettlementV2");
    const data = encodeFunctionData({ abi: v2.abi, functionName: "initializeV2", args: [7n] });
    const upgrade = encodeFunctionData({
      abi: settlement.abi,
      functionName: "upgradeToAndCall",
      args: [v2.address, data],
    });
    await viem.assertions.revertWithCustomErrorWithArgs(
      settlement.write.upgradeToAndCall([v2.address, data], {
        account: f.wallets.guardian.account,
      }),
      settlement,
      "SettlementUnauthorized",
      [f.addr(f.wallets.guardian)],
    );
    // A timelock that lowered its own delay cannot upgrade until it raises it again: users
    // always see an upgrade coming a withdrawal delay + 7 days ahead (finding 8).
    await run(
      timelock.address,
      encodeFunctionData({ abi: timelock.abi, functionName: "updateDelay", args: [3_600n] }),
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      run(settlement.address, upgrade),
      settlement,
      "SettlementExitWindowTooShort",
      [3_600n, PARAMS.withdrawalDelay + exitMargin],
    );
    await run(
      timelock.address,
      encodeFunctionData({
        abi: timelock.abi,
        functionName: "updateDelay",
        args: [PARAMS.withdrawalDelay + exitMargin],
      }),
    );
    await viem.assertions.emitWithArgs(run(settlement.address, upgrade), settlement, "Upgraded", [
      getAddress(v2.address),
    ]);
    const upgraded = await viem.getContractAt("SettlementV2", settlement.address);
    assert.equal(await upgraded.read.version(), "2");
    assert.equal(await upgraded.read.marker(), 7n);
    assert.equal(
      await upgraded.read.balanceOf([f.addr(f.wallets.alice), f.base.address]),
      DEPOSIT_BASE,
    );
    assert.equal(await upgraded.read.nextBatchId(), 1n);
    // The new implementation brings its own extension, which works on the same state.
    assert.notEqual(await upgraded.read.extension(), await f.implementation.read.extension());
    await upgraded.write.pause({ account: f.wallets.guardian.account });
    assert.equal(await upgraded.read.paused(), true);
  });

  it("leaves the extension harmless when called directly: it has no roles of its own", async () => {
    const f = await t.load();
    const extension = await viem.getContractAt(
      "Settlement",
      await f.implementation.read.extension(),
    );
    await viem.assertions.revertWithCustomError(
      extension.write.pause({ account: f.wallets.guardian.account }),
      f.settlement,
      "SettlementUnauthorized",
    );
  });
});
