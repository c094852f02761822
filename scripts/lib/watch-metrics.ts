/**
 * Prometheus metrics of a watchtower or a trader's watch (issue 21), read from its stats at each
 * scrape: batches and fills checked, sides without orders, proofs and challenges sent and how
 * they ended, and how far behind the chain head it checks.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { WatchtowerStats } from "@clearmatch/sdk";

export function watchMetrics(
  stats: () => WatchtowerStats,
  mode: "watchtower" | "trader",
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ mode });
  const counter = (name: string, help: string, value: (s: WatchtowerStats) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value(stats()));
      },
    });
  counter(
    "clearmatch_watch_batches_checked_total",
    "Committed batches checked",
    (s) => s.batchesChecked,
  );
  counter(
    "clearmatch_watch_fills_checked_total",
    "Fills of pending batches judged",
    (s) => s.fillsChecked,
  );
  counter(
    "clearmatch_watch_fills_without_orders_total",
    "Fill sides whose signed order the source did not provide (withheld by the feed, or never signed by the trader)",
    (s) => s.fillsWithoutOrders,
  );
  const byOutcome = (
    name: string,
    help: string,
    outcomes: Record<string, (s: WatchtowerStats) => number>,
  ) =>
    new Counter({
      name,
      help,
      labelNames: ["outcome"],
      registers: [registry],
      collect() {
        const s = stats();
        this.reset();
        for (const [outcome, value] of Object.entries(outcomes)) this.inc({ outcome }, value(s));
      },
    });
  byOutcome(
    "clearmatch_watch_proofs_total",
    "Fraud and conflicting-fill proofs, by outcome: sent (mined) or failed (reverted)",
    { sent: (s) => s.proofsSent, failed: (s) => s.proofsFailed },
  );
  byOutcome(
    "clearmatch_watch_challenges_total",
    "Trader challenges, by outcome: sent, answered (a signature was shown), upheld (rolled back), failed",
    {
      sent: (s) => s.challengesSent,
      answered: (s) => s.challengesAnswered,
      upheld: (s) => s.challengesUpheld,
      failed: (s) => s.challengesFailed,
    },
  );
  new Gauge({
    name: "clearmatch_watch_lag_blocks",
    help: "Chain head minus the last block whose commits are all checked",
    registers: [registry],
    collect() {
      this.set(Number(stats().lagBlocks));
    },
  });
  new Gauge({
    name: "clearmatch_watch_check_lag_seconds",
    help: "How far behind the chain head commits were checked (chain time), p99 and max of the last 10,000",
    labelNames: ["quantile"],
    registers: [registry],
    collect() {
      const s = stats();
      this.set({ quantile: "0.99" }, s.checkLagP99Ms / 1000);
      this.set({ quantile: "1" }, s.checkLagMaxMs / 1000);
    },
  });
  return registry;
}
