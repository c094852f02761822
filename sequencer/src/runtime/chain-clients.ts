/**
 * The sequencer's view of the chain: a public client and the sequencer's wallet on the configured
 * RPC, the transaction sender, the settlement client, and the chain clock (exchange time follows
 * the chain head; orders are refused while no commit can land in time).
 */
import { createPublicClient, createWalletClient, defineChain, http, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ChainClock } from "../chain/chain-clock.js";
import { SettlementClient } from "../chain/settlement-client.js";
import { TxSender } from "../chain/tx-sender.js";
import type { Config } from "../config/config.js";
import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";

export interface ChainClients {
  publicClient: PublicClient;
  sender: TxSender;
  client: SettlementClient;
  clock: ChainClock;
}

/** Builds the clients; the clock is not started (`clock.start()`). */
export function chainClients(config: Config, metrics: Metrics, logger: Logger): ChainClients {
  const chain = defineChain({
    id: config.CHAIN_ID,
    name: `chain-${config.CHAIN_ID}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.RPC_URL] } },
  });
  const transport = http(config.RPC_URL, { retryCount: 0, timeout: 5_000 });
  const publicClient = createPublicClient({ chain, transport }) as PublicClient;
  const wallet = createWalletClient({
    chain,
    transport,
    account: privateKeyToAccount(config.SEQUENCER_PRIVATE_KEY),
  });
  const sender = new TxSender(publicClient, wallet, {
    confirmations: Math.max(1, config.CONFIRMATIONS),
    pollIntervalMs: 200,
  });
  const client = new SettlementClient(config.SETTLEMENT_ADDRESS, publicClient, sender);
  const clock = new ChainClock({
    readHead: async () => {
      const block = await publicClient.getBlock({ blockTag: "latest" });
      return { number: block.number, timestamp: block.timestamp };
    },
    commitLatencySec: config.COMMIT_LATENCY_MAX,
    pollMs: Math.min(config.CHAIN_POLL_MS, 1_000),
    onReadyChange: (ready, reason) => {
      metrics.chainCommitReady.set(ready ? 1 : 0);
      if (ready) logger.info("chain: commits can land within COMMIT_LATENCY_MAX; orders accepted");
      else logger.warn({ reason }, "chain: no commit can land in time; new orders refused");
    },
    onReadError: (error) => logger.debug({ err: error }, "chain clock: head read failed"),
    onPoll: (status) => {
      if (status.skewSec !== undefined) metrics.chainClockSkew.set(status.skewSec);
    },
  });
  return { publicClient, sender, client, clock };
}
