/**
 * Verifies every contract of a Clearmatch deployment on the block explorers configured in
 * hardhat.config.ts (Etherscan v2 API with ETHERSCAN_API_KEY, Blockscout, Sourcify), by running
 * `hardhat ignition verify <deployment-id>`, which reads the deployment's journal and build-info.
 *
 *   npx tsx scripts/verify.ts --network amoy [--deployment chain-80002]
 *
 * The Safe contracts are not ours to verify: the canonical v1.4.1 deployments are verified
 * already, and local ones are Safe's npm artifacts (test/sourcify-verify.test.ts checks them by code
 * hash). Explorers unreachable or refusing: a one-line reason, exit code 1.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { deploymentDir, fail, NETWORKS, runCli } from "./lib/cli.js";

const { values } = parseArgs({
  options: {
    network: { type: "string" },
    deployment: { type: "string" },
  },
});

async function main() {
  const name =
    values.network ??
    fail("--network <name> is required (amoy, polygon, polygonZkEVM, zkEVMCardona)");
  const network = NETWORKS[name] ?? fail(`unknown network "${name}"`);
  if (name === "localhost") fail("the local chain has no block explorer");
  const deploymentId = values.deployment ?? `chain-${network.chain.id}`;
  const dir = deploymentDir(deploymentId);
  if (!existsSync(path.join(dir, "journal.jsonl"))) {
    fail(`no Ignition deployment "${deploymentId}" in ${dir}: run scripts/deploy.ts first`);
  }
  if (!process.env.ETHERSCAN_API_KEY) {
    console.warn(
      "warning: ETHERSCAN_API_KEY is not set: Etherscan (v2 API) verification will fail; Blockscout and Sourcify need no key",
    );
  }
  console.log(
    `verifying deployment ${deploymentId} on ${name}: Etherscan v2, Blockscout, Sourcify`,
  );
  const result = spawnSync(
    "npx",
    ["hardhat", "ignition", "verify", deploymentId, "--network", name],
    {
      stdio: ["inherit", "pipe", "pipe"],
      encoding: "utf8",
    },
  );
  process.stdout.write(result.stdout ?? "");
  process.stderr.write(result.stderr ?? "");
  if (result.error) fail(`could not run hardhat: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout}\n${result.stderr}`;
    const unreachable = /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|fetch failed|network/i.test(
      output,
    );
    fail(
      unreachable
        ? `an explorer was unreachable from this machine; nothing is lost: run the same command again from a host with internet access`
        : `hardhat ignition verify exited with ${result.status}; see its output above (already-verified contracts are fine)`,
    );
  }
  console.log("all contracts verified (or already verified)");
}

await runCli(main);
