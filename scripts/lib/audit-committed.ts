/**
 * The demo's final audit (DESIGN.md, "Watchers"): every committed or finalized fill the sequencer
 * serves, judged by the contract's own fraud rules (`protocol/src/fraud-rules.ts`)
 * under the commit context rebuilt from chain data (`protocol/src/commit-context.ts`), plus the
 * conflicting-fills rule across all of them. An honest run prints "0 provable of N committed".
 *
 * Sources: the sequencer API for the fills (`GET /v1/accounts/:a/fills` to enumerate them, as the
 * API has no per-batch fill list; `GET /v1/fills/:id/proof` for each leaf, proof and both signed
 * orders; `GET /v1/batches` to check coverage), the chain for everything judged (batch root,
 * commit time and block, cancels, nonce floors, market config and pause history). Accounts default
 * to every account that ever deposited (`Deposited` logs): no one trades without a deposit.
 *
 * Counting: a fill in a finalized batch can no longer be proven (proofs need a pending batch), but
 * was provable while its batch was pending, so it counts: the claim is that the sequencer never
 * committed a provable fill. `stillProvable` says whether a proof would succeed now.
 */
import {
  type FillProofView,
  type FillView,
  settlementAbi,
  type Order,
  type CommitContext,
  processProof,
} from "@clearmatch/protocol";
import { getAddress, type Address, type Hex, type PublicClient } from "viem";
import { ClearmatchClient } from "@clearmatch/sdk";
import { CommitContextReader } from "@clearmatch/protocol";
import {
  auditFill,
  findConflicts,
  type FillFaultKind,
  type FillSideName,
} from "../../sequencer/src/settlement/audit-batch.js";

export interface AuditCommittedOptions {
  readonly publicClient: PublicClient;
  /** The settlement proxy. */
  readonly settlement: Address;
  /** The sequencer API's root URL (as `ClearmatchClient`'s `baseUrl`). */
  readonly apiBaseUrl: string;
  /** Accounts whose fills to audit. Default: every account with a `Deposited` log. */
  readonly accounts?: readonly Address[];
  /** First block of the log reads (deposits, market pauses). Default 0. */
  readonly fromBlock?: bigint;
  /** Requests in flight at once. Default 8. */
  readonly concurrency?: number;
  /** `fetch` for the API. Default: the global one. */
  readonly fetch?: typeof globalThis.fetch;
}

/** One provable fault of a committed fill. */
export interface ProvableFinding {
  readonly fillId: string;
  readonly batchId: bigint;
  /** A FraudKind name (`proveFillFraud`), or "ConflictingFills" (`proveConflictingFills`). */
  readonly kind: FillFaultKind | "ConflictingFills";
  readonly side: FillSideName;
  readonly orderHash: Hex;
  /** For "ConflictingFills": the other fill claiming the same part of the order. */
  readonly conflictsWith?: string;
  /** Whether the batch a proof would roll back is still pending on-chain (a proof works now). */
  readonly stillProvable: boolean;
}

/** A committed fill the audit could not judge or that fails a non-rule check. */
export interface AuditProblem {
  readonly fillId: string;
  readonly batchId?: bigint;
  /**
   * A `verifyFillProof` failure reason (bad leaf, proof, order hash or signature), or:
   * ONCHAIN_ROOT_MISMATCH (the leaf is not under the root committed on-chain), BATCH_NOT_ON_CHAIN,
   * INDEX_BEYOND_FILL_COUNT (unprovable leaf: see audit-batch.ts), ORDER_UNKNOWN /
   * ORDER_HASH_MISMATCH (a challenge would succeed), NO_PROOF (the API served none).
   */
  readonly reason: string;
  readonly message: string;
}

/** A batch whose audited fills do not add up to its on-chain fill count. */
export interface CoverageGap {
  readonly batchId: bigint;
  readonly fillCount: number;
  readonly audited: number;
}

export interface CommittedAudit {
  /** Committed or finalized fills audited. */
  readonly committed: number;
  /** Every provable fault (empty in an honest run). */
  readonly provable: ProvableFinding[];
  /** Fills that fail a check other than the fraud rules, or could not be judged. */
  readonly problems: AuditProblem[];
  /** Committed or finalized batches of the API not fully covered by the audited fills. */
  readonly coverage: CoverageGap[];
}

