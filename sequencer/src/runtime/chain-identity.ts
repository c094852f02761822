/**
 * The chain a data directory belongs to. Everything under DATA_DIR (journal, snapshots, batches,
 * watcher cursor, archive) describes one deployment; replaying it against another chain would
 * report balances that chain does not hold. So the directory records its chain's identity in
 * `chain.json` on first start, and every start checks it, before journal recovery, and refuses
 * anything else.
 *
 * The identity: the chain id (as the RPC reports it), the settlement address, and the hash of the
 * deployment block (SETTLEMENT_START_BLOCK; block 0, the genesis, when that is 0). Two fresh
 * development chains deployed by the same keys have identical ids and addresses; only their
 * blocks' hashes tell them apart. The check reads the block at the number the file recorded, so
 * correcting SETTLEMENT_START_BLOCK later does not change the directory's identity (it is logged).
 *
 * A directory with data but no `chain.json` (written by a version before this file existed)
 * adopts the current identity with a warning, unless its watcher cursor lies beyond the chain's
 * head, which proves it was written against another chain.
 */
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  fsyncSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import {
  BlockNotFoundError,
  createPublicClient,
  getAddress,
  http,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import type { Config } from "../config/config.js";
import { syncDir } from "../journal/journal-writer.js";
import type { Logger } from "../logging/logger.js";

/** Name of the identity file inside DATA_DIR. */
export const CHAIN_IDENTITY_FILE = "chain.json";

export interface ChainIdentity {
  /** The chain id the RPC reports. */
  readonly chainId: number;
  /** The settlement proxy, checksummed. */
  readonly settlement: Address;
  /** The block whose hash identifies the deployment (decimal). */
  readonly startBlock: string;
  readonly startBlockHash: Hex;
}

/** What the check reads from the chain (a viem client in the service, a stub in unit tests). */
export interface ChainReader {
  chainId(): Promise<number>;
  /** The block's hash, or undefined when the chain has no such block (yet). */
  blockHash(number: bigint): Promise<Hex | undefined>;
  head(): Promise<bigint>;
}

export type ChainIdentityErrorCode =
  /** DATA_DIR was written against another chain or deployment. */
  | "DATA_DIR_OTHER_CHAIN"
  /** CHAIN_ID is not the chain id RPC_URL serves. */
  | "CHAIN_ID_MISMATCH"
  /** SETTLEMENT_START_BLOCK lies beyond the chain's head on a first start. */
  | "START_BLOCK_AHEAD"
  /** chain.json is unreadable or malformed. */
  | "IDENTITY_FILE_CORRUPT";

/** A start-up refusal: `message` says what, `fix` what to do (main.ts prints both). */
export class ChainIdentityError extends Error {
  override readonly name = "ChainIdentityError";
  constructor(
    readonly code: ChainIdentityErrorCode,
    message: string,
    readonly fix: string,
    readonly recorded?: ChainIdentity,
    readonly current?: ChainIdentity,
  ) {
    super(message);
  }
}

export const OTHER_CHAIN_FIX =
  "point DATA_DIR at a new directory for this chain, or RPC_URL/SETTLEMENT_ADDRESS back at the chain this directory belongs to";

export type ChainIdentityConfig = Pick<
  Config,
  "DATA_DIR" | "RPC_URL" | "CHAIN_ID" | "SETTLEMENT_ADDRESS" | "SETTLEMENT_START_BLOCK"
>;

export interface ChainIdentityOptions {
  logger?: Pick<Logger, "info" | "warn">;
  /** Default: a viem client on RPC_URL. */
  reader?: ChainReader;
  /** Pause between attempts while the RPC fails. Default 500 ms. */
  retryMs?: number;
}

/** The identity as one line, for messages. */
export function describeIdentity(id: ChainIdentity): string {
  return `chain id ${id.chainId}, settlement ${id.settlement}, block ${id.startBlock} hash ${id.startBlockHash}`;
}

/** A viem-backed {@link ChainReader} on `rpcUrl`. */
export function rpcChainReader(rpcUrl: string): ChainReader {
  const client = createPublicClient({
    transport: http(rpcUrl, { retryCount: 0, timeout: 5_000 }),
  }) as PublicClient;
  return {
    chainId: () => client.getChainId(),
    head: () => client.getBlockNumber({ cacheTime: 0 }),
    blockHash: (blockNumber) =>
      client.getBlock({ blockNumber }).then(
        (block) => block.hash ?? undefined,
        (error: unknown) => {
          if (error instanceof BlockNotFoundError) return undefined;
          throw error;
        },
      ),
  };
}

/**
 * Checks DATA_DIR's recorded chain against the chain RPC_URL serves, or records it on first start.
 * Retries while the RPC fails (like the rest of start-up); throws {@link ChainIdentityError} when
 * the directory belongs elsewhere. Returns the directory's identity.
 */
export async function checkChainIdentity(
  config: ChainIdentityConfig,
  options: ChainIdentityOptions = {},
): Promise<ChainIdentity> {
  const dataDir = config.DATA_DIR;
  const file = join(dataDir, CHAIN_IDENTITY_FILE);
  const reader = options.reader ?? rpcChainReader(config.RPC_URL);
  const logger = options.logger;
  const recorded = readIdentityFile(file);
  const startBlock = recorded ? BigInt(recorded.startBlock) : config.SETTLEMENT_START_BLOCK;

  const [chainId, hash, head] = await untilAnswered(options, () =>
    Promise.all([reader.chainId(), reader.blockHash(startBlock), reader.head()]),
  );
  if (chainId !== config.CHAIN_ID) {
    throw new ChainIdentityError(
      "CHAIN_ID_MISMATCH",
      `RPC_URL ${config.RPC_URL} serves chain id ${chainId}, but CHAIN_ID is ${config.CHAIN_ID}`,
      "set CHAIN_ID to the chain id of the chain RPC_URL serves, or RPC_URL to the chain CHAIN_ID names",
    );
  }
  const current: ChainIdentity = {
    chainId,
    settlement: getAddress(config.SETTLEMENT_ADDRESS),
    startBlock: startBlock.toString(),
    startBlockHash: hash ?? (`(none: the chain's head is block ${head})` as Hex),
  };

  if (recorded) {
    const differs = [
      recorded.chainId !== current.chainId && "chain id",
      recorded.settlement !== current.settlement && "settlement address",
      recorded.startBlockHash.toLowerCase() !== current.startBlockHash.toLowerCase() &&
        `block ${recorded.startBlock}'s hash`,
    ].filter((d): d is string => d !== false);
    if (differs.length > 0) {
      throw new ChainIdentityError(
        "DATA_DIR_OTHER_CHAIN",
        `DATA_DIR ${dataDir} belongs to another chain (${differs.join(", ")} ${differs.length > 1 ? "differ" : "differs"}):\n` +
          `  recorded in ${file}: ${describeIdentity(recorded)}\n` +
          `  RPC_URL ${config.RPC_URL}: ${describeIdentity(current)}`,
        OTHER_CHAIN_FIX,
        recorded,
        current,
      );
    }
    if (config.SETTLEMENT_START_BLOCK !== startBlock) {
      logger?.warn(
        { recorded: recorded.startBlock, configured: config.SETTLEMENT_START_BLOCK.toString() },
        "chain identity: SETTLEMENT_START_BLOCK differs from the block this directory recorded; the identity stays the recorded block",
      );
    }
    logger?.info({ identity: recorded }, "chain identity: DATA_DIR belongs to this chain");
    return recorded;
  }

  if (hash === undefined) {
    throw new ChainIdentityError(
      "START_BLOCK_AHEAD",
      `SETTLEMENT_START_BLOCK ${startBlock} is beyond the head (block ${head}) of the chain at RPC_URL ${config.RPC_URL}`,
      "set SETTLEMENT_START_BLOCK to the block the settlement proxy was deployed in, or RPC_URL to the chain it was deployed on",
    );
  }
  if (hasData(dataDir)) {
    const cursor = readCursor(join(dataDir, "chain-cursor.json"));
    if (cursor !== undefined && cursor > head) {
      throw new ChainIdentityError(
        "DATA_DIR_OTHER_CHAIN",
        `DATA_DIR ${dataDir} has no ${CHAIN_IDENTITY_FILE} (written by an older version) and its chain watcher processed block ${cursor}, beyond this chain's head (block ${head}): it belongs to another chain\n` +
          `  RPC_URL ${config.RPC_URL}: ${describeIdentity(current)}`,
        OTHER_CHAIN_FIX,
        undefined,
        current,
      );
    }
    logger?.warn(
      { identity: current, file },
      `chain identity: DATA_DIR has data but no ${CHAIN_IDENTITY_FILE} (written by an older version): adopting this chain's identity; if the directory was written against another chain, stop now and ${OTHER_CHAIN_FIX}`,
    );
  } else {
    logger?.info({ identity: current, file }, "chain identity: recorded for a new DATA_DIR");
  }
  writeIdentityFile(dataDir, file, current);
  return current;
}

/** RPC failures are retried (as the rest of start-up does); refusals are not. */
async function untilAnswered<T>(options: ChainIdentityOptions, read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt % 10 === 1) {
        options.logger?.warn(
          { err: error, attempt },
          "chain identity: reading the chain failed, retrying",
        );
      }
      await new Promise((r) => setTimeout(r, options.retryMs ?? 500));
    }
  }
}

