/**
 * What the service journals: every input that changes the exchange core, in the order the core
 * applied it. Replaying these records into a fresh core rebuilds the same state byte for byte.
 *
 * Payload: one byte kind, then the record as JSON with bigints tagged `{"$bigint":"…"}` (the
 * batch store's convention). Orders are the hot path; JSON costs a few microseconds each, far
 * below the group commit's fdatasync, so a binary layout is not worth its upkeep yet.
 */
import type { Address, Hex } from "viem";
import type { Order } from "../eip712/types.js";
import { JournalError } from "../journal/journal-error.js";
import type { RecordCodec } from "../journal/record-codec.js";

/** Every record carries `ms`, the sequencer's wall clock when it was accepted (ms since epoch). */
interface Stamped {
  ms: number;
}

/** First record of a fresh journal: the chain's next batch id, fee recipient and fee schedule. */
export interface InitRecord extends Stamped {
  kind: "init";
  nextBatchId: bigint;
  feeRecipient: Address;
  makerFeeBps: number;
  takerFeeBps: number;
  /** See ExchangeCore.expiryMarginSec; absent in journals written before it existed (30). */
  expiryMarginSec?: number;
}

/** A signed order whose signature was verified (EOA or ERC-1271) before the core saw it. */
export interface OrderRecord extends Stamped {
  kind: "order";
  orderHash: Hex;
  order: Order;
  signature: Hex;
}

/** A `Cancel` signed by the order's trader (checked before the core saw it). */
export interface CancelRecord extends Stamped {
  kind: "cancel";
  orderHash: Hex;
  signature: Hex;
}

/** A decoded settlement event, as the chain watcher delivered it. */
export interface ChainEventRecord extends Stamped {
  kind: "chain";
  name: string;
  args: Record<string, unknown>;
  blockNumber: bigint;
  transactionHash: Hex;
  /** blockNumber * 2^20 + logIndex: events at or below the core's last position are ignored. */
  position: bigint;
}

/** Cut the next batch from the fills waiting (at most `maxFills`). */
export interface CutRecord extends Stamped {
  kind: "cut";
  maxFills: number;
}

/** Advance time: expire resting orders whose expiry has passed. */
export interface ExpireRecord extends Stamped {
  kind: "expire";
}

/** Operator (admin endpoint): engage or release the global kill switch. */
export interface KillSwitchRecord extends Stamped {
  kind: "killSwitch";
  engaged: boolean;
  /** Operator's reason (engage only). */
  reason?: string;
}

/**
 * Halt a market (cancel-only): an operator's request, or the circuit breaker after the trade
 * that moved the price too far (journaled right after that trade's order record).
 */
export interface HaltRecord extends Stamped {
  kind: "halt";
  marketId: number;
  cause: "operator" | "circuit_breaker";
  reason?: string;
  /** Circuit breaker: the window price the move is measured from, and the trade price. */
  fromPrice?: bigint;
  toPrice?: bigint;
}

/** Operator (admin endpoint): lift a market's halt. */
export interface ResumeRecord extends Stamped {
  kind: "resume";
  marketId: number;
}

export type ServiceRecord =
  | InitRecord
  | OrderRecord
  | CancelRecord
  | ChainEventRecord
  | CutRecord
  | ExpireRecord
  | KillSwitchRecord
  | HaltRecord
  | ResumeRecord;

/** Kind byte = index here: append only, never reorder (journals on disk hold the index). */
const KINDS = [
  "init",
  "order",
  "cancel",
  "chain",
  "cut",
  "expire",
  "killSwitch",
  "halt",
  "resume",
] as const;

const replacer = (_: string, v: unknown) => (typeof v === "bigint" ? { $bigint: v.toString() } : v);
const reviver = (_: string, v: unknown) =>
  v !== null && typeof v === "object" && "$bigint" in v
    ? BigInt((v as { $bigint: string }).$bigint)
    : v;

/** JSON with tagged bigints (for records and the core's snapshot). */
export const toTaggedJson = (value: unknown): string => JSON.stringify(value, replacer);
export const fromTaggedJson = <T>(text: string): T => JSON.parse(text, reviver) as T;

/** Unix seconds of a record (what the engine's clock advances to). */
export const recordTime = (record: ServiceRecord): number => Math.floor(record.ms / 1000);

/** The service journal's codec. Encoding runs twice per record (bound, then write); records are small. */
export const serviceRecordCodec: RecordCodec<ServiceRecord> = {
  bound: (record) => 1 + Buffer.byteLength(toTaggedJson(record)),
  encode(record, buf, off) {
    const kind = KINDS.indexOf(record.kind);
    if (kind < 0) throw new JournalError("INVALID_RECORD", `unknown record kind ${record.kind}`);
    buf[off] = kind;
    return off + 1 + buf.write(toTaggedJson(record), off + 1, "utf8");
  },
  decode(buf, off, end) {
    const kind = KINDS[buf[off]!];
    let record: ServiceRecord;
    try {
      record = fromTaggedJson<ServiceRecord>(buf.toString("utf8", off + 1, end));
    } catch (cause) {
      throw new JournalError("INVALID_RECORD", `service record at ${off} is not JSON`, { cause });
    }
    if (kind === undefined || record.kind !== kind) {
      throw new JournalError("INVALID_RECORD", `service record at ${off} has a bad kind`);
    }
    return record;
  },
};
