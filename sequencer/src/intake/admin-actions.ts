/**
 * The admin endpoints' actions over the exchange core: engaging or releasing the kill switch and
 * halting or resuming a market are journaled service records, applied by the core like every
 * other input, so they survive a restart (snapshot + replay) exactly as they were.
 */
import type { AdminControls } from "./admin-controls.js";
import type { ApplyResult, MarketHalt } from "../core/core-types.js";
import type { ExchangeCore } from "../core/exchange-core.js";
import type { ServiceRecord } from "../core/service-record.js";

export interface JournaledAdminDeps {
  readonly core: ExchangeCore;
  /** Applies a record to the core and journals it; resolves once durable (`OrderIntake.commit`). */
  readonly commit: (record: ServiceRecord) => Promise<ApplyResult>;
  /** Wall clock, ms since the epoch. */
  readonly now: () => number;
}

export function journaledAdminControls(deps: JournaledAdminDeps): AdminControls {
  const { core, now } = deps;
  const commit = async (record: ServiceRecord): Promise<ApplyResult> => {
    const result = await deps.commit(record);
    if (result.error) throw result.error;
    return result;
  };
  const withReason = (reason: string | undefined) => (reason !== undefined ? { reason } : {});
  return {
    killSwitchState: () => core.killSwitch,
    setKillSwitch: async (engaged, reason) => {
      await commit({
        kind: "killSwitch",
        ms: now(),
        engaged,
        ...(engaged ? withReason(reason) : {}),
      });
      return core.killSwitch;
    },
    haltMarket: async (marketId, reason): Promise<MarketHalt> => {
      await commit({ kind: "halt", ms: now(), marketId, cause: "operator", ...withReason(reason) });
      return core.halt(marketId)!;
    },
    resumeMarket: async (marketId) =>
      (await commit({ kind: "resume", ms: now(), marketId })).mutated,
  };
}
