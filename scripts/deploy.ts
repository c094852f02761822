/**
 * Deploys the whole Clearmatch stack to a named network through the Ignition modules, with
 * `ignition/parameters/<network>.json`, then checks the deployed code for opcodes zkEVM chains
 * reject, prints the addresses and the verify command.
 *
 *   npx hardhat run scripts/deploy.ts --network amoy
 *
 * The deployer key is the DEPLOYER_PRIVATE_KEY configuration variable and the RPC URL the
 * network's (AMOY_RPC_URL, ...): environment or `npx hardhat keystore set`. Ignition keeps its
 * journal and `deployed_addresses.json` in ignition/deployments/chain-<chainId>/, so an
 * interrupted deployment resumes where it stopped when run again.
 */
import path from "node:path";
import { existsSync } from "node:fs";
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { network } from "hardhat";
import type { Address } from "viem";
import { buildClearmatchModule } from "../ignition/modules/Clearmatch.js";
import {
  assertNoPlaceholders,
  planFromParameters,
  readParametersFile,
} from "../ignition/lib/plan.js";
import { findForbiddenOpcodes } from "./lib/opcodes.js";

async function main() {
  const connection = await network.connect();
  const name = connection.networkName === "default" ? "localhost" : connection.networkName;
  const parametersFile = path.resolve("ignition", "parameters", `${name}.json`);
  if (!existsSync(parametersFile)) {
    throw new Error(`no parameters file for network "${name}" (${parametersFile})`);
  }
  const parameters = readParametersFile(parametersFile);
  assertNoPlaceholders(parameters);
  const plan = planFromParameters(parameters);

  const client = await connection.viem.getPublicClient();
  const chainId = await client.getChainId();
  const [deployer] = await connection.viem.getWalletClients();
  const deploymentId = `chain-${chainId}`;
  console.log(
    `deploying Clearmatch to ${name} (chain ${chainId}) from ${deployer!.account.address}`,
  );
  console.log(
    `parameters: ${path.relative(process.cwd(), parametersFile)}; deployment id: ${deploymentId}`,
  );
  console.log(`balance: ${await client.getBalance({ address: deployer!.account.address })} wei`);

  const contracts = await connection.ignition.deploy(buildClearmatchModule(plan), {
    parameters: parameters as DeploymentParameters,
    deploymentId,
  });
  const addresses = Object.fromEntries(
    Object.entries(contracts).map(([key, c]) => [key, (c as { address: Address }).address]),
  );

  // zkEVM / CDK chains treat these opcodes as invalid (DESIGN.md): check what actually landed.
  for (const [key, address] of Object.entries(addresses)) {
    const code = await client.getCode({ address });
    if (code === undefined || code === "0x") throw new Error(`${key} at ${address} has no code`);
    const found = findForbiddenOpcodes(code);
    if (found.length > 0) {
      throw new Error(`${key} at ${address} contains ${found.map((f) => f.name).join(", ")}`);
    }
  }

  console.log(
    "\ndeployed (also in ignition/deployments/%s/deployed_addresses.json):",
    deploymentId,
  );
  for (const [key, address] of Object.entries(addresses))
    console.log(`  ${key.padEnd(24)} ${address}`);
  console.log(
    "\nno forbidden opcodes (TLOAD, TSTORE, MCOPY, BLOBHASH, BLOBBASEFEE, BASEFEE) in deployed code",
  );
  console.log(`\nverify: npx tsx scripts/verify.ts --network ${name}`);
  console.log(`   (or: npx hardhat ignition verify ${deploymentId} --network ${name})`);
}

main().catch((e: unknown) => {
  console.error(`refused: ${(e as Error).message}`);
  process.exitCode = 1;
});
