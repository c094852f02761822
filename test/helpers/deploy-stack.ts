/**
 * Test fixture: the whole Clearmatch stack deployed through the Ignition modules
 * (ignition/modules/Clearmatch.ts) on a fresh simulated chain, with
 * ignition/parameters/localhost.json (optionally overridden per module).
 */
import path from "node:path";
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { network } from "hardhat";
import type { Address } from "viem";
import { buildClearmatchModule } from "../../ignition/modules/Clearmatch.js";
import {
  planFromParameters,
  readParametersFile,
  type ParametersFile,
} from "../../ignition/lib/plan.js";

export const LOCAL_PARAMETERS_FILE = path.resolve("ignition", "parameters", "localhost.json");

/** `base` with each module's parameters in `overrides` replaced key by key. */
export function mergeParameters(
  base: ParametersFile,
  overrides: ParametersFile = {},
): ParametersFile {
  const merged: ParametersFile = { ...base };
  for (const [moduleId, params] of Object.entries(overrides)) {
    merged[moduleId] = { ...base[moduleId], ...params };
  }
  return merged;
}

export interface DeployStackOptions {
  /** Per-module overrides of ignition/parameters/localhost.json (e.g. `{ Handoff: { timelockDelay: 60 } }`). */
  parameters?: ParametersFile;
  /** Runs on the fresh chain before the deployment (e.g. to place code at canonical addresses). */
  beforeDeploy?: (connection: Awaited<ReturnType<typeof network.create>>) => Promise<void>;
}

export async function deployStack(options: DeployStackOptions = {}) {
  const connection = await network.create();
  await options.beforeDeploy?.(connection);
  const parameters = mergeParameters(readParametersFile(LOCAL_PARAMETERS_FILE), options.parameters);
  const plan = planFromParameters(parameters);
  const contracts = await connection.ignition.deploy(buildClearmatchModule(plan), {
    parameters: parameters as DeploymentParameters,
    displayUi: false,
  });
  /** Every deployed contract's address by result name (`settlement`, `tokenUSDC`, ...). */
  const addresses = Object.fromEntries(
    Object.entries(contracts).map(([name, c]) => [name, (c as { address: Address }).address]),
  ) as Record<string, Address>;
  return { connection, contracts, addresses, plan, parameters };
}

export type Stack = Awaited<ReturnType<typeof deployStack>>;
