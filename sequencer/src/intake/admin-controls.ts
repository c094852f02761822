/**
 * What the authenticated admin endpoints act on. Kept behind an interface so the wiring adds its
 * side effects (journal the action, publish it on the stream) without the routes knowing; the
 * service's implementation is `intake/admin-actions.ts`.
 */
import type { KillSwitchState, MarketHalt } from "../core/core-types.js";

export interface AdminControls {
  killSwitchState(): KillSwitchState;
  setKillSwitch(engaged: boolean, reason: string | undefined): Promise<KillSwitchState>;
  /** Throws UNKNOWN_MARKET for a market that does not exist. */
  haltMarket(marketId: number, reason: string | undefined): Promise<MarketHalt>;
  /** Returns whether the market was halted. Throws UNKNOWN_MARKET as above. */
  resumeMarket(marketId: number): Promise<boolean>;
}
