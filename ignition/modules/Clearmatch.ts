/**
 * The whole Clearmatch stack, in order:
 *
 *   SafeInfra -> Governance -> Settlement -> Markets -> Handoff
 *
 * `buildClearmatchModule(plan)` composes the modules for a deployment plan (ignition/lib/plan.ts);
 * tests and operator scripts call it with `planFromParameters(parameters)`.
 *
 * The default export (what `npx hardhat ignition deploy ignition/modules/Clearmatch.ts` runs)
 * reads the plan from the same parameters file the command passes with `--parameters`, or, when
 * none is given, from `ignition/parameters/<network>.json` (`localhost.json` for the simulated
 * network).
 */
import path from "node:path";
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { globalOptions } from "hardhat";
import {
  assertNoPlaceholders,
  planFromParameters,
  readParametersFile,
  type ClearmatchPlan,
} from "../lib/plan.js";
import { buildGovernanceModule } from "./Governance.js";
import { buildHandoffModule } from "./Handoff.js";
import { buildMarketsModule } from "./Markets.js";
import { buildSafeInfraModule } from "./SafeInfra.js";
import { buildSettlementModule } from "./Settlement.js";

export function buildClearmatchModule(plan: ClearmatchPlan) {
  const safeInfra = buildSafeInfraModule(plan.useCanonicalSafe);
  const governance = buildGovernanceModule(safeInfra);
  const settlement = buildSettlementModule(governance);
  const markets = buildMarketsModule(plan, governance, settlement);
  const handoff = buildHandoffModule(governance, markets);

  return buildModule("Clearmatch", (m) => {
    const { singleton, factory, fallbackHandler } = m.useModule(safeInfra);
    const { governanceSafe, guardianSafe, timelock } = m.useModule(governance);
    const contracts = m.useModule(settlement);
    const testTokens = m.useModule(markets);
    m.useModule(handoff);
    return {
      safeSingleton: singleton,
      safeProxyFactory: factory,
      safeFallbackHandler: fallbackHandler,
      governanceSafe,
      guardianSafe,
      timelock,
      ...contracts,
      ...testTokens,
    };
  });
}

/** The parameters file of this invocation: `--parameters <file>`, else the network's own. */
export function parametersFileOfInvocation(argv = process.argv): string {
  const i = argv.findIndex((a) => a === "--parameters" || a.startsWith("--parameters="));
  if (i !== -1) {
    const arg = argv[i]!;
    const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[i + 1];
    if (value !== undefined && value.endsWith(".json")) return path.resolve(value);
  }
  const network = globalOptions.network ?? "default";
  const name = network === "default" ? "localhost" : network;
  return path.resolve("ignition", "parameters", `${name}.json`);
}

const invocationParameters = readParametersFile(parametersFileOfInvocation());
assertNoPlaceholders(invocationParameters);
export default buildClearmatchModule(planFromParameters(invocationParameters));
