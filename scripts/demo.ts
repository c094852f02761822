/**
 * `npm run demo [-- --short] [-- --seconds N] [-- --json FILE]`: simulated traders against the
 * embedded stack (`npm start`'s default: hardhat node, Ignition-deployed contracts, Redis, the
 * sequencer). Market makers quote both sides of every market with short-lived post-only orders;
 * takers cross the spread with immediate-or-cancel orders. All orders are signed by the traders'
 * keys through the client SDK and sent over HTTP.
 *
 * Live progress every second (orders/s, fills, batches committed and finalized). After the trading
 * phase every batch is committed; the demo then moves the development chain's clock past the
 * challenge window (a dev-chain shortcut, said in the output) and waits for every batch to
 * finalize. The summary gives orders, fills, batches, gas per fill, time from match to finality,
 * and a reconciliation: every trader's (and the fee recipient's) on-chain vault balance must equal
 * the sequencer's finalized view, and the vault must hold at least the sum of balances. Any
 * mismatch exits non-zero.
 */
import { LIST_LIMIT, type MarketView, settlementAbi } from "@clearmatch/protocol";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createPublicClient, getAddress, http, parseAbi, type PublicClient } from "viem";
import { ClearmatchClient } from "@clearmatch/sdk";
import { rpc } from "./lib/devchain/hardhat-node.js";
import { readParametersFile } from "../ignition/lib/plan.js";
import { LOCAL_PARAMETERS_FILE } from "./lib/embedded-stack.js";
import { StartError, startEmbedded, type EmbeddedRun } from "./lib/embedded-run.js";
import { allBatches, auditCommitted } from "./lib/audit-committed.js";
import { MAKERS, percentile, trade, watchtowerStats, type Counters } from "./lib/demo-traders.js";

const args = process.argv.slice(2);
const SHORT = args.includes("--short");
const argValue = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const SECONDS = Number(argValue("--seconds") ?? (SHORT ? 8 : 30));
const JSON_OUT = argValue("--json");

const erc20 = parseAbi(["function balanceOf(address) view returns (uint256)"]);

/** Every batch the sequencer lists (all pages). */
async function batches(run: EmbeddedRun) {
  const client = new ClearmatchClient({
    baseUrl: run.apiUrl,
    chainId: run.stack.chainId,
    settlement: run.stack.addresses.settlement!,
  });
  return allBatches(client);
}

