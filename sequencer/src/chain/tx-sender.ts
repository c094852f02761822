import type {
  Account,
  Address,
  Chain,
  Hash,
  Hex,
  PublicClient,
  TransactionReceipt,
  Transport,
  WalletClient,
} from "viem";
import { ChainError, toChainError } from "./chain-errors.js";

/** Options of {@link TxSender}; defaults in {@link TX_SENDER_DEFAULTS}. */
export interface TxSenderOptions {
  /** Blocks on top of the inclusion block before a receipt counts. Default 1 (inclusion only). */
  confirmations?: number;
  /** How long to wait for inclusion before re-sending the same nonce with higher fees. Default 15 s. */
  replaceAfterMs?: number;
  /** Fee increase of each replacement, percent. Nodes require at least 10. Default 25. */
  feeBumpPercent?: number;
  /** Replacements before giving up with a transient TX_NOT_MINED. Default 4. */
  maxReplacements?: number;
  /** Receipt and head polling interval. Default 250 ms. */
  pollIntervalMs?: number;
}

export const TX_SENDER_DEFAULTS: Required<TxSenderOptions> = {
  confirmations: 1,
  replaceAfterMs: 15_000,
  feeBumpPercent: 25,
  maxReplacements: 4,
  pollIntervalMs: 250,
};

export interface TxRequest {
  to: Address;
  data: Hex;
  /** For logs and errors. */
  label: string;
}

/** How one {@link TxSender.send} ended, for {@link TxSender.onSettled}. */
export interface TxOutcome {
  readonly request: TxRequest;
  /** The confirmed receipt, when the transaction succeeded. */
  readonly receipt?: TransactionReceipt;
  /** Why it failed (a ChainError), when it did. */
  readonly error?: unknown;
  /** From its turn in the sender (gas estimate, send, replacements) to the outcome. */
  readonly seconds: number;
}

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends the sequencer's transactions one at a time with explicit nonces: estimates gas (a revert
 * there is permanent), sends, waits for inclusion, replaces a stuck transaction with the same nonce
 * and higher fees, then waits for the configured confirmations. Any of the sent hashes may be the
 * one mined; all are watched.
 */
export class TxSender {
  readonly options: Required<TxSenderOptions>;
  #queue: Promise<unknown> = Promise.resolve();
  /**
   * A transaction we gave up waiting for (TX_NOT_MINED) may still sit in the mempool. The next send
   * takes the same nonce (sends are serial, so every other one of ours is mined) and outbids it,
   * so it is replaced instead of queued behind it.
   */
  #stuck: { nonce: number; fees: Fees } | undefined;

  constructor(
    private readonly publicClient: PublicClient,
    private readonly walletClient: WalletClient<Transport, Chain, Account>,
    options: TxSenderOptions = {},
  ) {
    this.options = { ...TX_SENDER_DEFAULTS, ...options };
  }

  get address(): Address {
    return this.walletClient.account.address;
  }

  /** Told how each send ended (metrics, logs); what it throws is ignored. */
  onSettled: ((outcome: TxOutcome) => void) | undefined;

  /** Sends `request` after every earlier one has settled; resolves with the confirmed receipt. */
  send(request: TxRequest): Promise<TransactionReceipt> {
    const run = this.#queue.then(() => this.#told(request));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #told(request: TxRequest): Promise<TransactionReceipt> {
    const started = performance.now();
    const tell = (outcome: { receipt?: TransactionReceipt; error?: unknown }) => {
      try {
        this.onSettled?.({ request, ...outcome, seconds: (performance.now() - started) / 1000 });
      } catch {
        // An observer's fault never fails a send.
      }
    };
    try {
      const receipt = await this.#send(request);
      tell({ receipt });
      return receipt;
    } catch (error) {
      tell({ error });
      throw error;
    }
  }

