/**
 * The chain's clock, as the sequencer must judge time (DESIGN.md, "Time"). The contract judges
 * expiry by the commit block's `block.timestamp`; a sequencer that judged it by the wall clock
 * committed provably expired fills whenever the chain ran ahead of the host (a `hardhat node`
 * after a deployment ran 73-100 s ahead). So every record the sequencer journals is stamped with
 * this clock: the later of the wall clock and the chain head's time carried forward by the wall
 * clock since the head was read, never going backwards. A commit sent now lands by that time plus
 * the commit latency bound (`COMMIT_LATENCY_MAX`).
 *
 * The bound holds only while the chain takes commits: when no head could be read within it, or
 * the chain's head is older than the bound (it stopped producing blocks), the clock is not
 * `ready`, and intake stops matching (CHAIN_UNAVAILABLE) until it is again.
 */

/** The chain head as read over RPC. */
export interface ChainHead {
  number: bigint;
  /** Unix seconds. */
  timestamp: bigint;
}

export interface ChainClockOptions {
  /** Reads the head (`eth_getBlockByNumber("latest")`). */
  readHead: () => Promise<ChainHead>;
  /** Bound on the time from sending a commit to its block (seconds): COMMIT_LATENCY_MAX. */
  commitLatencySec: number;
  /** Head poll interval. Default 1,000 ms. */
  pollMs?: number;
  /** Wall clock, ms since the epoch. Default `Date.now`. */
  wall?: () => number;
  /** Called when `ready` changes, with the reason when it is false. */
  onReadyChange?: (ready: boolean, reason: string | undefined) => void;
  /** Called with a failed head read (the clock keeps running on the wall clock meanwhile). */
  onReadError?: (error: unknown) => void;
  /** Called after every poll, successful or not (metrics). */
  onPoll?: (status: ChainClockStatus) => void;
}

export interface ChainClockStatus {
  /** Whether a commit sent now can land within the bound. */
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
  /** Chain head time minus the wall clock when it was read (seconds; positive: chain ahead). */
  skewSec?: number;
  /** Seconds since the last successful head read. */
  headAgeSec?: number;
  head?: ChainHead;
}

export class ChainClock {
  readonly commitLatencySec: number;
  readonly #readHead: () => Promise<ChainHead>;
  readonly #wall: () => number;
  readonly #pollMs: number;
  readonly #onReadyChange: ChainClockOptions["onReadyChange"];
  readonly #onReadError: ChainClockOptions["onReadError"];
  readonly #onPoll: ChainClockOptions["onPoll"];
  #head: ChainHead | undefined;
  /** Wall clock (ms) when #head was read. */
  #readAt = 0;
  #last = 0;
  #ready = false;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;

  constructor(options: ChainClockOptions) {
    if (!(options.commitLatencySec > 0)) throw new RangeError("commitLatencySec must be > 0");
    this.commitLatencySec = options.commitLatencySec;
    this.#readHead = options.readHead;
    this.#wall = options.wall ?? Date.now;
    this.#pollMs = options.pollMs ?? 1_000;
    this.#onReadyChange = options.onReadyChange;
    this.#onReadError = options.onReadError;
    this.#onPoll = options.onPoll;
  }

  /** Reads the head once (throws if it cannot), then keeps reading it every `pollMs`. */
  async start(): Promise<void> {
    await this.#read();
    this.#updateReady();
    this.#onPoll?.(this.status());
    this.#timer = setInterval(() => void this.poll(), this.#pollMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One head read (joining one in flight); failures are reported, the last head stays. */
  poll(): Promise<void> {
    this.#polling ??= this.#pollOnce().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  async #pollOnce(): Promise<void> {
    try {
      await this.#read();
    } catch (error) {
      this.#onReadError?.(error);
    } finally {
      this.#updateReady();
      this.#onPoll?.(this.status());
    }
  }

  async #read(): Promise<void> {
    const head = await this.#readHead();
    this.#head = head;
    this.#readAt = this.#wall();
  }

  /**
   * Exchange time, ms since the epoch: the later of the wall clock and the chain's time (its
   * head's timestamp plus the wall time since it was read). Never decreases.
   */
  now(): number {
    const wall = this.#wall();
    let t = wall;
    if (this.#head) {
      const chain = Number(this.#head.timestamp) * 1000 + (wall - this.#readAt);
      if (chain > t) t = chain;
    }
    if (t < this.#last) t = this.#last;
    this.#last = t;
    return t;
  }

  get ready(): boolean {
    return this.#ready;
  }

  status(): ChainClockStatus {
    const wall = this.#wall();
    const reason = this.#notReadyReason(wall);
    return {
      ready: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
      ...(this.#head
        ? {
            skewSec: this.skewSec!,
            headAgeSec: (wall - this.#readAt) / 1000,
            head: this.#head,
          }
        : {}),
    };
  }

  /** Chain head time minus the wall clock at the read (seconds), once a head was read. */
  get skewSec(): number | undefined {
    if (!this.#head) return undefined;
    return Number(this.#head.timestamp) - this.#readAt / 1000;
  }

  #notReadyReason(wall: number): string | undefined {
    if (!this.#head) return "the chain head has not been read";
    const bound = this.commitLatencySec;
    const sinceRead = (wall - this.#readAt) / 1000;
    if (sinceRead > bound) {
      return `no chain head read for ${Math.floor(sinceRead)} s (RPC unreachable?): a commit could not land within COMMIT_LATENCY_MAX (${bound} s)`;
    }
    const behind = -this.skewSec!;
    if (behind > bound) {
      return `the chain head is ${Math.floor(behind)} s behind this host's clock (the chain is not producing blocks, or a clock is wrong): a commit could not land within COMMIT_LATENCY_MAX (${bound} s)`;
    }
    return undefined;
  }

  #updateReady(): void {
    const reason = this.#notReadyReason(this.#wall());
    const ready = reason === undefined;
    if (ready === this.#ready) return;
    this.#ready = ready;
    this.#onReadyChange?.(ready, reason);
  }

  /** Re-evaluates readiness without a read (the poll does it too); for callers on a hot path. */
  check(): boolean {
    this.#updateReady();
    return this.#ready;
  }
}
