/**
 * Governance CLI: proposals through the Safes and the timelock (scripts/lib/governance.ts).
 *
 *   npx tsx scripts/governance.ts <command> [arguments] [--network <name>] [options]
 *
 * Run `npx tsx scripts/governance.ts help` for the commands. Keys come from the environment only:
 * SIGNER_PRIVATE_KEY (an owner, for `sign`), SUBMITTER_PRIVATE_KEY (any funded account, pays gas
 * for `schedule`/`execute`/`deploy-implementation`). The RPC URL comes from the network's variable
 * (AMOY_RPC_URL, POLYGON_RPC_URL, ...) or --rpc-url. Every refusal is one line, exit code 1.
 */
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { type Address, type Hex } from "viem";
import {
  accountFromEnv,
  connect,
  fail,
  governanceAddresses,
  readDeployedAddresses,
  runCli,
  walletFromEnv,
} from "./lib/cli.js";
import {
  actionUsage,
  buildAction,
  parseActionArgs,
  type GovernanceAction,
} from "./lib/governance/actions.js";
import {
  readProposal,
  writeProposal,
  type Proposal,
  type StepName,
} from "./lib/governance/proposal-file.js";
import {
  executePendingStep,
  pendingStep,
  prepare,
  propose,
  proposalStatus,
  signProposal,
} from "./lib/governance/workflow.js";

const USAGE = `usage: npx tsx scripts/governance.ts <command> [arguments] [options]

Timelocked actions (governance Safe -> timelock; write a proposal file):
${actionUsage((route) => route === "timelock")
  .map((line) => `  propose ${line}`)
  .join("\n")}
Immediate actions (write a proposal file with one Safe transaction):
${actionUsage((route) => route !== "timelock")
  .filter((line) => !line.startsWith("guardian-"))
  .map((line) => `  ${line}`)
  .join("\n")}
  unpause, unpause-market <marketId>      the guardian's (or "propose unpause" via the timelock)
Proposal steps:
  sign <file>        add the signature of SIGNER_PRIVATE_KEY (an owner) to the pending step
  schedule <file>    execute the Safe transaction scheduling the operation (threshold signatures)
  execute <file>     timelocked: execute after the delay; immediate: run the action
  prepare <file>     rebuild the pending Safe transaction at the Safe's current nonce (re-sign)
  status <file>      print where the proposal stands
Other:
  deploy-implementation <ContractName>   deploy artifacts/**/<ContractName>.json (SUBMITTER_PRIVATE_KEY)

Options:
  --network <name>      localhost (default), amoy, polygon, polygonZkEVM, zkEVMCardona
  --rpc-url <url>       instead of the network's RPC variable
  --deployment <id>     Ignition deployment id (default chain-<chainId>)
  --out <file>          proposal file to write (default proposals/<chainId>-<action>-<time>.json)
  --salt <label|hex>    timelock salt (default: description and time)
  --delay <seconds>     timelock delay (default: the timelock's minimum)`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    network: { type: "string", default: "localhost" },
    "rpc-url": { type: "string" },
    deployment: { type: "string" },
    out: { type: "string" },
    salt: { type: "string" },
    delay: { type: "string" },
    implementation: { type: "string" },
    "init-data": { type: "string" },
    "challenge-window": { type: "string" },
    "challenge-response-window": { type: "string" },
    "withdrawal-delay": { type: "string" },
    "dispute-timeout": { type: "string" },
    "dispute-bond": { type: "string" },
  },
});

function integer(value: string | undefined, what: string): bigint {
  if (value === undefined || !/^[0-9]+$/.test(value))
    fail(`${what}: expected a non-negative integer, got ${value ?? "nothing"}`);
  return BigInt(value);
}

/** The action a `propose`/`pause`/`pause-market`/`resolve-dispute` command line names. */
function actionOf(args: string[], settlement: Address): GovernanceAction {
  const [name, ...rest] = args;
  if (name === undefined) return fail(`no action named\n${USAGE}`);
  return buildAction(name, settlement, parseActionArgs(name, rest, flagValues()));
}

/** The action flags given (`--implementation`, `--challenge-window`, ...), by flag name. */
function flagValues(): Record<string, string | undefined> {
  return values as Record<string, string | undefined>;
}

function printProposal(file: string, proposal: Proposal) {
  const step = pendingStep(proposal);
  console.log(`proposal:   ${file}`);
  console.log(`action:     ${proposal.action.description} (${proposal.action.route})`);
  if (proposal.timelock) {
    console.log(`operation:  ${proposal.timelock.id} (delay ${proposal.timelock.delay}s)`);
  }
  if (step) {
    console.log(`next step:  ${step.name} via Safe ${step.safe}, nonce ${step.safeTx.nonce}`);
    console.log(`SafeTx hash to sign: ${step.safeTxHash}`);
    console.log(`signatures: ${step.signatures.map((s) => s.signer).join(", ") || "none yet"}`);
  }
}

