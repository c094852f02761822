/**
 * The trader's own watch (issue 21, `watchMyFills`): for one address, it follows every commit,
 * rebuilds the fills from the commit transactions' input, and checks each side naming the trader
 * against the orders that trader signed (kept by its client, not asked of the sequencer). A side
 * that contradicts its order is proven (`proveFillFraud`), two overlapping fills of one order are
 * proven (`proveConflictingFills`), and a side whose order the trader never signed is challenged
 * (`challengeFill`, "I never signed this") and upheld once its deadline passes unanswered, all
 * from the trader's own wallet, on its own, well inside the window. It needs no sequencer: a
 * sequencer that withholds its order feed cannot hide a fraud on the trader's fills from it.
 */
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import type { Order } from "@clearmatch/protocol";
import type { OrderSource } from "./order-sources.js";
import { Watchtower } from "./watchtower.js";
import type {
  ChallengeOutcome,
  ChallengeSent,
  CursorStore,
  ProofSent,
} from "./watchtower-types.js";

/** Where a client keeps the orders it signed (`ClearmatchClient.signedOrders`). */
export interface SignedOrderStore extends OrderSource {
  add(orderHash: Hex, order: Order): void;
}

export interface WatchMyFillsOptions {
  readonly publicClient: PublicClient;
  /** The trader's wallet: its account is the trader watched, and it pays proofs and challenges. */
  readonly walletClient: WalletClient<Transport, Chain | undefined, Account>;
  readonly settlement: Address;
  /** The orders the trader signed (a `ClearmatchClient` keeps them in `signedOrders`). */
  readonly orders: OrderSource;
  /** First block to check when the cursor holds none (the settlement's deployment block). */
  readonly fromBlock: bigint;
  /** Where the last checked block is kept between runs (default: memory, restarts from `fromBlock`). */
  readonly cursor?: CursorStore;
  /** Between checks (default 1,000 ms). */
  readonly pollMs?: number;
  readonly onProof?: (proof: ProofSent) => void;
  readonly onChallenge?: (challenge: ChallengeSent) => void;
  readonly onChallengeOutcome?: (challengeId: bigint, outcome: ChallengeOutcome) => void;
  /** A check that failed (an RPC outage); it is retried at the next poll. */
  readonly onError?: (error: unknown) => void;
}

/** Starts the watch; `stop()` ends it, `stats` counts what it checked, proved and challenged. */
export function watchMyFills(options: WatchMyFillsOptions): Watchtower {
  let block: bigint | undefined;
  const watch = new Watchtower({
    publicClient: options.publicClient,
    walletClient: options.walletClient,
    settlement: options.settlement,
    orders: options.orders,
    cursor: options.cursor ?? { load: () => block, save: (b) => void (block = b) },
    fromBlock: options.fromBlock,
    trader: options.walletClient.account.address,
    onProof: options.onProof,
    onChallenge: options.onChallenge,
    onChallengeOutcome: options.onChallengeOutcome,
  });
  watch.start(options.pollMs ?? 1_000, options.onError);
  return watch;
}
