/**
 * The global kill switch: when engaged, no new order is accepted anywhere (cancels still are,
 * so traders can reduce risk). Engaged and released by an operator through the authenticated
 * admin endpoint. Time is passed in.
 */
import { ClearmatchError } from "../errors/clearmatch-error.js";

export interface KillSwitchState {
  readonly engaged: boolean;
  /** Operator's reason, when engaged. */
  readonly reason?: string | undefined;
  /** When the state last changed (ms since the epoch), if ever. */
  readonly since?: number | undefined;
}

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
