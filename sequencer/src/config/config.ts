/**
 * The service's configuration: read from the environment once at start-up, validated with
 * zod, defaults applied here and nowhere else. `docs/configuration.md` is rendered from
 * `configVariables` (`render-config-doc.ts`) and a test keeps the two in sync.
 *
 * Secrets (`SEQUENCER_PRIVATE_KEY`, `ADMIN_TOKEN`) come from the environment only, and their
 * values never appear in error messages.
 */
import { getAddress, isAddress, type Hex } from "viem";
import { z } from "zod";
import { ClearmatchError } from "../errors/clearmatch-error.js";
import { MAX_BATCH_DELTAS, MAX_BATCH_FILLS } from "@clearmatch/protocol";

/** One environment variable: how to parse it, its default, and what it means. */
export interface ConfigVariable<S extends z.ZodTypeAny = z.ZodTypeAny> {
  /** Parses the raw string (after the default is applied). */
  readonly schema: S;
  /** Raw default used when the variable is unset or empty; none means required or optional. */
  readonly default?: string;
  /** Whether the variable may stay unset (then its value is `undefined`). */
  readonly optional?: boolean;
  /** Value must never be logged or echoed. */
  readonly secret?: boolean;
  /** One line for `docs/configuration.md`. */
  readonly description: string;
}

function variable<S extends z.ZodTypeAny>(definition: ConfigVariable<S>): ConfigVariable<S> {
  return definition;
}

/** A canonical non-negative decimal integer within [min, max]. */
function integer(min: number, max: number) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/, "must be a non-negative decimal integer")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

const boolean = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

function url(protocols: readonly string[]) {
  return z
    .string()
    .url("must be a URL")
    .refine((v) => protocols.includes(new URL(v).protocol), {
      message: `must use ${protocols.join(" or ")}`,
    });
}

