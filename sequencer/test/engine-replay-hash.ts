import { createHash } from "node:crypto";
import { formatEvent } from "../src/engine/event-format.js";
import { MatchingEngine } from "../src/engine/matching-engine.js";
import type { EngineInput } from "../src/engine/types.js";

/** SHA-256 of every event of a fresh engine fed `inputs`, one canonical line per event. */
export function hashRun(inputs: EngineInput[], engine = new MatchingEngine()): string {
  const h = createHash("sha256");
  for (const input of inputs) {
    for (const e of engine.apply(input)) h.update(formatEvent(e) + "\n");
  }
  return h.digest("hex");
}
