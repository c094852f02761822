/**
 * Where each record the core applied live goes: a list of named listeners, called in the order
 * they were added (`service-runtime.ts`: the settlement observer, latency metrics, the circuit
 * breaker and the snapshot schedule from the start; the batcher and the challenge responder once
 * built; the stream once the HTTP server is up). Replay at start-up goes to none of them. A
 * listener may commit a new record (the breaker's halt): that record is routed to every listener
 * too, right then, nested in the current one.
 */
import type { ApplyResult, AppliedListener } from "../core/core-types.js";
import type { ServiceRecord } from "../core/service-record.js";

export class OutputRouter implements AppliedListener {
  readonly #routes: Array<{ name: string; listener: AppliedListener }> = [];

  /** Adds `listener` under `name` (unique), after those added before. */
  add(name: string, listener: AppliedListener): this {
    if (this.#routes.some((r) => r.name === name)) throw new Error(`route ${name} exists`);
    this.#routes.push({ name, listener });
    return this;
  }

  /** The listeners' names, in routing order. */
  names(): string[] {
    return this.#routes.map((r) => r.name);
  }

  readonly applied = (record: ServiceRecord, result: ApplyResult): void => {
    for (const route of this.#routes) route.listener.applied(record, result);
  };
}
