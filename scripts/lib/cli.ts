/**
 * What the operator CLIs share: the network (RPC URL from the environment, same variable names as
 * hardhat.config.ts), the deployed addresses (Ignition's `deployed_addresses.json`), keys from the
 * environment (never from files in git), and one way to fail: a one-line reason, exit code 1.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  isHex,
  type Address,
  type Chain,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat, polygon, polygonAmoy, polygonZkEvm, polygonZkEvmCardona } from "viem/chains";
import { GovernanceError } from "./governance/errors.js";
import type { GovernanceAddresses } from "./governance/proposal-file.js";

/** Named networks: chain and the environment variable holding its RPC URL (as in hardhat.config.ts). */
export const NETWORKS: Record<string, { chain: Chain; rpcEnv?: string; defaultUrl?: string }> = {
  localhost: { chain: hardhat, defaultUrl: "http://127.0.0.1:8545" },
  polygon: { chain: polygon, rpcEnv: "POLYGON_RPC_URL" },
  amoy: { chain: polygonAmoy, rpcEnv: "AMOY_RPC_URL" },
  polygonZkEVM: { chain: polygonZkEvm, rpcEnv: "POLYGON_ZKEVM_RPC_URL" },
  zkEVMCardona: { chain: polygonZkEvmCardona, rpcEnv: "ZKEVM_CARDONA_RPC_URL" },
};

/** A refusal: printed as one line, exit code 1. */
export class CliError extends Error {}

export function fail(message: string): never {
  throw new CliError(message);
}

/** Runs `main`, printing refusals as `refused: <reason>` (exit 1) and anything else with its stack. */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof GovernanceError) {
      console.error(`refused (${e.code}): ${e.message}`);
    } else if (e instanceof CliError) {
      console.error(`refused: ${e.message}`);
    } else {
      const err = e as Error & { shortMessage?: string; details?: string };
      const details = err.details ? ` (${err.details})` : "";
      console.error(`error: ${(err.shortMessage ?? err.message).split("\n")[0]}${details}`);
    }
    process.exitCode = 1;
  }
}

export function connect(networkName: string, rpcUrlOverride?: string) {
  const network = NETWORKS[networkName];
  if (network === undefined) {
    fail(`unknown network "${networkName}" (known: ${Object.keys(NETWORKS).join(", ")})`);
  }
  const url =
    rpcUrlOverride ??
    (network.rpcEnv ? process.env[network.rpcEnv] : undefined) ??
    network.defaultUrl ??
    fail(`set ${network.rpcEnv} (the RPC URL of ${networkName}) or pass --rpc-url`);
  const transport = http(url);
  const client = createPublicClient({ chain: network.chain, transport });
  return { network, url, client, chain: network.chain, transport };
}

/** A private key from the environment variable `name`, as a local viem account. */
export function accountFromEnv(name: string) {
  const key = process.env[name];
  if (key === undefined || key === "")
    fail(`set ${name} (a 0x-prefixed private key) in the environment`);
  if (!isHex(key) || key.length !== 66)
    fail(`${name} is not a 32-byte 0x-prefixed hex private key`);
  return privateKeyToAccount(key as Hex);
}

export function walletFromEnv(name: string, conn: ReturnType<typeof connect>) {
  return createWalletClient({
    account: accountFromEnv(name),
    chain: conn.chain,
    transport: conn.transport,
  });
}

/** Ignition's deployment folder: `ignition/deployments/<id>` (default id: `chain-<chainId>`). */
export function deploymentDir(deploymentId: string): string {
  return path.resolve("ignition", "deployments", deploymentId);
}

/** Every deployed address of an Ignition deployment, by future id (`Settlement#SettlementProxy`). */
export function readDeployedAddresses(deploymentId: string): Record<string, Address> {
  const file = path.join(deploymentDir(deploymentId), "deployed_addresses.json");
  if (!existsSync(file))
    fail(`no deployment "${deploymentId}" (${file} missing): deploy first, or pass --deployment`);
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, Address>;
}

/** The addresses governance needs, from a Clearmatch deployment (ignition/modules/Clearmatch.ts). */
export function governanceAddresses(deployed: Record<string, Address>): GovernanceAddresses {
  const pick = (id: string) =>
    deployed[id] !== undefined ? getAddress(deployed[id]) : fail(`the deployment has no "${id}"`);
  return {
    settlement: pick("Settlement#SettlementProxy"),
    timelock: pick("Governance#TimelockController"),
    governanceSafe: pick("Governance#GovernanceSafe"),
    guardianSafe: pick("Governance#GuardianSafe"),
  };
}