/** secp256k1 group order: a private key must be in [1, n - 1]. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const address = z
  .string()
  .refine((v) => isAddress(v, { strict: true }), "must be a checksummed or lowercase address")
  .transform((v) => getAddress(v));

const privateKey = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits")
  .refine((v) => BigInt(v) > 0n && BigInt(v) < SECP256K1_N, "is not a valid secp256k1 key")
  .transform((v) => v.toLowerCase() as Hex);

export const configVariables = {
  HOST: variable({
    schema: z.string().min(1),
    default: "127.0.0.1",
    description: "Interface the HTTP and WebSocket server binds to.",
  }),
  PORT: variable({
    schema: integer(0, 65535),
    default: "8080",
    description: "TCP port of the HTTP and WebSocket server (0 picks a free port).",
  }),
  TRUST_PROXY: variable({
    schema: boolean,
    default: "false",
    description:
      "Trust `X-Forwarded-For` from one reverse proxy for the client IP (per-IP rate limit, logs).",
  }),
  REDIS_URL: variable({
    schema: url(["redis:", "rediss:"]),
    default: "redis://127.0.0.1:6379",
    description: "Redis of the BullMQ settlement pipeline.",
  }),
  RPC_URL: variable({
    schema: url(["http:", "https:", "ws:", "wss:"]),
    description: "JSON-RPC endpoint of the settlement chain.",
  }),
  CHAIN_ID: variable({
    schema: integer(1, Number.MAX_SAFE_INTEGER),
    description: "Chain id of the settlement chain; orders signed for another chain are refused.",
  }),
  SETTLEMENT_ADDRESS: variable({
    schema: address,
    description: "Settlement proxy address: the EIP-712 `verifyingContract`.",
  }),
  SEQUENCER_PRIVATE_KEY: variable({
    schema: privateKey,
    secret: true,
    description: "Key of the sequencer role (commits batches, answers challenges). 0x + 64 hex.",
  }),
  DATA_DIR: variable({
    schema: z.string().min(1),
    default: "./data",
    description:
      "Directory of the journal and snapshots (journal/), the settled-history archive (history.sqlite), the batch store (batches/) and the chain watcher's cursor.",
  }),
  CONFIRMATIONS: variable({
    schema: integer(0, 1000),
    default: "1",
    description: "Blocks the chain watcher waits before acting on an event or a receipt.",
  }),
  BATCH_MAX_FILLS: variable({
    schema: integer(1, MAX_BATCH_FILLS),
    default: "1000",
    description:
      "A batch is cut when it holds this many fills (at most 1,024, the contract's cap: a larger batch could not be committed)...",
  }),
  BATCH_MAX_DELTAS: variable({
    schema: integer(5, MAX_BATCH_DELTAS),
    default: "512",
    description:
      "A batch is cut before its fills touch more (account, token) pairs than this: its netted deltas then fit the contract's cap of 512, under which finalizing it always fits the gas budget. The cut also keeps every commit within the contract's 120,000 bytes of calldata (about 830 fills of 143 bytes with few deltas).",
  }),
  BATCH_MAX_MS: variable({
    schema: integer(10, 3_600_000),
    default: "2000",
    description: "...or when its oldest fill is this many milliseconds old.",
  }),
  MAX_BATCH_ORDERS: variable({
    schema: integer(1, 1000),
    default: "100",
    description: "Most orders in one `POST /v1/orders/batch` request.",
  }),
  MAX_BODY_BYTES: variable({
    schema: integer(1024, 16 * 1024 * 1024),
    default: "65536",
    description: "Largest accepted request body in bytes (64 KiB); larger ones get 413.",
  }),
  PRICE_BAND_BPS: variable({
    schema: integer(1, 100_000),
    default: "1000",
    description:
      "Limit prices (and market orders' protective limits) beyond ± this many basis points of the reference price are refused.",
  }),
  MAX_ORDER_LIFETIME_SEC: variable({
    schema: integer(60, 10 * 365 * 86_400),
    default: "7776000",
    description:
      "Furthest an order's expiry may lie ahead of its arrival, in seconds (90 days); later ones are refused with `EXPIRY_TOO_FAR`. The sequencer remembers every accepted order's hash until its expiry (so a cancelled order cannot be replayed), so this bounds that memory.",
  }),
  RATE_LIMIT_PER_SEC: variable({
    schema: integer(1, 1_000_000),
    default: "50",
    description: "Per-account token bucket: orders and cancels refilled per second.",
  }),
  RATE_LIMIT_BURST: variable({
    schema: integer(1, 1_000_000),
    default: "100",
    description: "Per-account token bucket capacity; must be at least MAX_BATCH_ORDERS.",
  }),
  SIGNATURE_VERIFIER: variable({
    schema: z.enum(["fast", "viem"]),
    default: "fast",
    description:
      "How order signatures are checked: `fast` (fixed-type EIP-712 hasher + native secp256k1 with a JS fallback) or `viem` (`hashTypedData` + viem's `recoverAddress`, for comparison in benchmarks).",
  }),
  VERIFY_THREADS: variable({
    schema: integer(0, 64),
    default: "1",
    description:
      "Worker threads hashing orders and recovering their signers off the event loop (fast verifier, native secp256k1), for single and batch submissions alike; 0 does both on the main thread.",
  }),
  IP_RATE_LIMIT_PER_SEC: variable({
    schema: integer(0, 10_000_000),
    default: "0",
    description:
      "Per-client-IP token bucket on write routes, applied before signatures are checked; 0 disables it (for a deployment behind a rate-limiting proxy).",
  }),
  IP_RATE_LIMIT_BURST: variable({
    schema: integer(1, 10_000_000),
    default: "1000",
    description: "Per-client-IP bucket capacity when enabled; must be at least MAX_BATCH_ORDERS.",
  }),
  CIRCUIT_BREAKER_BPS: variable({
    schema: integer(1, 100_000),
    default: "1500",
    description:
      "A market halts (cancel-only) when its last-trade price moves more than this many basis points...",
  }),
  CIRCUIT_BREAKER_WINDOW_MS: variable({
    schema: integer(1000, 86_400_000),
    default: "60000",
    description: "...within this many milliseconds.",
  }),
  ADMIN_TOKEN: variable({
    schema: z.string().min(32, "must be at least 32 characters"),
    optional: true,
    secret: true,
    description:
      "Bearer token of the admin endpoints (kill switch, halt/resume); unset disables them (403 ADMIN_DISABLED).",
  }),
  WS_MAX_SUBSCRIPTIONS: variable({
    schema: integer(1, 10_000),
    default: "100",
    description: "Most channels one WebSocket client may subscribe to.",
  }),
  SETTLEMENT_START_BLOCK: variable({
    schema: integer(0, Number.MAX_SAFE_INTEGER).transform(BigInt),
    default: "0",
    description:
      "Block the settlement proxy was deployed in: the chain watcher reads markets, deposits and batches from there on its first start.",
  }),
  CHAIN_POLL_MS: variable({
    schema: integer(50, 60_000),
    default: "1000",
    description: "Interval between the chain watcher's polls.",
  }),
  MAKER_FEE_BPS: variable({
    schema: integer(0, 10_000),
    default: "0",
    description:
      "Fee charged to the resting side, basis points of the quote amount (capped by each order's maxFeeBps).",
  }),
  TAKER_FEE_BPS: variable({
    schema: integer(0, 10_000),
    default: "10",
    description:
      "Fee charged to the incoming side, basis points of the quote amount (capped by each order's maxFeeBps).",
  }),
  EXPIRY_MARGIN_SECONDS: variable({
    schema: integer(0, 86_400),
    default: "30",
    description:
      "Orders must have at least this many seconds of life left when accepted, and stop trading this long before their signed expiry, so no fill can expire before its commit (a fraud proof). Fixed by the journal's first record.",
  }),
  COMMIT_LATENCY_MAX: variable({
    schema: integer(1, 3_600),
    default: "10",
    description:
      "Bound, in seconds, on the time from sending a batch's commit to its block. Time rules the contract judges by the commit block (expiry) are judged against the chain's time plus this bound; while the chain cannot take a commit within it (no head read, or a head that old), new orders are refused with CHAIN_UNAVAILABLE. EXPIRY_MARGIN_SECONDS must be at least BATCH_MAX_MS (in seconds, rounded up) + COMMIT_LATENCY_MAX + 1, checked at start-up.",
  }),
  EXPIRY_TICK_MS: variable({
    schema: integer(100, 3_600_000),
    default: "1000",
    description:
      "Interval of the journaled clock tick that expires resting orders and moves settled orders, fills and batches from memory to the archive.",
  }),
  ENGINE_CAPACITY: variable({
    schema: integer(1024, 100_000_000),
    default: "65536",
    description:
      "Orders the matching engine sizes its tables for at start-up (open orders plus closed ones not yet past their expiry); past it they double, which copies them, so set it near what the sequencer holds.",
  }),
  SNAPSHOT_EVERY: variable({
    schema: integer(100, 100_000_000),
    default: "10000",
    description:
      "Journal records between snapshots of the exchange core (one is also taken at shutdown).",
  }),
  SNAPSHOT_BUSY_PERCENT: variable({
    schema: integer(1, 100),
    default: "25",
    description:
      "Most of its thread's time, in percent, that periodic snapshots may take: after a snapshot that kept its thread busy for d, the next waits at least d * (100 / SNAPSHOT_BUSY_PERCENT - 1), besides SNAPSHOT_EVERY records. A snapshot's cost grows with what the core holds (live orders and fills not yet final, and the engine's memory of closed orders until their expiry), so by records alone a busy service could snapshot back to back; a lower value costs a longer journal tail to replay after a crash (docs/service.md). 100 turns the wait off.",
  }),
  SNAPSHOT_THREAD: variable({
    schema: z.enum(["worker", "main"]),
    default: "worker",
    description:
      "Where periodic snapshots are taken: `worker`, a thread with its own replica of the core that follows the journal (intake never waits; costs a second copy of the core in memory), or `main`, the service's own thread, which stops intake for as long as serializing the whole core takes. The service falls back to `main` if the worker fails.",
  }),
  QUEUE_NAME: variable({
    schema: z.string().min(1),
    default: "clearmatch-settlement",
    description: "BullMQ queue of the settlement pipeline (one per deployment).",
  }),
  CHALLENGE_RESPONDER: variable({
    schema: boolean,
    default: "true",
    description:
      "Answer trader challenges on-chain with the signed order (disable only to test unanswered challenges).",
  }),
  GAS_BALANCE_WARN_WEI: variable({
    schema: z
      .string()
      .regex(/^(0|[1-9][0-9]{0,35})$/, "must be a non-negative decimal integer (wei)")
      .transform(BigInt),
    default: "1000000000000000000",
    description:
      "The sequencer account's native balance (gas for commits, finalizations and challenge answers), in wei, below which a warning is logged (on the drop, then every 10 minutes while below; default 1 ETH/POL; 0 never warns). The balance is read every 15 s and after each sequencer transaction into the `clearmatch_sequencer_gas_balance_wei` gauge.",
  }),
  LOG_LEVEL: variable({
    schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    default: "info",
    description: "pino log level.",
  }),
};

type Variables = typeof configVariables;

/** The validated configuration, keyed by environment variable name. */
export type Config = {
  readonly [K in keyof Variables]: Variables[K] extends { optional: true }
    ? z.output<Variables[K]["schema"]> | undefined
    : z.output<Variables[K]["schema"]>;
};

