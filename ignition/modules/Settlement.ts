/**
 * Settlement: the UUPS implementation behind an ERC1967Proxy initialized in its constructor (so
 * nobody can front-run `initialize`), returned as `Settlement` at the proxy address.
 *
 * Roles: timelock = the TimelockController (upgrades, parameters, tokens, markets, unpause),
 * guardian = the guardian Safe, arbiter = the governance Safe.
 *
 * Parameters (module "Settlement"): `sequencer` (address), `feeRecipient` (address),
 * `challengeWindow`, `challengeResponseWindow`, `withdrawalDelay`, `disputeTimeout` (seconds),
 * `disputeBond` (wei), `cancelGraceBlocks` (blocks from an on-chain cancel or nonce bump to the
 * first commit it binds). The contract checks `withdrawalDelay > challengeWindow +
 * challengeResponseWindow + disputeTimeout` and `cancelGraceBlocks >= 1` (docs/protocol.md).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { buildGovernanceModule } from "./Governance.js";

export function buildSettlementModule(governanceModule: ReturnType<typeof buildGovernanceModule>) {
  return buildModule("Settlement", (m) => {
    const { timelock, governanceSafe, guardianSafe } = m.useModule(governanceModule);
    const implementation = m.contract("Settlement", [], { id: "SettlementImplementation" });
    const initData = m.encodeFunctionCall(implementation, "initialize", [
      {
        timelock,
        guardian: guardianSafe,
        arbiter: governanceSafe,
        sequencer: m.getParameter("sequencer"),
        feeRecipient: m.getParameter("feeRecipient"),
        challengeWindow: m.getParameter("challengeWindow"),
        challengeResponseWindow: m.getParameter("challengeResponseWindow"),
        withdrawalDelay: m.getParameter("withdrawalDelay"),
        disputeTimeout: m.getParameter("disputeTimeout"),
        disputeBond: m.getParameter("disputeBond"),
        cancelGraceBlocks: m.getParameter("cancelGraceBlocks"),
      },
    ]);
    const proxy = m.contract("ERC1967Proxy", [implementation, initData], {
      id: "SettlementProxy",
    });
    const settlement = m.contractAt("Settlement", proxy);
    return { settlement, settlementImplementation: implementation, settlementProxy: proxy };
  });
}
