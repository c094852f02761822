/**
 * Chain watcher → journal → core. Each delivered event becomes a journaled `chain` record before
 * the watcher saves its cursor, so nothing is lost in a crash; events at or below the core's last
 * applied position (re-delivery after a crash) are skipped.
 */
import type { Address, PublicClient } from "viem";
import { ChainWatcher, FileCursorStore, type ChainEvent } from "../chain/chain-watcher.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import type { ApplyResult } from "../core/core-types.js";
import type { ExchangeCore } from "../core/exchange-core.js";
import type { ServiceRecord } from "../core/service-record.js";

export interface ChainSyncDeps {
  core: ExchangeCore;
  publicClient: PublicClient;
  settlement: Address;
  cursorPath: string;
  commit: (record: ServiceRecord) => Promise<ApplyResult>;
  now: () => number;
  logger: Logger;
  metrics: Metrics;
  confirmations: number;
  pollIntervalMs: number;
  startBlock: bigint;
}

export function createChainSync(deps: ChainSyncDeps): ChainWatcher {
  const handler = async (events: ChainEvent[]) => {
    for (const e of events) {
      if (e.position <= deps.core.lastChainPosition) continue;
      const { logIndex: _logIndex, ...event } = e; // the position holds it
      await deps.commit({ kind: "chain", ms: deps.now(), ...event });
    }
  };
  const watcher: ChainWatcher = new ChainWatcher(
    deps.publicClient,
    deps.settlement,
    new FileCursorStore(deps.cursorPath),
    async (events, toBlock) => {
      await handler(events);
      const head = watcher.status().head;
      if (head !== undefined) deps.metrics.chainHeadLag.set(Number(head - toBlock));
    },
    {
      confirmations: deps.confirmations,
      pollIntervalMs: deps.pollIntervalMs,
      startBlock: deps.startBlock,
      maxBackoffMs: 2_000,
    },
    (error, failures) => deps.logger.warn({ err: error, failures }, "chain watcher: poll failed"),
  );
  return watcher;
}
