/**
 * Governance: the governance Safe (proposer, canceller and executor of the timelock; arbiter of
 * disputes), the guardian Safe (pauses at once), and the TimelockController in its *bootstrap*
 * configuration: minDelay 0 and the deployer as temporary admin, proposer and executor, so the
 * `Markets` module can register tokens and markets through it. The `Handoff` module then sets the
 * real delay, hands the roles to the governance Safe and renounces every deployer role.
 *
 * Parameters (module "Governance"):
 * - `owners` (address[]), `threshold` (uint): the governance Safe.
 * - `guardianOwners` (address[]), `guardianThreshold` (uint): the guardian Safe.
 * - `governanceSaltNonce`, `guardianSaltNonce` (uint, optional): CREATE2 salt nonces of the two
 *   Safe proxies (defaults in ignition/lib/constants.ts). Change them to redeploy the same owners.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { SAFE_SALT_NONCES, zeroAddress } from "../lib/constants.js";
import { safeL2Artifact } from "../lib/safe-artifacts.js";
import type { SafeInfraModule } from "./SafeInfra.js";

export function buildGovernanceModule(safeInfraModule: SafeInfraModule) {
  return buildModule("Governance", (m) => {
    const { singleton, factory, fallbackHandler } = m.useModule(safeInfraModule);
    const deployer = m.getAccount(0);

    /** A Safe proxy set up with `owners`/`threshold` and Safe's fallback handler, no module. */
    function createSafe(
      name: "GovernanceSafe" | "GuardianSafe",
      params: { owners: string; threshold: string; saltNonce: string },
      defaultSaltNonce: bigint,
    ) {
      const setup = m.encodeFunctionCall(
        singleton,
        "setup",
        [
          m.getParameter(params.owners),
          m.getParameter(params.threshold),
          zeroAddress, // no delegatecall during setup
          "0x",
          fallbackHandler,
          zeroAddress, // no payment token ...
          0n, // ... no payment ...
          zeroAddress, // ... no payment receiver
        ],
        { id: `${name}_setup` },
      );
      const creation = m.call(
        factory,
        "createProxyWithNonce",
        [singleton, setup, m.getParameter(params.saltNonce, defaultSaltNonce)],
        { id: `${name}_create`, from: deployer },
      );
      const address = m.readEventArgument(creation, "ProxyCreation", "proxy", {
        id: `${name}_address`,
        emitter: factory,
      });
      return m.contractAt(name, safeL2Artifact, address, { id: name });
    }

    const governanceSafe = createSafe(
      "GovernanceSafe",
      { owners: "owners", threshold: "threshold", saltNonce: "governanceSaltNonce" },
      SAFE_SALT_NONCES.governance,
    );
    const guardianSafe = createSafe(
      "GuardianSafe",
      { owners: "guardianOwners", threshold: "guardianThreshold", saltNonce: "guardianSaltNonce" },
      SAFE_SALT_NONCES.guardian,
    );

    // Bootstrap configuration, undone by the Handoff module in the same deployment.
    const timelock = m.contract("TimelockController", [0n, [deployer], [deployer], deployer], {
      from: deployer,
    });

    return { governanceSafe, guardianSafe, timelock };
  });
}
