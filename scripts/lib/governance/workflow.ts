/**
 * Governance proposals: an action on Settlement, carried out by a Safe, recorded in a JSON file
 * (`proposal-file.ts`) that travels between owners (each signs the SafeTx hash with their own
 * key) until a submitter executes it.
 *
 * Three routes, as DESIGN.md's roles say:
 * - `timelock`: the governance Safe schedules the call on the TimelockController, waits the delay,
 *   then executes it (two Safe transactions: `schedule`, then `execute`). Upgrades, parameters,
 *   tokens, markets, roles, fee recipient, unpause, market unpause.
 * - `guardian`: the guardian Safe calls Settlement at once (`pause`, `unpause`, `setMarketPaused`).
 * - `arbiter`: the governance Safe (the arbiter role) calls `resolveDispute` at once.
 *
 * Every step checks first and refuses with a `GovernanceError` whose `code` says why (threshold
 * not met, delay not passed, not scheduled, already executed, stale Safe nonce), before anything
 * is sent. No Hardhat dependency: the CLI (scripts/governance.ts) and the tests share it.
 */
import {
  getAddress,
  recoverTypedDataAddress,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import {
  buildSafeTransaction,
  executeSafeTransaction,
  readSafeState,
  safeTxHash,
  safeTxTypedData,
  signSafeTransaction,
  type SafeSignature,
  type SafeSigner,
} from "../safe.js";
import {
  encodeExecute,
  encodeSchedule,
  operationId,
  operationSalt,
  timelockOperation,
} from "../timelock.js";
import { timelockAbi } from "./contract-abis.js";
import type { GovernanceAction, Route } from "./actions.js";
import { GovernanceError, GovernanceErrorCode } from "./errors.js";
import {
  formatTime,
  type GovernanceAddresses,
  type Proposal,
  type ProposalStep,
  type StepName,
} from "./proposal-file.js";

function buildStep(
  name: StepName,
  safe: Address,
  chainId: number,
  call: { to: Address; data: Hex },
  nonce: bigint,
): ProposalStep {
  const safeTx = buildSafeTransaction(call, nonce);
  return { name, safe, safeTx, safeTxHash: safeTxHash(safe, chainId, safeTx), signatures: [] };
}

/** The Safe that carries out an action's route. */
export function safeOfRoute(route: Route, addresses: GovernanceAddresses): Address {
  return route === "guardian" ? addresses.guardianSafe : addresses.governanceSafe;
}

/**
 * A new proposal for `action` at the Safe's current nonce. Timelock route: the first step
 * schedules the operation (delay: `options.delay`, default the timelock's minimum); the execute
 * step is added once it is scheduled. `options.salt` (a label or 32-byte hex) tells apart two
 * otherwise identical operations; default: the action description and the creation time.
 */
export async function propose(
  client: PublicClient,
  addresses: GovernanceAddresses,
  action: GovernanceAction,
  options: { salt?: string; delay?: bigint; now?: Date } = {},
): Promise<Proposal> {
  const chainId = await client.getChainId();
  const createdAt = (options.now ?? new Date()).toISOString();
  const safe = safeOfRoute(action.route, addresses);
  const { nonce } = await readSafeState(client, safe);
  if (action.route !== "timelock") {
    return {
      format: "clearmatch-governance-proposal/1",
      chainId,
      createdAt,
      action,
      steps: [buildStep("call", safe, chainId, { to: action.target, data: action.data }, nonce)],
    };
  }
  const minDelay = await client.readContract({
    address: addresses.timelock,
    abi: timelockAbi,
    functionName: "getMinDelay",
  });
  const delay = options.delay ?? minDelay;
  if (delay < minDelay) {
    throw new GovernanceError(
      GovernanceErrorCode.BadProposal,
      `delay ${delay}s is below the timelock's minimum ${minDelay}s`,
    );
  }
  const salt = options.salt?.match(/^0x[0-9a-fA-F]{64}$/)
    ? (options.salt as Hex)
    : operationSalt(options.salt ?? `${action.description} @ ${createdAt}`);
  const operation = timelockOperation({ target: action.target, data: action.data }, salt);
  return {
    format: "clearmatch-governance-proposal/1",
    chainId,
    createdAt,
    action,
    timelock: { address: addresses.timelock, operation, id: operationId(operation), delay },
    steps: [
      buildStep(
        "schedule",
        safe,
        chainId,
        { to: addresses.timelock, data: encodeSchedule(operation, delay) },
        nonce,
      ),
    ],
  };
}

/** The first step not executed yet, if any. */
export function pendingStep(proposal: Proposal): ProposalStep | undefined {
  return proposal.steps.find((s) => s.executedIn === undefined);
}

function requirePendingStep(proposal: Proposal): ProposalStep {
  const step = pendingStep(proposal);
  if (step === undefined) {
    throw new GovernanceError(
      GovernanceErrorCode.AlreadyExecuted,
      `every step of this proposal is executed (${proposal.steps.map((s) => `${s.name} in ${s.executedIn}`).join(", ")})`,
    );
  }
  return step;
}

/** Checks that `signature` is `signer`'s over the step's SafeTx. */
async function checkSignature(proposal: Proposal, step: ProposalStep, signature: SafeSignature) {
  const recovered = await recoverTypedDataAddress({
    ...safeTxTypedData(step.safe, proposal.chainId, step.safeTx),
    signature: signature.data,
  });
  if (getAddress(recovered) !== getAddress(signature.signer)) {
    throw new GovernanceError(
      GovernanceErrorCode.BadSignature,
      `signature of ${signature.signer} recovers to ${recovered}: it signed something else`,
    );
  }
}

/**
 * Adds `signer`'s signature to the pending step (replacing an earlier one of the same signer).
 * With `client`, also refuses a signer that is not an owner of the Safe.
 */
export async function signProposal(
  proposal: Proposal,
  signer: SafeSigner,
  client?: PublicClient,
): Promise<{ proposal: Proposal; step: ProposalStep; signature: SafeSignature }> {
  const step = requirePendingStep(proposal);
  if (client !== undefined) {
    const { owners } = await readSafeState(client, step.safe);
    if (!owners.some((o) => getAddress(o) === getAddress(signer.address))) {
      throw new GovernanceError(
        GovernanceErrorCode.BadSignature,
        `${signer.address} is not an owner of Safe ${step.safe}`,
      );
    }
  }
  const signature = await signSafeTransaction(signer, step.safe, proposal.chainId, step.safeTx);
  await checkSignature(proposal, step, signature);
  step.signatures = [
    ...step.signatures.filter((s) => getAddress(s.signer) !== signature.signer),
    signature,
  ];
  return { proposal, step, signature };
}

/** The timelock's view of the proposal's operation. */
export async function operationState(client: PublicClient, proposal: Proposal) {
  if (proposal.timelock === undefined) return undefined;
  const timestamp = await client.readContract({
    address: proposal.timelock.address,
    abi: timelockAbi,
    functionName: "getTimestamp",
    args: [proposal.timelock.id],
  });
  const { timestamp: now } = await client.getBlock({ blockTag: "latest" });
  // TimelockController: 0 = unset, 1 = done, else the earliest execution time.
  const state =
    timestamp === 0n ? "unset" : timestamp === 1n ? "done" : timestamp <= now ? "ready" : "waiting";
  return { state, readyAt: timestamp > 1n ? timestamp : undefined, now } as const;
}

/** Refuses unless the step can run now: nonce, signatures, threshold, timelock state. */
export async function checkStep(client: PublicClient, proposal: Proposal, step: ProposalStep) {
  const chainId = await client.getChainId();
  if (chainId !== proposal.chainId) {
    throw new GovernanceError(
      GovernanceErrorCode.BadProposal,
      `proposal is for chain ${proposal.chainId}, connected to chain ${chainId}`,
    );
  }
  const op = await operationState(client, proposal);
  if (op !== undefined && step.name === "schedule" && op.state !== "unset") {
    throw new GovernanceError(
      op.state === "done"
        ? GovernanceErrorCode.AlreadyExecuted
        : GovernanceErrorCode.AlreadyScheduled,
      op.state === "done"
        ? `operation ${proposal.timelock!.id} is already executed`
        : `operation ${proposal.timelock!.id} is already scheduled (ready at ${formatTime(op.readyAt!)})`,
    );
  }
  if (op !== undefined && step.name === "execute") {
    if (op.state === "unset") {
      throw new GovernanceError(
        GovernanceErrorCode.NotScheduled,
        `operation ${proposal.timelock!.id} is not scheduled (never scheduled, or cancelled)`,
      );
    }
    if (op.state === "done") {
      throw new GovernanceError(
        GovernanceErrorCode.AlreadyExecuted,
        `operation ${proposal.timelock!.id} is already executed`,
      );
    }
    if (op.state === "waiting") {
      throw new GovernanceError(
        GovernanceErrorCode.DelayNotPassed,
        `timelock delay not passed: executable at ${formatTime(op.readyAt!)}, in ${op.readyAt! - op.now}s`,
      );
    }
  }
  const { owners, threshold, nonce } = await readSafeState(client, step.safe);
  if (step.safeTx.nonce < nonce) {
    throw new GovernanceError(
      GovernanceErrorCode.StaleNonce,
      `Safe ${step.safe} is at nonce ${nonce}, this transaction used nonce ${step.safeTx.nonce}: it ran already or was replaced; run "prepare" and sign again`,
    );
  }
  if (step.safeTx.nonce > nonce) {
    throw new GovernanceError(
      GovernanceErrorCode.StaleNonce,
      `Safe ${step.safe} is at nonce ${nonce}, this transaction needs nonce ${step.safeTx.nonce}: earlier Safe transactions must run first`,
    );
  }
  const ownerSet = new Set(owners.map((o) => getAddress(o)));
  let valid = 0;
  for (const signature of step.signatures) {
    await checkSignature(proposal, step, signature);
    if (!ownerSet.has(getAddress(signature.signer))) {
      throw new GovernanceError(
        GovernanceErrorCode.BadSignature,
        `${signature.signer} is not an owner of Safe ${step.safe}`,
      );
    }
    valid++;
  }
  if (BigInt(valid) < threshold) {
    throw new GovernanceError(
      GovernanceErrorCode.ThresholdNotMet,
      `threshold not met: ${valid} of ${threshold} owner signatures on ${step.name} (SafeTx ${step.safeTxHash})`,
    );
  }
}

/**
 * Executes the pending step after `checkStep`. After a `schedule` step, adds the `execute` step at
 * the Safe's next nonce so owners can sign it while the delay runs.
 */
export async function executePendingStep(
  client: PublicClient,
  submitter: WalletClient<Transport, Chain | undefined, Account>,
  proposal: Proposal,
  expected?: StepName,
): Promise<{ proposal: Proposal; step: ProposalStep; transactionHash: Hex }> {
  const step = requirePendingStep(proposal);
  if (expected !== undefined && step.name !== expected) {
    throw new GovernanceError(
      step.name === "schedule"
        ? GovernanceErrorCode.NotScheduled
        : GovernanceErrorCode.AlreadyScheduled,
      `the pending step is "${step.name}", not "${expected}"`,
    );
  }
  await checkStep(client, proposal, step);
  const receipt = await executeSafeTransaction(
    client,
    submitter,
    step.safe,
    step.safeTx,
    step.signatures,
  );
  step.executedIn = receipt.transactionHash;
  if (step.name === "schedule") await prepareExecuteStep(client, proposal);
  return { proposal, step, transactionHash: receipt.transactionHash };
}

function addExecuteStep(proposal: Proposal, safe: Address, nonce: bigint) {
  const { timelock } = proposal;
  proposal.steps.push(
    buildStep(
      "execute",
      safe,
      proposal.chainId,
      { to: timelock!.address, data: encodeExecute(timelock!.operation) },
      nonce,
    ),
  );
}

async function prepareExecuteStep(client: PublicClient, proposal: Proposal) {
  const safe = proposal.steps[0]!.safe;
  const { nonce } = await readSafeState(client, safe);
  addExecuteStep(proposal, safe, nonce);
}

/**
 * Rebuilds the pending step at the Safe's current nonce (dropping its signatures): after another
 * Safe transaction used the nonce it was signed for.
 */
export async function prepare(client: PublicClient, proposal: Proposal): Promise<ProposalStep> {
  const step = requirePendingStep(proposal);
  const { nonce } = await readSafeState(client, step.safe);
  const rebuilt = buildStep(
    step.name,
    step.safe,
    proposal.chainId,
    { to: step.safeTx.to, data: step.safeTx.data },
    nonce,
  );
  proposal.steps[proposal.steps.indexOf(step)] = rebuilt;
  return rebuilt;
}

/** A printable summary of where the proposal stands. */
export async function proposalStatus(client: PublicClient, proposal: Proposal) {
  const step = pendingStep(proposal);
  const safe = step ? await readSafeState(client, step.safe) : undefined;
  const op = await operationState(client, proposal);
  return {
    action: proposal.action.description,
    route: proposal.action.route,
    timelock: proposal.timelock &&
      op && {
        id: proposal.timelock.id,
        state: op.state,
        readyAt: op.readyAt === undefined ? undefined : formatTime(op.readyAt),
      },
    steps: proposal.steps.map((s) => ({
      name: s.name,
      safeTxHash: s.safeTxHash,
      nonce: s.safeTx.nonce,
      signatures: s.signatures.map((x) => x.signer),
      executedIn: s.executedIn,
    })),
    pending: step && {
      name: step.name,
      signatures: step.signatures.length,
      threshold: safe!.threshold,
      safeNonce: safe!.nonce,
    },
  };
}