/** One invalid variable (the value itself is never included). */
export interface ConfigIssue {
  readonly variable: string;
  readonly message: string;
}

/**
 * Reads and validates the configuration. Throws one `ClearmatchError` with code
 * `CONFIG_INVALID` whose message lists every invalid or missing variable.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Config {
  const issues: ConfigIssue[] = [];
  const values: Record<string, unknown> = {};

  for (const [name, definition] of Object.entries(configVariables) as [string, ConfigVariable][]) {
    const raw = env[name] === undefined || env[name] === "" ? definition.default : env[name];
    if (raw === undefined) {
      if (definition.optional) values[name] = undefined;
      else issues.push({ variable: name, message: "is required" });
      continue;
    }
    const parsed = definition.schema.safeParse(raw);
    if (parsed.success) values[name] = parsed.data;
    else
      issues.push({
        variable: name,
        message: parsed.error.issues.map((i) => i.message).join("; "),
      });
  }

  const config = values as Config;
  if (issues.length === 0) issues.push(...crossChecks(config));
  if (issues.length > 0) {
    const lines = issues.map((i) => `  ${i.variable}: ${i.message}`).join("\n");
    throw new ClearmatchError("CONFIG_INVALID", `Invalid configuration:\n${lines}`, {
      details: { issues },
    });
  }
  return Object.freeze(config);
}

/**
 * The least expiry margin with which an honest fill always commits before its orders expire: an
 * order stops trading `margin` seconds before its expiry; its last fill waits at most the batch
 * age for its cut, and the commit lands at most COMMIT_LATENCY_MAX after it; one second more
 * covers the rounding of times to whole seconds.
 */
