/**
 * Governance proposals: an action on Settlement, carried out by a Safe, recorded in a JSON file
 * that travels between owners (each signs the SafeTx hash with their own key) until a submitter
 * executes it.
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
 * is sent. No Hardhat dependency: the CLIs (scripts/governance.ts) and the tests share it.
 */
import { readFile, writeFile } from "node:fs/promises";
import {
  encodeFunctionData,
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
import { settlementAbi } from "@clearmatch/protocol";
import {
  buildSafeTransaction,
  executeSafeTransaction,
  readSafeState,
  safeTxHash,
  safeTxTypedData,
  signSafeTransaction,
  type SafeSignature,
  type SafeSigner,
  type SafeTransaction,
} from "./safe.js";
import {
  encodeExecute,
  encodeSchedule,
  operationId,
  operationSalt,
  timelockAbi,
  timelockOperation,
  type TimelockOperation,
} from "./timelock.js";

// ---------------------------------------------------------------- errors

export const GovernanceErrorCode = {
  /** Fewer valid owner signatures than the Safe's threshold. */
  ThresholdNotMet: "THRESHOLD_NOT_MET",
  /** The timelock operation is scheduled but its delay has not passed. */
  DelayNotPassed: "DELAY_NOT_PASSED",
  /** The timelock does not know the operation (never scheduled, or cancelled). */
  NotScheduled: "NOT_SCHEDULED",
  /** The timelock operation is already scheduled (schedule step) . */
  AlreadyScheduled: "ALREADY_SCHEDULED",
  /** The timelock operation, or this Safe transaction, already ran. */
  AlreadyExecuted: "ALREADY_EXECUTED",
  /** The Safe's nonce moved past the transaction's: rebuild it (`prepare`) and sign again. */
  StaleNonce: "STALE_NONCE",
  /** A signer is not an owner of the Safe, or a signature does not recover to its signer. */
  BadSignature: "BAD_SIGNATURE",
  /** The proposal file is for another chain or malformed. */
  BadProposal: "BAD_PROPOSAL",
} as const;
export type GovernanceErrorCode = (typeof GovernanceErrorCode)[keyof typeof GovernanceErrorCode];

export class GovernanceError extends Error {
  constructor(
    readonly code: GovernanceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "GovernanceError";
  }
}

// ---------------------------------------------------------------- actions

/** Which Safe carries out an action, and how. */
export type Route = "timelock" | "guardian" | "arbiter";

/** One call on Settlement, with a human description. */
export interface GovernanceAction {
  route: Route;
  /** Stable action name (`setParameters`, `pause`, ...). */
  name: string;
  /** What it does, in words (printed, stored in the proposal). */
  description: string;
  target: Address;
  data: Hex;
}

/** UUPS `upgradeToAndCall` (not part of ISettlement: it comes from OpenZeppelin's UUPSUpgradeable). */
export const upgradeAbi = [
  {
    type: "function",
    name: "upgradeToAndCall",
    stateMutability: "payable",
    inputs: [
      { name: "newImplementation", type: "address" },
      { name: "data", type: "bytes" },
    ],
    outputs: [],
  },
] as const;

export interface SettlementParameters {
  /** Seconds between commit and finalize. */
  challengeWindow: bigint;
  /** Seconds the sequencer has to answer a challenge. */
  challengeResponseWindow: bigint;
  /** Seconds between a withdrawal request and its execution (> the two windows above). */
  withdrawalDelay: bigint;
  /** Seconds the arbiter has to decide a dispute. */
  disputeTimeout: bigint;
  /** Dispute bond, wei. */
  disputeBond: bigint;
}

function call<const F extends string>(
  route: Route,
  name: F,
  description: string,
  settlement: Address,
  data: Hex,
): GovernanceAction {
  return { route, name, description, target: getAddress(settlement), data };
}

/** Builders of every action operators run; `settlement` is the proxy address. */
export const actions = {
  upgrade(settlement: Address, implementation: Address, initData: Hex = "0x") {
    return call(
      "timelock",
      "upgrade",
      `upgrade Settlement to ${implementation}${initData === "0x" ? "" : ` calling ${initData.slice(0, 10)}`}`,
      settlement,
      encodeFunctionData({
        abi: upgradeAbi,
        functionName: "upgradeToAndCall",
        args: [implementation, initData],
      }),
    );
  },
  setParameters(settlement: Address, p: SettlementParameters) {
    return call(
      "timelock",
      "setParameters",
      `set parameters: challengeWindow ${p.challengeWindow}s, challengeResponseWindow ${p.challengeResponseWindow}s, withdrawalDelay ${p.withdrawalDelay}s, disputeTimeout ${p.disputeTimeout}s, disputeBond ${p.disputeBond} wei`,
      settlement,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "setParameters",
        args: [
          p.challengeWindow,
          p.challengeResponseWindow,
          p.withdrawalDelay,
          p.disputeTimeout,
          p.disputeBond,
        ],
      }),
    );
  },
  setTokenAllowed(settlement: Address, token: Address, allowed: boolean) {
    return call(
      "timelock",
      "setTokenAllowed",
      `${allowed ? "allow" : "disallow"} token ${token}`,
      settlement,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "setTokenAllowed",
        args: [token, allowed],
      }),
    );
  },
  registerMarket(
    settlement: Address,
    m: {
      marketId: number;
      baseToken: Address;
      quoteToken: Address;
      tickSize: bigint;
      lotSize: bigint;
    },
  ) {
    return call(
      "timelock",
      "registerMarket",
      `register market ${m.marketId}: base ${m.baseToken}, quote ${m.quoteToken}, tickSize ${m.tickSize}, lotSize ${m.lotSize}`,
      settlement,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "registerMarket",
        args: [m.marketId, m.baseToken, m.quoteToken, m.tickSize, m.lotSize],
      }),
    );
  },
  setRoles(settlement: Address, r: { sequencer: Address; arbiter: Address; guardian: Address }) {
    return call(
      "timelock",
      "setRoles",
      `set roles: sequencer ${r.sequencer}, arbiter ${r.arbiter}, guardian ${r.guardian}`,
      settlement,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "setRoles",
        args: [r.sequencer, r.arbiter, r.guardian],
      }),
    );
  },
  setFeeRecipient(settlement: Address, feeRecipient: Address) {
    return call(
      "timelock",
      "setFeeRecipient",
      `set fee recipient ${feeRecipient}`,
      settlement,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "setFeeRecipient",
        args: [feeRecipient],
      }),
    );
  },
  unpause(settlement: Address) {
    return call(
      "timelock",
      "unpause",
      "unpause Settlement",
      settlement,
      encodeFunctionData({ abi: settlementAbi, functionName: "unpause" }),
    );
  },
  unpauseMarket(settlement: Address, marketId: number) {
    return call(
      "timelock",
      "unpauseMarket",
      `unpause market ${marketId}`,
      settlement,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "setMarketPaused",
        args: [marketId, false],
      }),
    );
  },
  /** The guardian pauses, or unpauses (`paused` false), at once: neither moves a balance. */
  pause(settlement: Address, paused = true) {
    const verb = paused ? "pause" : "unpause";
    return call(
      "guardian",
      verb,
      `${verb} Settlement (guardian, immediate)`,
      settlement,
      encodeFunctionData({ abi: settlementAbi, functionName: verb }),
    );
  },
  pauseMarket(settlement: Address, marketId: number, paused = true) {
    const verb = paused ? "pause" : "unpause";
    return call(
      "guardian",
      `${verb}Market`,
      `${verb} market ${marketId} (guardian, immediate)`,
      settlement,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "setMarketPaused",
        args: [marketId, paused],
      }),
    );
  },
  resolveDispute(settlement: Address, disputeId: bigint, uphold: boolean) {
    return call(
      "arbiter",
      "resolveDispute",
      `${uphold ? "uphold" : "dismiss"} dispute ${disputeId} (arbiter, immediate)`,
      settlement,
      encodeFunctionData({
        abi: settlementAbi,
        functionName: "resolveDispute",
        args: [disputeId, uphold],
      }),
    );
  },
} as const;

