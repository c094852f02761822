/**
 * A governance proposal as the JSON file that travels between owners: its format, and the checks
 * that refuse a file whose transactions do not carry the action it describes (a hand-edited file).
 */
import { readFile, writeFile } from "node:fs/promises";
import { getAddress, type Address, type Hex } from "viem";
import { safeTxHash, type SafeSignature, type SafeTransaction } from "../safe.js";
import { encodeExecute, encodeSchedule, operationId, type TimelockOperation } from "../timelock.js";
import type { GovernanceAction } from "./actions.js";
import { GovernanceError, GovernanceErrorCode } from "./errors.js";

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

export function formatTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}
