/**
 * Who signed: an order's or cancel's signature checked against its trader, by ECDSA recovery
 * (fast path, or viem's) or, for a smart-contract wallet, by the chain (an on-chain approval for
 * an order, ERC-1271 for a cancel). Every chain call is bounded in time, cached where it can be,
 * and counted against the request's budget (`ChainSignerLimits`).
 */
import {
  CryptoError,
  CryptoErrorReason,
  bytesToHex,
  type OrderHasher,
  orderTypes,
  type Order,
  settlementAbi,
} from "@clearmatch/protocol";
import {
  hashTypedData,
  recoverAddress as viemRecoverAddress,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { checkSignature, recoverAddress } from "../crypto/recover.js";
import { ClearmatchError } from "../errors/clearmatch-error.js";

/**
 * What a signature that does not recover to its trader may cost. Such a signature is checked on
 * the chain only when the trader's address holds code (ERC-1271); an address without code can
 * sign only with ECDSA, so a forged signature for it is refused without a chain call once its
 * code is known. Every chain call of intake goes through these bounds:
 */
export interface ChainSignerLimits {
  /** Addresses whose code (present or not) is remembered. Oldest are forgotten first. */
  readonly codeCacheSize: number;
  /** How long a code lookup is remembered, ms. */
  readonly codeCacheTtlMs: number;
  /** Longest wait for one chain call (code lookup or `isValidSignature`), ms. */
  readonly callTimeoutMs: number;
  /**
   * Chain calls one request (an order, a batch of orders, a cancel) may spend on code lookups
   * and on wallet checks that refuse (or time out); a wallet check that accepts costs nothing
   * (only the wallet's owner can produce one). Beyond it, a signature that does not recover to
   * its trader is refused (BAD_SIGNATURE) without asking the chain.
   */
  readonly callsPerRequest: number;
}

export const DEFAULT_CHAIN_SIGNER_LIMITS: ChainSignerLimits = {
  codeCacheSize: 10_000,
  codeCacheTtlMs: 60_000,
  callTimeoutMs: 2_000,
  callsPerRequest: 4,
};

/** The chain calls one request has left (`ChainSignerLimits.callsPerRequest`). */
export interface ChainBudget {
  calls: number;
}

/** `promise`, or `undefined` once `ms` passed. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The signature checks `recoverAddress` applies (EIP-2 low s, ranges), without recovering. */
export function validSignature(signature: Hex): boolean {
  try {
    checkSignature(signature);
    return true;
  } catch {
    return false;
  }
}

/** `expected` when the signature recovers to it (synchronously); else undefined. */
export function recoversTo(
  digest: Uint8Array,
  signature: Hex,
  expected: Address,
): Address | undefined {
  try {
    return recoverAddress(digest, signature).toLowerCase() === expected.toLowerCase()
      ? expected
      : undefined;
  } catch {
    return undefined;
  }
}

export interface SignerCheckDeps {
  hasher: OrderHasher;
  settlement: Address;
  /** For smart-contract wallets; without it only ECDSA signatures count. */
  publicClient?: PublicClient | undefined;
  limits?: Partial<ChainSignerLimits> | undefined;
  /** ms: code cache times. */
  now: () => number;
}

export class SignerCheck {
  readonly limits: ChainSignerLimits;
  /** The contract's cancel grace (`cancelGraceBlocks`), read once when a wallet order needs it. */
  #cancelGrace: Promise<number> | undefined;
  /** Whether an address holds code, by lowercase address: `[hasCode, until ms]` (insertion order). */
  readonly #codeCache = new Map<string, [boolean, number]>();
  /** Code lookups on their way, by lowercase address (concurrent requests share one). */
  readonly #codeLookups = new Map<string, Promise<boolean | undefined>>();

  constructor(private readonly deps: SignerCheckDeps) {
    this.limits = { ...DEFAULT_CHAIN_SIGNER_LIMITS, ...deps.limits };
  }

  /** A fresh budget for one request. */
  budget(): ChainBudget {
    return { calls: this.limits.callsPerRequest };
  }

  /**
   * The signer: `expected` when the signature recovers to it, or, for a smart-contract wallet, when
   * it consents: for an order (`order`), only through an approval recorded on-chain at least the
   * contract's cancel grace ago, the one consent the contract counts when a challenge is answered
   * (docs/protocol.md, section 4); for a cancel, its ERC-1271 answer now (a cancel only removes).
   */
  async verify(
    digest: Uint8Array | Hex,
    signature: Hex,
    expected: Address,
    budget: ChainBudget,
    { viem = false, order = false }: { viem?: boolean; order?: boolean } = {},
  ): Promise<Address> {
    const walletConsents = async (): Promise<boolean> => {
      if (!order) return this.#erc1271(digest, signature, expected, budget);
      const approval = await this.#approvedOnChain(digest, expected, budget);
      if (approval === true) return true;
      if (approval === false) return false;
      throw new ClearmatchError("BAD_SIGNATURE", approval.message, { details: approval.details });
    };
    let recovered: Address | undefined;
    try {
      recovered = viem
        ? await this.#viemRecover(digest as Hex, signature)
        : recoverAddress(digest, signature);
    } catch (error) {
      if (!(error instanceof CryptoError)) throw error;
      if (!(await walletConsents())) {
        throw new ClearmatchError("BAD_SIGNATURE", error.message, {
          details: { reason: error.reason },
          cause: error,
        });
      }
      return expected;
    }
    if (recovered.toLowerCase() === expected.toLowerCase()) return expected;
    if (await walletConsents()) return expected;
    throw new ClearmatchError("BAD_SIGNATURE", "the signature does not recover to the trader", {
      details: { recovered, expected },
    });
  }

  /**
   * Whether smart-contract wallet `account` approved the order `digest` on-chain
   * (`approvedAtBlock`) at least `cancelGraceBlocks` before the chain head, so that any commit from
   * now on counts the approval: true; false for an address without code (or a chain that does not
   * answer); the reason otherwise. Every chain call is bounded and counted against `budget`.
   */
  async #approvedOnChain(
    digest: Uint8Array | Hex,
    account: Address,
    budget: ChainBudget,
  ): Promise<boolean | { message: string; details: Record<string, unknown> }> {
    const client = this.deps.publicClient;
    if (!client) return false;
    if (!(await this.#hasCode(client, account, budget))) return false;
    if (budget.calls < 3) return false;
    budget.calls -= 3;
    const hash = typeof digest === "string" ? digest : bytesToHex(digest);
    const settlement = { address: this.deps.settlement, abi: settlementAbi } as const;
    const answers = await within(
      Promise.all([
        client.readContract({
          ...settlement,
          functionName: "approvedAtBlock",
          args: [account, hash],
        }),
        // A deployment parameter: read once (again only after a failed read).
        (this.#cancelGrace ??= client
          .readContract({ ...settlement, functionName: "cancelGraceBlocks" })
          .catch((error: unknown) => {
            this.#cancelGrace = undefined;
            throw error;
          })),
        client.getBlockNumber({ cacheTime: 0 }),
      ]).catch(() => undefined),
      this.limits.callTimeoutMs,
    );
    if (answers === undefined) {
      budget.calls = 0; // a chain that did not answer in time will not answer the next check
      return false;
    }
    const [approvedAt, grace, head] = answers;
    if (approvedAt === 0n) {
      return {
        message:
          "a contract wallet's order counts only once approved on-chain: approveOrder(orderHash) from the wallet, or recordApproval(wallet, orderHash, signature)",
        details: { reason: "NOT_APPROVED_ON_CHAIN", orderHash: hash },
      };
    }
    const usableFrom = approvedAt + BigInt(grace);
    if (usableFrom > head) {
      return {
        message: `the order's on-chain approval counts from block ${usableFrom} (the contract's cancel grace after it); submit it then`,
        details: {
          reason: "APPROVAL_TOO_RECENT",
          orderHash: hash,
          approvedAt: approvedAt.toString(),
          usableFromBlock: usableFrom.toString(),
        },
      };
    }
    budget.calls += 3; // a wallet's own consent is real work, not charged
    return true;
  }

  /** viem's EIP-712 digest of `order` (what `recoverTypedDataAddress` hashes). */
  viemHash(order: Order): Hex {
    const { domain } = this.deps.hasher;
    return hashTypedData({ domain, types: orderTypes, primaryType: "Order", message: order });
  }

  /** viem's recovery, behind the same signature checks as the fast path (EIP-2 low s...). */
  async #viemRecover(hash: Hex, signature: Hex): Promise<Address> {
    checkSignature(signature);
    try {
      return await viemRecoverAddress({ hash, signature });
    } catch (cause) {
      throw new CryptoError(CryptoErrorReason.SignatureUnrecoverable, "no public key recoverable", {
        cause,
      });
    }
  }

  /**
   * Smart-contract wallet: the chain decides (outside the synchronous section). Only an address
   * with code can accept a signature that does not recover to it; whether it has code is cached
   * (`ChainSignerLimits`), and every chain call is bounded in time and counted against `budget`.
   */
  async #erc1271(
    digest: Uint8Array | Hex,
    signature: Hex,
    account: Address,
    budget: ChainBudget,
  ): Promise<boolean> {
    const client = this.deps.publicClient;
    if (!client) return false;
    const hasCode = await this.#hasCode(client, account, budget);
    if (!hasCode) return false;
    if (budget.calls <= 0) return false;
    budget.calls--;
    const hash = typeof digest === "string" ? digest : bytesToHex(digest);
    const valid = await within(
      client.verifyHash({ address: account, hash, signature }).catch(() => false),
      this.limits.callTimeoutMs,
    );
    // An accepted signature is the wallet's own consent: real work, not charged. A chain that
    // did not answer in time will not answer the request's next check either.
    if (valid === true) budget.calls++;
    else if (valid === undefined) budget.calls = 0;
    return valid === true;
  }

  /** Whether `account` holds code: cached, shared while in flight; undefined when unknown. */
  async #hasCode(
    client: PublicClient,
    account: Address,
    budget: ChainBudget,
  ): Promise<boolean | undefined> {
    const key = account.toLowerCase();
    const now = this.deps.now();
    const cached = this.#codeCache.get(key);
    if (cached && cached[1] > now) return cached[0];
    if (cached) this.#codeCache.delete(key);
    let lookup = this.#codeLookups.get(key);
    if (!lookup) {
      if (budget.calls <= 0) return undefined;
      budget.calls--;
      lookup = within(
        client.getCode({ address: account }).then(
          (code) => code !== undefined && code !== "0x",
          () => undefined,
        ),
        this.limits.callTimeoutMs,
      ).then((found) => {
        this.#codeLookups.delete(key);
        if (found !== undefined) this.#remember(key, found);
        return found;
      });
      this.#codeLookups.set(key, lookup);
    }
    const found = await lookup;
    if (found === undefined) budget.calls = 0;
    return found;
  }

  #remember(key: string, hasCode: boolean): void {
    const cache = this.#codeCache;
    cache.delete(key);
    while (cache.size >= this.limits.codeCacheSize) {
      const oldest = cache.keys().next();
      if (oldest.done) break;
      cache.delete(oldest.value);
    }
    cache.set(key, [hasCode, this.deps.now() + this.limits.codeCacheTtlMs]);
  }
}
