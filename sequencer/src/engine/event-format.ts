import type { EngineEvent } from "./types.js";

/**
 * Canonical text of an event: JSON with bigints as decimal strings, keys in the order the engine
 * writes them. Equal events give equal text, so hashes of event streams compare runs.
 */
export function formatEvent(event: EngineEvent): string {
  return JSON.stringify(event, bigintAsString);
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
