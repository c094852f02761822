/**
 * What the authenticated admin endpoints act on, and its implementation over the risk
 * modules. Kept behind an interface so the wiring can add side effects (journal the action,
 * publish it on the stream) without the routes knowing.
 */
import type { CircuitBreaker, MarketHalt } from "../risk/circuit-breaker.js";
import type { KillSwitch, KillSwitchState } from "../risk/kill-switch.js";

export interface AdminControls {
  killSwitchState(): KillSwitchState;
  setKillSwitch(engaged: boolean, reason: string | undefined): Promise<KillSwitchState>;
  /** Throws UNKNOWN_MARKET for a market that does not exist. */
  haltMarket(marketId: number, reason: string | undefined): Promise<MarketHalt>;
  /** Returns whether the market was halted. Throws UNKNOWN_MARKET as above. */
  resumeMarket(marketId: number): Promise<boolean>;
}

export interface RiskAdminControlsDeps {
  readonly killSwitch: KillSwitch;
  readonly circuitBreaker: CircuitBreaker;
  /** Wall clock, ms since the epoch. */
  readonly now: () => number;
  /** Throws UNKNOWN_MARKET when `marketId` is not registered. Default: accepts every id. */
  readonly assertMarket?: (marketId: number) => void | Promise<void>;
}

export function riskAdminControls(deps: RiskAdminControlsDeps): AdminControls {
  const assertMarket = deps.assertMarket ?? (() => undefined);
  return {
    killSwitchState: () => deps.killSwitch.state,
    setKillSwitch: async (engaged, reason) =>
      engaged ? deps.killSwitch.engage(reason, deps.now()) : deps.killSwitch.disengage(deps.now()),
    haltMarket: async (marketId, reason) => {
      await assertMarket(marketId);
      return deps.circuitBreaker.halt(marketId, deps.now(), reason);
    },
    resumeMarket: async (marketId) => {
      await assertMarket(marketId);
      return deps.circuitBreaker.reset(marketId);
    },
  };
}