const PENDING = 1;

/** Audits every committed or finalized fill (see the module comment). */
export async function auditCommitted(options: AuditCommittedOptions): Promise<CommittedAudit> {
  const { publicClient, settlement } = options;
  const fromBlock = options.fromBlock ?? 0n;
  const concurrency = options.concurrency ?? 8;
  const api = new ClearmatchClient({
    baseUrl: options.apiBaseUrl,
    chainId: await publicClient.getChainId(),
    settlement,
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  });
  const reader = new CommitContextReader(publicClient, settlement, {
    pauseLogsFromBlock: fromBlock,
  });

  // 1. The fills: every committed or finalized fill of every account, once.
  const accounts = options.accounts ?? (await depositors(publicClient, settlement, fromBlock));
  const fills = new Map<string, FillView>();
  await pool(accounts, concurrency, async (account) => {
    for await (const f of api.allAccountFills(account, { limit: 1000 })) {
      if ((f.status === "committed" || f.status === "finalized") && f.batchId !== undefined)
        fills.set(f.fillId, f);
    }
  });

  // 2. Each fill's proof, checked off-chain (hashes, proof, signatures) and against the chain root.
  const problems: AuditProblem[] = [];
  const proofs: FillProofView[] = [];
  await pool([...fills.values()], concurrency, async (f) => {
    let proof: FillProofView;
    try {
      proof = await api.getFillProof(f.fillId);
    } catch (error) {
      problems.push({ fillId: f.fillId, reason: "NO_PROOF", message: String(error) });
      return;
    }
    const verdict = await api.verifyFillProof(proof, { onChain: false });
    if (!verdict.valid) {
      problems.push({
        fillId: f.fillId,
        batchId: f.batchId!,
        reason: verdict.reason,
        message: verdict.message,
      });
      return;
    }
    const onChain = await reader.batch(proof.leaf.batchId);
    if (onChain.status === 0) {
      problems.push({
        fillId: f.fillId,
        batchId: proof.leaf.batchId,
        reason: "BATCH_NOT_ON_CHAIN",
        message: `batch ${proof.leaf.batchId} is not committed on-chain`,
      });
      return;
    }
    if (processProof(proof.leafHash, proof.proof) !== onChain.fillsRoot.toLowerCase()) {
      problems.push({
        fillId: f.fillId,
        batchId: proof.leaf.batchId,
        reason: "ONCHAIN_ROOT_MISMATCH",
        message: `fill ${f.fillId} is not under batch ${proof.leaf.batchId}'s on-chain root`,
      });
      return;
    }
    if (proof.leaf.index >= onChain.fillCount) {
      problems.push({
        fillId: f.fillId,
        batchId: proof.leaf.batchId,
        reason: "INDEX_BEYOND_FILL_COUNT",
        message: `index ${proof.leaf.index} >= on-chain fill count ${onChain.fillCount}`,
      });
    }
    proofs.push(proof);
  });

  // Batch order (the pool finishes in any order): deterministic findings.
  proofs.sort((a, b) =>
    a.leaf.batchId !== b.leaf.batchId
      ? a.leaf.batchId < b.leaf.batchId
        ? -1
        : 1
      : a.leaf.index - b.leaf.index,
  );
  problems.sort((a, b) => compareFillIds(a.fillId, b.fillId));

  // 3. The commit context of every (fill, side), from the chain; cached per order and commit.
  const contexts = new Map<string, Promise<CommitContext>>();
  const contextKey = (batchId: bigint, orderHash: Hex) => `${batchId}:${orderHash.toLowerCase()}`;
  await pool(proofs, concurrency, async (p) => {
    for (const signed of [p.makerOrder, p.takerOrder]) {
      const key = contextKey(p.leaf.batchId, signed.orderHash);
      if (!contexts.has(key))
        contexts.set(key, reader.contextFor(p.leaf, signed.order, signed.orderHash));
      await contexts.get(key);
    }
  });
  const resolved = new Map<string, CommitContext>();
  for (const [key, ctx] of contexts) resolved.set(key, await ctx);

  // 4. The rules: each side of each fill, then conflicts across all of them.
  const pendingNow = async (batchId: bigint) => (await reader.batch(batchId)).status === PENDING;
  const provable: ProvableFinding[] = [];
  const fillIdAt = new Map<string, string>();
  for (const p of proofs) {
    fillIdAt.set(`${p.leaf.batchId}:${p.leaf.index}`, p.fillId);
    const orders = new Map<string, Order>([
      [p.makerOrder.orderHash.toLowerCase(), p.makerOrder.order],
      [p.takerOrder.orderHash.toLowerCase(), p.takerOrder.order],
    ]);
    const faults = auditFill(p.leaf, 0, orders, (fill, _order, orderHash) => {
      const ctx = resolved.get(contextKey(fill.batchId, orderHash));
      if (ctx === undefined) throw new Error(`no context for ${orderHash} in ${fill.batchId}`);
      return ctx;
    });
    for (const fault of faults) {
      if (!fault.provable) {
        problems.push({
          fillId: p.fillId,
          batchId: p.leaf.batchId,
          reason: fault.kind,
          message: `${fault.side} order ${fault.orderHash} cannot be shown`,
        });
        continue;
      }
      provable.push({
        fillId: p.fillId,
        batchId: p.leaf.batchId,
        kind: fault.kind,
        side: fault.side,
        orderHash: fault.orderHash,
        stillProvable: await pendingNow(p.leaf.batchId),
      });
    }
  }
  for (const c of findConflicts(proofs.map((p) => p.leaf))) {
    const later = c.a.batchId === c.laterBatchId ? c.a : c.b;
    const earlier = later === c.a ? c.b : c.a;
    provable.push({
      fillId: fillIdAt.get(`${later.batchId}:${later.index}`) ?? `${later.batchId}:${later.index}`,
      batchId: c.laterBatchId,
      kind: "ConflictingFills",
      side: later.side,
      orderHash: c.orderHash,
      conflictsWith:
        fillIdAt.get(`${earlier.batchId}:${earlier.index}`) ??
        `${earlier.batchId}:${earlier.index}`,
      stillProvable: await pendingNow(c.laterBatchId),
    });
  }

  // 5. Coverage: every committed or finalized batch the API lists is fully audited.
  const audited = new Map<bigint, number>();
  for (const p of proofs) audited.set(p.leaf.batchId, (audited.get(p.leaf.batchId) ?? 0) + 1);
  const coverage: CoverageGap[] = [];
  for (const b of await allBatches(api)) {
    if (b.status !== "committed" && b.status !== "finalized") continue;
    const onChain = await reader.batch(b.batchId);
    const n = audited.get(b.batchId) ?? 0;
    if (n !== onChain.fillCount || n !== b.fillCount)
      coverage.push({ batchId: b.batchId, fillCount: onChain.fillCount, audited: n });
  }

  return { committed: fills.size, provable, problems, coverage };
}

/** Numeric fill ids in numeric order, others after them as strings. */
function compareFillIds(a: string, b: string): number {
  const numeric = /^[0-9]+$/;
  if (numeric.test(a) && numeric.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every account with a `Deposited` log, checksummed. */
async function depositors(
  client: PublicClient,
  settlement: Address,
  fromBlock: bigint,
): Promise<Address[]> {
  const logs = await client.getContractEvents({
    address: settlement,
    abi: settlementAbi,
    eventName: "Deposited",
    fromBlock,
    strict: true,
  });
  return [...new Set(logs.map((l) => getAddress(l.args.account)))];
}

/** Every batch the API lists, newest first, paging with `before`. */
export async function allBatches(api: ClearmatchClient) {
  const out: Awaited<ReturnType<ClearmatchClient["getBatches"]>> = [];
  let before: bigint | undefined;
  for (;;) {
    const page = await api.getBatches({
      limit: 1000,
      ...(before !== undefined ? { before } : {}),
    });
    if (page.length === 0) return out;
    out.push(...page);
    before = page[page.length - 1]!.batchId;
    if (before === 0n) return out;
  }
}

/** Runs `work` over `items`, at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
