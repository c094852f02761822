/**
 * The attacker end to end (issue 21; `sequencer/test/attacker/harness.ts`): a malicious sequencer
 * against the real v2 contracts on the dev chain, the watchtower and two trader watchers as their
 * own processes. Prints the table CI shows. Every fraud kind it can commit must be caught and none
 * finalized; no grief may roll back an unrelated trader's fill; each proof or challenge must land
 * within 10 s of the commit at p99. Then once more with the order feed withholding every order:
 * the trader watchers alone must catch every fraud on their fills.
 */
import { describe, expect, it } from "vitest";
import { formatReport, runAttack, type AttackReport } from "./attacker/harness.js";

/** Kinds `commitBatch` must refuse outright (nothing to catch). */
const REFUSED = new Set(["DeltasNotMatchingFills", "EmptyBatchFlood"]);
/** Kinds a v2 record cannot express at all. */
const INEXPRESSIBLE = new Set(["BadQuoteAmount", "OffTickOrLot", "MislabelledLeaf"]);

function expectAllCaught(report: AttackReport) {
  for (const row of report.frauds) {
    expect.soft(row.finalized, `${row.kind} finalized`).toBe(0);
    if (INEXPRESSIBLE.has(row.kind)) expect.soft(row.injected, row.kind).toBe(0);
    else if (REFUSED.has(row.kind))
      expect.soft(row.refusedAtCommit, `${row.kind} refused`).toBe(row.injected);
    else
      expect.soft(row.proven + row.challengedAndUpheld, `${row.kind} caught (${row.note})`).toBe(1);
  }
  expect(report.latenciesMs.length).toBeGreaterThanOrEqual(14);
  expect(report.p99LatencyMs).toBeLessThan(10_000);
  expect(report.honestRolledBack).toBe(0);
}

describe("the attacker: a malicious sequencer and griefing traders against the watchers", () => {
  it("catches every fraud kind, finalizes none, and no grief rolls back an unrelated fill", async () => {
    const report = await runAttack({ withholdFeed: false, griefs: true });
    console.log(formatReport(report));
    expectAllCaught(report);
    // Proven as the kind injected (the watchtower has every order).
    for (const row of report.frauds.filter((r) => r.proven === 1))
      expect.soft(row.note, row.kind).toMatch(new RegExp(`proven as ${row.kind}$`));
    // Only the fill of an order nobody signed needs a challenge upheld (WrongTrader is challenged
    // by the trader it names, and may be proven by the watchtower first).
    const challenged = report.frauds.filter((r) => r.challengedAndUpheld === 1).map((r) => r.kind);
    expect(challenged.filter((k) => k !== "WrongTrader")).toEqual(["UnsignedOrder"]);
    expect(report.griefs.length).toBe(8);
    for (const g of report.griefs)
      expect.soft(g.unrelatedRolledBack, `${g.grief}: ${g.outcome}`).toBe(0);
    expect(report.griefs.find((g) => g.grief === "dispute-then-withdraw")?.outcome).toMatch(
      /^batch finalized before the withdrawal executed/,
    );
  }, 300_000);

  it("with the order feed withholding every order, the trader watchers alone catch every fraud on their fills", async () => {
    const report = await runAttack({ withholdFeed: true, griefs: false });
    console.log(formatReport(report));
    expectAllCaught(report);
    // Conflicting fills need no order: the watchtower may prove them first from chain data alone.
    for (const row of report.frauds.filter((r) => r.proven + r.challengedAndUpheld > 0))
      if (row.kind !== "ConflictingFills") expect.soft(row.by, row.kind).toMatch(/^watcher [AB]$/);
    // The watchtower saw fills it had no orders for, and counted them (its alert).
    expect(Number(report.watchers.watchtower!.fillsWithoutOrders)).toBeGreaterThan(0);
  }, 300_000);
});