function readIdentityFile(file: string): ChainIdentity | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const fix = `restore ${file} from a backup of this directory, or delete it to adopt the chain RPC_URL serves (only if that is this directory's chain)`;
  let parsed: Partial<Record<keyof ChainIdentity, unknown>>;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (error) {
    throw new ChainIdentityError(
      "IDENTITY_FILE_CORRUPT",
      `${file} is not valid JSON: ${String(error)}`,
      fix,
    );
  }
  const { chainId, settlement, startBlock, startBlockHash } = parsed;
  if (
    typeof chainId !== "number" ||
    typeof settlement !== "string" ||
    typeof startBlock !== "string" ||
    !/^\d+$/.test(startBlock) ||
    typeof startBlockHash !== "string" ||
    !/^0x[0-9a-fA-F]{64}$/.test(startBlockHash)
  ) {
    throw new ChainIdentityError(
      "IDENTITY_FILE_CORRUPT",
      `${file} is not a chain identity: ${text}`,
      fix,
    );
  }
  return {
    chainId,
    settlement: getAddress(settlement),
    startBlock,
    startBlockHash: startBlockHash as Hex,
  };
}

/** Written to a temporary name, fsynced, renamed into place and the directory fsynced. */
function writeIdentityFile(dataDir: string, file: string, identity: ChainIdentity): void {
  mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(
      fd,
      `${JSON.stringify({ ...identity, recordedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDir(dataDir);
}

/** Whether an earlier run left state here (the journal, batches, cursor or archive). */
function hasData(dataDir: string): boolean {
  return ["journal", "batches", "chain-cursor.json", "history.sqlite"].some((name) =>
    existsSync(join(dataDir, name)),
  );
}

function readCursor(file: string): bigint | undefined {
  try {
    return BigInt((JSON.parse(readFileSync(file, "utf8")) as { block: string }).block);
  } catch {
    return undefined;
  }
}
