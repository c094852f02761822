/**
 * The admin controls over the risk modules alone, and a kill switch that is only a switch: what
 * the API tests wire behind the admin routes instead of a whole service (production's controls
 * are the service's own, `intake/admin-actions.ts`, with the kill switch kept by the core).
 */
import { ClearmatchError } from "../../src/errors/clearmatch-error.js";
import type { AdminControls } from "../../src/intake/admin-controls.js";
import type { CircuitBreaker } from "../../src/intake/circuit-breaker.js";
import type { KillSwitchState } from "../../src/core/core-types.js";

/**
 * The global kill switch: when engaged, no new order is accepted anywhere (cancels still are,
 * so traders can reduce risk). Time is passed in.
 */
export type KillSwitchListener = (state: KillSwitchState) => void;

export class KillSwitch {
  #state: KillSwitchState = { engaged: false };
  readonly #listeners = new Set<KillSwitchListener>();

  get state(): KillSwitchState {
    return this.#state;
  }

  get engaged(): boolean {
    return this.#state.engaged;
  }

  engage(reason: string | undefined, nowMs: number): KillSwitchState {
    return this.#set({ engaged: true, reason, since: nowMs });
  }

  disengage(nowMs: number): KillSwitchState {
    return this.#set({ engaged: false, since: nowMs });
  }

  /** Throws KILL_SWITCH while engaged. */
  assertOpen(): void {
    if (this.#state.engaged) {
      throw new ClearmatchError("KILL_SWITCH", undefined, {
        details: { reason: this.#state.reason ?? null, since: this.#state.since ?? null },
      });
    }
  }

  /** Called after every change (for logs, metrics, the stream); returns an unsubscribe. */
  onChange(listener: KillSwitchListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #set(state: KillSwitchState): KillSwitchState {
    this.#state = state;
    for (const listener of this.#listeners) listener(state);
    return state;
  }
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