// ---------------------------------------------------------------- proposals

/** The deployed contracts governance talks to. */
export interface GovernanceAddresses {
  settlement: Address;
  timelock: Address;
  governanceSafe: Address;
  guardianSafe: Address;
}

export type StepName = "schedule" | "execute" | "call";

/** One Safe transaction of a proposal and the owner signatures collected for it. */
export interface ProposalStep {
  name: StepName;
  safe: Address;
  safeTx: SafeTransaction;
  /** EIP-712 SafeTx hash: what owners sign (check it on the hardware wallet's screen). */
  safeTxHash: Hex;
  signatures: SafeSignature[];
  /** Transaction hash of `execTransaction`, once executed. */
  executedIn?: Hex;
}

export interface Proposal {
  format: "clearmatch-governance-proposal/1";
  chainId: number;
  createdAt: string;
  action: GovernanceAction;
  /** Timelock route only: the operation, its id (`hashOperation`) and the delay asked for. */
  timelock?: { address: Address; operation: TimelockOperation; id: Hex; delay: bigint };
  steps: ProposalStep[];
}

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

export function formatTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

// ---------------------------------------------------------------- files

/** JSON with bigints as decimal strings ending in "n" (Ignition's convention). */
export function serializeProposal(proposal: Proposal): string {
  return `${JSON.stringify(proposal, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v), 2)}\n`;
}