  async #send(request: TxRequest): Promise<TransactionReceipt> {
    const account = this.walletClient.account;
    let gas: bigint;
    let nonce: number;
    let fees: Fees;
    try {
      gas = await this.publicClient.estimateGas({ account, to: request.to, data: request.data });
      // 20% headroom: state can move between estimation and inclusion.
      gas = (gas * 120n) / 100n;
      nonce = await this.publicClient.getTransactionCount({
        address: account.address,
        blockTag: "latest",
      });
      fees = await this.#fees();
      if (this.#stuck?.nonce === nonce)
        fees = max(fees, bump(this.#stuck.fees, this.options.feeBumpPercent));
    } catch (error) {
      throw toChainError(error, request.label);
    }

    const hashes: Hash[] = [];
    for (let attempt = 0; attempt <= this.options.maxReplacements; attempt++) {
      try {
        hashes.push(
          await this.walletClient.sendTransaction({
            account,
            chain: this.walletClient.chain,
            to: request.to,
            data: request.data,
            gas,
            nonce,
            ...fees,
          }),
        );
      } catch (error) {
        // "nonce too low" / "already known" mean an earlier attempt is in or mined: keep waiting.
        if (hashes.length === 0 || !isNonceConsumed(error))
          throw toChainError(error, request.label);
      }
      const receipt = await this.#waitForAny(hashes, this.options.replaceAfterMs);
      if (receipt !== undefined) {
        this.#stuck = undefined;
        return this.#confirm(receipt, request.label);
      }
      if (attempt < this.options.maxReplacements) fees = bump(fees, this.options.feeBumpPercent);
    }
    this.#stuck = { nonce, fees };
    throw new ChainError(
      "TX_NOT_MINED",
      `${request.label}: not mined after ${this.options.maxReplacements} replacements`,
      true,
    );
  }

  async #fees(): Promise<Fees> {
    const estimate = await this.publicClient.estimateFeesPerGas();
    return {
      maxFeePerGas: estimate.maxFeePerGas,
      maxPriorityFeePerGas: estimate.maxPriorityFeePerGas,
    };
  }

  async #waitForAny(hashes: Hash[], timeoutMs: number): Promise<TransactionReceipt | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const hash of hashes) {
        const receipt = await this.publicClient
          .getTransactionReceipt({ hash })
          .catch(() => undefined);
        if (receipt !== undefined) return receipt;
      }
      if (Date.now() >= deadline) return undefined;
      await sleep(this.options.pollIntervalMs);
    }
  }

  async #confirm(receipt: TransactionReceipt, label: string): Promise<TransactionReceipt> {
    if (receipt.status !== "success") {
      throw new ChainError(
        "TX_REVERTED",
        `${label}: reverted in ${receipt.transactionHash}`,
        false,
      );
    }
    const target = receipt.blockNumber + BigInt(this.options.confirmations - 1);
    for (;;) {
      const head = await this.publicClient.getBlockNumber({ cacheTime: 0 }).catch((error) => {
        throw toChainError(error, label);
      });
      if (head >= target) break;
      await sleep(this.options.pollIntervalMs);
    }
    // A reorg may have dropped it: the receipt must still be there at the confirmed depth.
    const again = await this.publicClient
      .getTransactionReceipt({ hash: receipt.transactionHash })
      .catch(() => undefined);
    if (again === undefined || again.blockHash !== receipt.blockHash) {
      throw new ChainError("TX_NOT_MINED", `${label}: reorganised out`, true);
    }
    return again;
  }
}

function bump(fees: Fees, percent: number): Fees {
  const factor = BigInt(100 + percent);
  return {
    maxFeePerGas: (fees.maxFeePerGas * factor) / 100n + 1n,
    maxPriorityFeePerGas: (fees.maxPriorityFeePerGas * factor) / 100n + 1n,
  };
}

function max(a: Fees, b: Fees): Fees {
  return {
    maxFeePerGas: a.maxFeePerGas > b.maxFeePerGas ? a.maxFeePerGas : b.maxFeePerGas,
    maxPriorityFeePerGas:
      a.maxPriorityFeePerGas > b.maxPriorityFeePerGas
        ? a.maxPriorityFeePerGas
        : b.maxPriorityFeePerGas,
  };
}

function isNonceConsumed(error: unknown): boolean {
  const text = String((error as Error)?.message ?? error).toLowerCase();
  return text.includes("nonce too low") || text.includes("already known");
}
