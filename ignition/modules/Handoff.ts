/**
 * Handoff: ends the timelock's bootstrap configuration, after the Markets module.
 *
 * 1. schedule + execute (delay 0) the timelock's own `updateDelay(timelockDelay)`;
 * 2. grant PROPOSER, CANCELLER and EXECUTOR to the governance Safe;
 * 3. the deployer renounces PROPOSER, EXECUTOR, CANCELLER and DEFAULT_ADMIN.
 *
 * Afterwards the governance Safe alone proposes, cancels and executes, every operation waits the
 * real delay, and the timelock administers itself (only a timelocked operation changes roles).
 * Executor = the Safe, not "anyone": execution is a second, deliberate Safe decision, so the
 * owners choose the moment an upgrade lands (e.g. with the sequencer paused) and an operation
 * they forgot to cancel cannot be executed by a stranger.
 *
 * Parameters (module "Handoff"): `timelockDelay` (seconds, > 0).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { BOOTSTRAP_SALTS, TIMELOCK_ROLES, zeroHash } from "../lib/constants.js";
import type { buildGovernanceModule } from "./Governance.js";
import type { buildMarketsModule } from "./Markets.js";

export function buildHandoffModule(
  governanceModule: ReturnType<typeof buildGovernanceModule>,
  marketsModule: ReturnType<typeof buildMarketsModule>,
) {
  return buildModule("Handoff", (m) => {
    const { timelock, governanceSafe } = m.useModule(governanceModule);
    const deployer = m.getAccount(0);

    const updateDelay = m.encodeFunctionCall(timelock, "updateDelay", [
      m.getParameter("timelockDelay"),
    ]);
    const operation = [timelock, 0n, updateDelay, zeroHash, BOOTSTRAP_SALTS.delay] as const;
    const schedule = m.call(timelock, "schedule", [...operation, 0n], {
      id: "scheduleUpdateDelay",
      from: deployer,
      after: [marketsModule],
    });
    const execute = m.call(timelock, "execute", [...operation], {
      id: "executeUpdateDelay",
      from: deployer,
      after: [schedule],
    });

    const grants = (["PROPOSER_ROLE", "CANCELLER_ROLE", "EXECUTOR_ROLE"] as const).map((role) =>
      m.call(timelock, "grantRole", [TIMELOCK_ROLES[role], governanceSafe], {
        id: `grant_${role}`,
        from: deployer,
        after: [execute],
      }),
    );
    const renounces = (["PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE"] as const).map((role) =>
      m.call(timelock, "renounceRole", [TIMELOCK_ROLES[role], deployer], {
        id: `renounce_${role}`,
        from: deployer,
        after: grants,
      }),
    );
    // Last: while the deployer is admin it could still repair a failed grant.
    m.call(timelock, "renounceRole", [TIMELOCK_ROLES.DEFAULT_ADMIN_ROLE, deployer], {
      id: "renounce_DEFAULT_ADMIN_ROLE",
      from: deployer,
      after: renounces,
    });
    return {};
  });
}
