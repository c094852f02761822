import { mkdir, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { open } from "node:fs/promises";
import { parseEventLogs, type Address, type Log, type PublicClient } from "viem";
import { settlementAbi, type SettlementEvent } from "@clearmatch/protocol";
import { toChainError } from "./chain-errors.js";

/** A decoded settlement event with its position on the chain. */
export type ChainEvent = SettlementEvent & {
  blockNumber: bigint;
  logIndex: number;
  transactionHash: `0x${string}`;
  /**
   * Total order of events: blockNumber * 2^20 + logIndex. Consumers apply an event only if its
   * position is above the last one they applied, which makes re-delivery after a crash harmless.
   */
  position: bigint;
};

/** Where the watcher remembers the last block it fully delivered. */
export interface CursorStore {
  load(): Promise<bigint | undefined>;
  save(block: bigint): Promise<void>;
}

/** Cursor in a small JSON file, replaced atomically (write temp, fsync, rename). */
export class FileCursorStore implements CursorStore {
  constructor(private readonly path: string) {}

  async load(): Promise<bigint | undefined> {
    try {
      const { block } = JSON.parse(await readFile(this.path, "utf8")) as { block: string };
      return BigInt(block);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async save(block: bigint): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(JSON.stringify({ block: block.toString() }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.path);
  }
}

/** Options of {@link ChainWatcher}; defaults in {@link CHAIN_WATCHER_DEFAULTS}. */
export interface ChainWatcherOptions {
  /** Blocks a log must be buried under before delivery (0 = deliver at the head). Default 1. */
  confirmations?: number;
  /** Poll interval while healthy. Default 1,000 ms. */
  pollIntervalMs?: number;
  /** Largest block range per eth_getLogs request. Default 2,000. */
  maxBlockRange?: bigint;
  /** First block to read when no cursor is stored (the deployment block). Default 0. */
  startBlock?: bigint;
  /** Longest backoff after repeated RPC failures. Default 30,000 ms. */
  maxBackoffMs?: number;
}

export const CHAIN_WATCHER_DEFAULTS: Required<ChainWatcherOptions> = {
  confirmations: 1,
  pollIntervalMs: 1_000,
  maxBlockRange: 2_000n,
  startBlock: 0n,
  maxBackoffMs: 30_000,
};

export interface ChainWatcherStatus {
  /** Last block delivered. */
  cursor: bigint | undefined;
  /** Chain head seen at the last successful poll. */
  head: bigint | undefined;
  /** Consecutive failed polls (0 when healthy). */
  failures: number;
}

/**
 * Follows the settlement contract's events with confirmations and delivers them in order, chunk by
 * chunk. The cursor is saved only after the handler has taken a chunk, so an RPC outage or a crash
 * loses nothing; a crash between handler and save re-delivers that chunk, which consumers skip by
 * `position`.
 */
export class ChainWatcher {
  readonly options: Required<ChainWatcherOptions>;
  #cursor: bigint | undefined;
  #head: bigint | undefined;
  #failures = 0;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly client: PublicClient,
    private readonly address: Address,
    private readonly cursorStore: CursorStore,
    private readonly handler: (events: ChainEvent[], toBlock: bigint) => Promise<void>,
    options: ChainWatcherOptions = {},
    private readonly onError: (error: unknown, failures: number) => void = () => {},
  ) {
    this.options = { ...CHAIN_WATCHER_DEFAULTS, ...options };
  }

  status(): ChainWatcherStatus {
    return { cursor: this.#cursor, head: this.#head, failures: this.#failures };
  }

  /**
   * Delivers everything confirmed up to now. Returns the new cursor. Throws (leaving the cursor
   * where it was) when the RPC fails.
   */
  async pollOnce(): Promise<bigint | undefined> {
    if (this.#cursor === undefined) {
      this.#cursor = (await this.cursorStore.load()) ?? this.options.startBlock - 1n;
    }
    let head: bigint;
    try {
      head = await this.client.getBlockNumber({ cacheTime: 0 });
    } catch (error) {
      throw toChainError(error, "getBlockNumber");
    }
    this.#head = head;
    const safe = head - BigInt(this.options.confirmations);
    while (this.#cursor < safe) {
      const from = this.#cursor + 1n;
      const to = minBig(safe, from + this.options.maxBlockRange - 1n);
      let logs: Log[];
      try {
        logs = await this.client.getLogs({ address: this.address, fromBlock: from, toBlock: to });
      } catch (error) {
        throw toChainError(error, `getLogs ${from}-${to}`);
      }
      await this.handler(decode(logs), to);
      await this.cursorStore.save(to);
      this.#cursor = to;
    }
    return this.#cursor;
  }

  /** Polls until {@link stop}, backing off exponentially while the RPC fails. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
  }

  #wake: (() => void) | undefined;

  async #run(): Promise<void> {
    while (this.#running) {
      let delay = this.options.pollIntervalMs;
      try {
        await this.pollOnce();
        this.#failures = 0;
      } catch (error) {
        this.#failures++;
        this.onError(error, this.#failures);
        delay = Math.min(
          this.options.maxBackoffMs,
          this.options.pollIntervalMs * 2 ** Math.min(this.#failures, 10),
        );
      }
      if (!this.#running) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, delay);
      });
    }
  }
}

function decode(logs: Log[]): ChainEvent[] {
  return parseEventLogs({ abi: settlementAbi, logs, strict: true }).map((log) => ({
    // viem types each log by its own event; the pair is the union's member of that name.
    ...({ name: log.eventName, args: log.args } as SettlementEvent),
    blockNumber: log.blockNumber,
    logIndex: log.logIndex,
    transactionHash: log.transactionHash,
    position: (log.blockNumber << 20n) + BigInt(log.logIndex),
  }));
}

const minBig = (a: bigint, b: bigint) => (a < b ? a : b);