export function parseProposal(text: string): Proposal {
  const proposal = JSON.parse(text, (_k, v: unknown) =>
    typeof v === "string" && /^[0-9]+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
  ) as Proposal;
  if (proposal.format !== "clearmatch-governance-proposal/1" || !Array.isArray(proposal.steps)) {
    throw new GovernanceError(
      GovernanceErrorCode.BadProposal,
      "not a Clearmatch governance proposal file",
    );
  }
  // The stored hashes must be those of the stored transactions: a hand-edited file is refused.
  for (const step of proposal.steps) {
    if (safeTxHash(step.safe, proposal.chainId, step.safeTx) !== step.safeTxHash) {
      throw new GovernanceError(
        GovernanceErrorCode.BadProposal,
        `step ${step.name}: safeTxHash does not match its transaction (file edited?)`,
      );
    }
  }
  // ... and they must carry the action the file describes (what signers read).
  const { action } = proposal;
  const carried = proposal.timelock
    ? { to: proposal.timelock.operation.target, data: proposal.timelock.operation.data }
    : proposal.steps[0] && { to: proposal.steps[0].safeTx.to, data: proposal.steps[0].safeTx.data };
  if (
    carried === undefined ||
    getAddress(carried.to) !== getAddress(action.target) ||
    carried.data !== action.data
  ) {
    throw new GovernanceError(
      GovernanceErrorCode.BadProposal,
      "the transactions do not carry the described action (file edited?)",
    );
  }
  for (const step of proposal.timelock ? proposal.steps : []) {
    const { address, operation, delay } = proposal.timelock!;
    const expected =
      step.name === "schedule" ? encodeSchedule(operation, delay) : encodeExecute(operation);
    if (getAddress(step.safeTx.to) !== getAddress(address) || step.safeTx.data !== expected) {
      throw new GovernanceError(
        GovernanceErrorCode.BadProposal,
        `step ${step.name} is not the timelock's ${step.name} of the operation (file edited?)`,
      );
    }
  }
  if (proposal.timelock && operationId(proposal.timelock.operation) !== proposal.timelock.id) {
    throw new GovernanceError(
      GovernanceErrorCode.BadProposal,
      "timelock id does not match the operation",
    );
  }
  return proposal;
}

export async function readProposal(path: string): Promise<Proposal> {
  return parseProposal(await readFile(path, "utf8"));
}

export async function writeProposal(path: string, proposal: Proposal): Promise<void> {
  await writeFile(path, serializeProposal(proposal));
}