async function main() {
  const [command, ...args] = positionals;
  if (command === undefined || command === "help") {
    console.log(USAGE);
    return;
  }
  const conn = connect(values.network!, values["rpc-url"]);
  const chainId = await conn.client.getChainId();
  const addressesOf = () =>
    governanceAddresses(readDeployedAddresses(values.deployment ?? `chain-${chainId}`));

  if (
    command === "propose" ||
    command === "pause" ||
    command === "pause-market" ||
    command === "unpause" ||
    command === "unpause-market" ||
    command === "resolve-dispute"
  ) {
    const addresses = addressesOf();
    // Top-level unpause is the guardian's immediate one; "propose unpause" goes through the timelock.
    const immediate = command.startsWith("unpause") ? `guardian-${command}` : command;
    const action = actionOf(
      command === "propose" ? args : [immediate, ...args],
      addresses.settlement,
    );
    const proposal = await propose(conn.client, addresses, action, {
      salt: values.salt,
      delay: values.delay === undefined ? undefined : integer(values.delay, "--delay"),
    });
    const file =
      values.out ??
      path.join(
        "proposals",
        `${chainId}-${action.name}-${proposal.createdAt.replace(/[:.]/g, "-")}.json`,
      );
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await writeProposal(file, proposal);
    printProposal(file, proposal);
    console.log(`next: each owner runs "sign ${file}" with SIGNER_PRIVATE_KEY set`);
    return;
  }

  if (command === "deploy-implementation") {
    const name = args[0] ?? fail("deploy-implementation <ContractName>");
    const artifactPath = path.resolve("artifacts", "contracts", `${name}.sol`, `${name}.json`);
    const artifact = JSON.parse(
      await readFile(artifactPath, "utf8").catch(() =>
        fail(`no artifact ${artifactPath}: run "npx hardhat build" first`),
      ),
    ) as { abi: unknown[]; bytecode: Hex };
    const wallet = walletFromEnv("SUBMITTER_PRIVATE_KEY", conn);
    console.log(`deploying ${name} from ${wallet.account.address} on chain ${chainId} ...`);
    const hash = await wallet.deployContract({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args: [],
    });
    const receipt = await conn.client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success" || !receipt.contractAddress) fail(`deployment ${hash} failed`);
    console.log(`${name} implementation: ${receipt.contractAddress} (tx ${hash})`);
    console.log(`next: propose upgrade --implementation ${receipt.contractAddress}`);
    console.log(
      `verify it: npx hardhat verify --network ${values.network} ${receipt.contractAddress}`,
    );
    return;
  }

  const file = args[0] ?? fail(`${command} <proposal file>`);
  const proposal = await readProposal(file);
  switch (command) {
    case "sign": {
      const signer = accountFromEnv("SIGNER_PRIVATE_KEY");
      const { step } = await signProposal(proposal, signer, conn.client);
      await writeProposal(file, proposal);
      console.log(
        `${signer.address} signed ${step.name} (SafeTx ${step.safeTxHash}); ${step.signatures.length} signature(s)`,
      );
      return;
    }
    case "schedule":
    case "execute": {
      const step = pendingStep(proposal);
      // Immediate (guardian/arbiter) proposals have one "call" step: `execute` runs it.
      const expected: StepName | undefined =
        step?.name === "call" && command === "execute" ? "call" : command;
      const wallet = walletFromEnv("SUBMITTER_PRIVATE_KEY", conn);
      const done = await executePendingStep(conn.client, wallet, proposal, expected);
      await writeProposal(file, proposal);
      console.log(`${done.step.name} executed in ${done.transactionHash}`);
      const next = pendingStep(proposal);
      if (next) {
        console.log(
          `next: owners sign the ${next.name} step (SafeTx ${next.safeTxHash}); executable at ${(await proposalStatus(conn.client, proposal)).timelock?.readyAt}`,
        );
      }
      return;
    }
    case "prepare": {
      const step = await prepare(conn.client, proposal);
      await writeProposal(file, proposal);
      console.log(
        `${step.name} rebuilt at nonce ${step.safeTx.nonce}; new SafeTx hash ${step.safeTxHash}; signatures cleared`,
      );
      return;
    }
    case "status": {
      const status = await proposalStatus(conn.client, proposal);
      console.log(
        JSON.stringify(status, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2),
      );
      return;
    }
    default:
      fail(`unknown command "${command}"\n${USAGE}`);
  }
}

await runCli(main);
