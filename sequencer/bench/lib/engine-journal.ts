/**
 * The engine journaled on its own (benchmarks and their tests; the service journals its own
 * records, `core/service-record.ts`): engine inputs in their binary encoding
 * (`input-codec.ts`) as the journal's records, and start-up recovery straight into a
 * `MatchingEngine` over the journal's generic `recoverRecords`.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { MatchingEngine } from "../../src/engine/matching-engine.js";
import type { EngineSnapshot } from "../../src/engine/snapshot.js";
import type { EngineEvent, EngineInput, EngineOptions } from "../../src/engine/types.js";
import type { JournalLogger } from "../../src/journal/journal-error.js";
import type { RecordCodec } from "../../src/journal/record-codec.js";
import { recoverRecords, type RecoveredRecords } from "../../src/journal/recovery.js";
import { listSegments } from "../../src/journal/segment-files.js";
import { decodeInput, encodeInput, payloadBound, reusingInputDecoder } from "./input-codec.js";

/** The engine's binary input encoding (`input-codec.ts`). */
export const engineInputCodec: RecordCodec<EngineInput> = {
  bound: payloadBound,
  encode: encodeInput,
  decode: decodeInput,
};

export interface RecoverOptions {
  /** Directory of segments and snapshots; created if missing. */
  dir: string;
  /** Options of the engine to rebuild; must match the ones it ran with. Default: engine defaults. */
  engineOptions?: EngineOptions;
  /** Default: JSON lines on stderr. */
  log?: JournalLogger;
  /** Sees each replayed record and its events (to rebuild state derived from them). Default: none. */
  onReplay?: (seq: number, input: EngineInput, events: EngineEvent[]) => void;
  /** Zeros the journal keeps written ahead of its records (JournalWriterOptions). */
  preallocateBytes?: number;
}

export interface Recovered extends RecoveredRecords<EngineInput> {
  engine: MatchingEngine;
}

/**
 * Start-up: restore the newest sound snapshot, replay the journal after it, cut a torn tail off
 * the last segment (logged), and refuse (JournalError) anything else that does not check out:
 * damage followed by valid records, a sequence gap, a missing segment.
 */
export function recover(options: RecoverOptions): Recovered {
  const { onReplay } = options;
  const engineOptions = sizedForJournal(options.dir, options.engineOptions);
  // The snapshot's engine, or a fresh one made on the first record: a sized engine allocates and
  // pre-faults its tables, so it is built once.
  const recovering: { engine?: MatchingEngine } = {};
  const engineNow = (): MatchingEngine => (recovering.engine ??= new MatchingEngine(engineOptions));
  const recovered = recoverRecords<EngineInput, EngineSnapshot>({
    dir: options.dir,
    codec: engineInputCodec,
    ...(options.log ? { log: options.log } : {}),
    ...(options.preallocateBytes !== undefined
      ? { preallocateBytes: options.preallocateBytes }
      : {}),
    restore: (state) => {
      recovering.engine = MatchingEngine.restore(state, engineOptions);
    },
    // The engine copies what it keeps of an input; an observer may keep the input itself.
    ...(onReplay === undefined ? { replayDecode: reusingInputDecoder() } : {}),
    apply:
      onReplay === undefined
        ? (_seq, input) => {
            // Without an observer nobody reads the events: the packed form, never decoded.
            engineNow().applyPacked(input);
          }
        : (seq, input) => onReplay(seq, input, engineNow().apply(input)),
  });
  return { ...recovered, engine: engineNow() };
}

/**
 * Unless the caller sized the engine, size it for what the journal holds: no more orders than
 * records, and an order record is ~137 bytes. A restored snapshot's orders count too, but its
 * tables grow as needed; this only spares replay the repeated copying of growth. After a crash a
 * segment's preallocated zeros count as well: a larger engine than needed, never a smaller one.
 */
function sizedForJournal(dir: string, options: EngineOptions = {}): EngineOptions {
  if (options.initialCapacity !== undefined) return options;
  let bytes = 0;
  try {
    for (const seg of listSegments(dir)) bytes += statSync(join(dir, seg.name)).size;
  } catch {
    return options;
  }
  return { ...options, initialCapacity: Math.max(1024, Math.ceil(bytes / 137)) };
}