async function main() {
  const started = Date.now();
  const log = (m: string) => process.stdout.write(`[demo] ${m}\n`);
  const logDir = path.resolve(process.env.DATA_DIR ?? "data");
  await mkdir(logDir, { recursive: true });
  const run = await startEmbedded({
    log,
    sequencerOutput: path.join(logDir, `demo-sequencer-${started}.log`),
    env: { BATCH_MAX_MS: "500", LOG_LEVEL: process.env.LOG_LEVEL ?? "info" },
  });
  let exitCode = 1;
  try {
    const publicClient = createPublicClient({ transport: http(run.node.url) }) as PublicClient;
    const reader = new ClearmatchClient({
      baseUrl: run.apiUrl,
      chainId: run.stack.chainId,
      settlement: run.stack.addresses.settlement!,
    });
    // The sequencer learns the markets from the chain's MarketRegistered events.
    let markets: MarketView[] = [];
    for (let i = 0; i < 120 && markets.length === 0; i++) {
      markets = [...(await reader.getMarkets())];
      if (markets.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    if (markets.length === 0) throw new Error("the sequencer saw no market on-chain");
    log(
      `${markets.length} markets, ${run.stack.traders.length} traders (${MAKERS} makers), trading for ${SECONDS} s`,
    );

    const counters: Counters = { orders: 0, rejected: 0, rejectCodes: {}, fills: 0 };
    const tradeStart = Date.now();
    let last = 0;
    const progress = setInterval(() => {
      void batches(run).then(
        (b) => {
          const secs = (Date.now() - tradeStart) / 1000;
          const rate = (counters.orders - last) / 1;
          last = counters.orders;
          log(
            `t=${secs.toFixed(0)}s orders ${counters.orders} (${rate.toFixed(0)}/s, ${counters.rejected} refused) ` +
              `fills ${counters.fills} batches committed ${b.filter((x) => x.status !== "open").length} ` +
              `finalized ${b.filter((x) => x.status === "finalized").length}`,
          );
        },
        () => {},
      );
    }, 1000);
    await trade(run, markets, counters, SECONDS);
    clearInterval(progress);

    log("trading stopped; waiting for every fill to be committed");
    const waitFor = async (what: string, check: () => Promise<boolean>, ms = 120_000) => {
      const deadline = Date.now() + ms;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const accounts = [
      ...run.stack.traders.map((t) => t.address),
      getAddress(
        (readParametersFile(LOCAL_PARAMETERS_FILE).Settlement as { feeRecipient: string })
          .feeRecipient,
      ),
    ];
    const allFills = async () =>
      (
        await Promise.all(
          run.stack.traders.map(async (t) => {
            const fills = [];
            for await (const f of reader.allAccountFills(t.address, { limit: LIST_LIMIT.max })) {
              fills.push(f);
            }
            return fills;
          }),
        )
      ).flat();
    await waitFor("commits", async () =>
      (await allFills()).every((f) => f.status !== "matched" && f.status !== "batched"),
    );

    const parameters = await publicClient.readContract({
      address: run.stack.addresses.settlement!,
      abi: settlementAbi,
      functionName: "parameters",
    });
    const challengeWindow = Number(parameters[0]);
    // The watchtower checks the last commits before the clock jumps (its lag is chain time).
    await watchtowerStats(run.watchtowerDir, await publicClient.getBlockNumber());
    log(
      `every fill committed; moving the dev chain's clock ${challengeWindow + 1} s past the challenge window`,
    );
    await rpc(run.node.url, "evm_increaseTime", [challengeWindow + 1]);
    await rpc(run.node.url, "evm_mine");
    await waitFor("finalization", async () =>
      (await allFills()).every((f) => f.status === "finalized" || f.status === "rolled_back"),
    );

    const fills = await allFills();
    const uniqueFills = new Map(fills.map((f) => [f.fillId, f]));
    const busted = [...uniqueFills.values()].filter((f) => f.status === "rolled_back");
    const allBatches = await batches(run);
    const finalizedBatches = allBatches.filter((b) => b.status === "finalized");
    const rolledBackBatches = allBatches.filter((b) => b.status === "rolled_back");
    // Gas per fill is a batch's fixed cost (commit and finalize transactions, the root, the
    // netted deltas) spread over its fills: it is explained by the batch sizes beside it.
    let gas = 0n;
    let commitGas = 0n;
    let finalizeGas = 0n;
    for (const b of allBatches) {
      if (b.commitTxHash) {
        const used = (await publicClient.getTransactionReceipt({ hash: b.commitTxHash })).gasUsed;
        commitGas += used;
        gas += used;
      }
      if (b.finalizeTxHash) {
        const used = (await publicClient.getTransactionReceipt({ hash: b.finalizeTxHash })).gasUsed;
        finalizeGas += used;
        gas += used;
      }
    }
    const batchSizes = allBatches.map((b) => b.fillCount).sort((a, b) => a - b);
    const perBatch = (total: bigint) =>
      allBatches.length ? Number(total / BigInt(allBatches.length)) : 0;

    // Every committed fill against every rule a fraud proof can test, with the shared rule code
    // (the contract's own rules), each batch judged by its commit block: what a watchtower would
    // prove. An honest run has nothing provable.
    log("auditing every committed fill against the contract's fraud rules");
    const audit = await auditCommitted({
      publicClient,
      settlement: run.stack.addresses.settlement!,
      apiBaseUrl: run.apiUrl,
      accounts,
      fromBlock: BigInt(run.stack.deployBlock),
    });
    log(`${audit.provable.length} provable of ${audit.committed} committed`);

    // The watchtower (its own process, reading the order feed) must have checked every commit:
    // its cursor past the last commit's block, no proof sent, no fill side without its order.
    const lastCommit = await publicClient.getBlockNumber();
    const watchtower = await watchtowerStats(run.watchtowerDir, lastCommit);
    log(
      watchtower
        ? `watchtower: checked ${watchtower.batchesChecked} batches, ${watchtower.fillsChecked} fills; ` +
            `${watchtower.proofsSent} proofs sent, ${watchtower.fillsWithoutOrders} fill sides without orders; ` +
            `checked each commit ${watchtower.checkLagP99Ms} ms after its block at p99 (max ${watchtower.checkLagMaxMs})`
        : `watchtower: did not report having checked up to block ${lastCommit}`,
    );
    const finalizedAt = new Map(allBatches.map((b) => [b.batchId, b.finalizedAt]));
    const latencies = [...uniqueFills.values()]
      .filter((f) => f.batchId !== undefined && finalizedAt.get(f.batchId) !== undefined)
      .map((f) => finalizedAt.get(f.batchId!)! - f.matchedAt)
      .sort((a, b) => a - b);

    // Fill proofs, checked the way a trader would: leaf, Merkle proof, both signed orders, and the
    // root committed on-chain (the reader's publicClient).
    const verifier = new ClearmatchClient({
      baseUrl: run.apiUrl,
      chainId: run.stack.chainId,
      settlement: run.stack.addresses.settlement!,
      publicClient,
    });
    // Busted fills have no proof (they were never committed): they are reported above.
    const sample = [...uniqueFills.values()].filter((f) => f.status !== "rolled_back").slice(0, 20);
    const badProofs: string[] = [];
    for (const f of sample) {
      const verdict = await verifier.verifyFillProof(await verifier.getFillProof(f.fillId));
      if (!verdict.valid) badProofs.push(`fill ${f.fillId}: ${verdict.reason}`);
    }

    // Reconciliation: the chain is the truth.
    const mismatches: string[] = [];
    const tokens = Object.entries(run.stack.addresses).filter(([k]) => k.startsWith("token"));
    for (const [name, token] of tokens) {
      let sum = 0n;
      for (const account of accounts) {
        const onChain = await publicClient.readContract({
          address: run.stack.addresses.settlement!,
          abi: settlementAbi,
          functionName: "balanceOf",
          args: [account, token],
        });
        const view = (await reader.getAccountBalances(account)).find(
          (b) => getAddress(b.token) === getAddress(token),
        );
        const finalized = view?.finalized ?? 0n;
        const pending = view?.pending ?? 0n;
        sum += onChain;
        if (onChain !== finalized || pending !== 0n) {
          mismatches.push(
            `${name} ${account}: chain ${onChain}, sequencer finalized ${finalized} pending ${pending}`,
          );
        }
      }
      const vault = await publicClient.readContract({
        address: token,
        abi: erc20,
        functionName: "balanceOf",
        args: [run.stack.addresses.settlement!],
      });
      if (vault < sum) mismatches.push(`${name}: vault holds ${vault} < balances ${sum}`);
    }

    const summary = {
      seconds: SECONDS,
      orders: counters.orders,
      refused: counters.rejected,
      refusedByCode: counters.rejectCodes,
      fills: uniqueFills.size,
      fillsFinalized: [...uniqueFills.values()].filter((f) => f.status === "finalized").length,
      fillsRolledBack: busted.length,
      bustReasons: Object.fromEntries(
        [...new Set(busted.map((f) => f.bustReason ?? "?"))].map((r) => [
          r,
          busted.filter((f) => (f.bustReason ?? "?") === r).length,
        ]),
      ),
      batches: allBatches.length,
      batchesFinalized: finalizedBatches.length,
      batchesRolledBack: rolledBackBatches.length,
      fillsPerBatch: {
        mean: allBatches.length ? Number((uniqueFills.size / allBatches.length).toFixed(1)) : 0,
        p50: percentile(batchSizes, 50),
        max: batchSizes.at(-1) ?? 0,
      },
      gasTotal: gas.toString(),
      gasPerFill: uniqueFills.size ? Number(gas / BigInt(uniqueFills.size)) : 0,
      gasPerBatch: { commit: perBatch(commitGas), finalize: perBatch(finalizeGas) },
      fraudAudit: {
        committed: audit.committed,
        provable: audit.provable.length,
        findings: audit.provable,
        problems: audit.problems,
        coverageGaps: audit.coverage,
      },
      watchtower: watchtower ?? { caughtUp: false },
      matchToFinalityMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? 0,
      },
      matchToFinalityNote: "includes a clock jump over the challenge window on the dev chain",
      fillProofs: {
        checked: sample.length,
        valid: sample.length - badProofs.length,
        invalid: badProofs,
      },
      reconciliation: {
        accounts: accounts.length,
        tokens: tokens.length,
        ok: mismatches.length === 0,
        mismatches,
      },
      wallSeconds: Math.round((Date.now() - started) / 1000),
    };
    log("summary:");
    process.stdout.write(
      JSON.stringify(summary, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n",
    );
    log(
      `gas per fill ${summary.gasPerFill} at ${summary.fillsPerBatch.mean} fills per batch ` +
        `(median ${summary.fillsPerBatch.p50}, max ${summary.fillsPerBatch.max}; per batch: commit ` +
        `${summary.gasPerBatch.commit}, finalize ${summary.gasPerBatch.finalize} gas)`,
    );
    if (JSON_OUT) {
      await writeFile(
        JSON_OUT,
        JSON.stringify(summary, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2),
      );
    }
    // Nobody cheats in the demo: every fill must settle, none may roll back.
    if (summary.fills === 0) mismatches.push("no fills: the demo traded nothing");
    if (summary.fillsFinalized !== summary.fills) {
      mismatches.push(
        `${summary.fills - summary.fillsFinalized} of ${summary.fills} fills did not finalize`,
      );
    }
    if (summary.batchesFinalized === 0) mismatches.push("no batch finalized on-chain");
    // An honest run is never provably wrong: nothing busted, nothing rolled back, nothing provable.
    if (busted.length > 0) {
      mismatches.push(`${busted.length} fills busted: ${JSON.stringify(summary.bustReasons)}`);
    }
    if (rolledBackBatches.length > 0) {
      mismatches.push(`${rolledBackBatches.length} batches rolled back`);
    }
    if (!watchtower) mismatches.push("the watchtower did not check every commit");
    else if (watchtower.proofsSent > 0 || watchtower.fillsWithoutOrders > 0)
      mismatches.push(
        `the watchtower sent ${watchtower.proofsSent} proofs and missed ${watchtower.fillsWithoutOrders} orders`,
      );
    for (const p of audit.provable) {
      mismatches.push(`provable fill ${p.fillId} (batch ${p.batchId}): ${p.kind} on the ${p.side}`);
    }
    for (const p of audit.problems) mismatches.push(`fill ${p.fillId}: ${p.reason} ${p.message}`);
    for (const g of audit.coverage) {
      mismatches.push(`batch ${g.batchId}: ${g.audited} of ${g.fillCount} fills audited`);
    }
    mismatches.push(...badProofs.map((b) => `invalid fill proof: ${b}`));
    exitCode = mismatches.length === 0 ? 0 : 1;
    log(
      exitCode === 0
        ? "reconciliation holds: every on-chain balance equals the sequencer's view"
        : `reconciliation FAILED:\n  ${mismatches.join("\n  ")}`,
    );
  } finally {
    await run.stop();
  }
  process.exit(exitCode);
}

main().catch((error) => {
  const fix = error instanceof StartError && error.fix ? `\n[demo] fix: ${error.fix}` : "";
  process.stderr.write(
    `[demo] error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}${fix}\n`,
  );
  process.exit(1);
});