export function requiredExpiryMarginSec(
  config: Pick<Config, "BATCH_MAX_MS" | "COMMIT_LATENCY_MAX">,
): number {
  return Math.ceil(config.BATCH_MAX_MS / 1000) + config.COMMIT_LATENCY_MAX + 1;
}

/** Constraints between variables, checked once each is valid on its own. */
function crossChecks(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const margin = requiredExpiryMarginSec(config);
  if (config.EXPIRY_MARGIN_SECONDS < margin) {
    issues.push({
      variable: "EXPIRY_MARGIN_SECONDS",
      message: `must be at least ${margin} (BATCH_MAX_MS rounded up to seconds + COMMIT_LATENCY_MAX + 1), or a fill matched just before its order stops trading could commit after the order expired`,
    });
  }
  if (config.RATE_LIMIT_BURST < config.MAX_BATCH_ORDERS) {
    issues.push({
      variable: "RATE_LIMIT_BURST",
      message: "must be at least MAX_BATCH_ORDERS, or a full batch could never pass",
    });
  }
  if (config.IP_RATE_LIMIT_PER_SEC > 0 && config.IP_RATE_LIMIT_BURST < config.MAX_BATCH_ORDERS) {
    issues.push({
      variable: "IP_RATE_LIMIT_BURST",
      message: "must be at least MAX_BATCH_ORDERS, or a full batch could never pass",
    });
  }
  return issues;
}
