/**
 * `npm run watchtower`: a watchtower anyone can run (sdk/src/watchtower.ts). It
 * follows every commit of the settlement contract, rebuilds the fills from the commit
 * transactions' input, judges them against the signed orders of the sequencer's order feed with
 * the contract's own rules, and sends a fraud proof for any batch it can prove (or two fills of
 * one order that overlap), paid by its own key. Its cursor lives in its own directory, so a
 * restart misses no batch.
 *
 * `npm run watch-my-fills` (this script with `--trader`): a trader's own watch (the SDK's
 * `watchMyFills`). It judges only the fills naming the trader, against the orders the trader
 * signed (a JSON-lines file its client appends to, `JsonlOrderStore`), proves fraud from the
 * trader's key, and challenges a fill of an order the trader never signed, upholding the
 * challenge when the sequencer leaves it unanswered. It needs nothing from the sequencer.
 *
 * Environment:
 *   RPC_URL                 the chain (required)
 *   SETTLEMENT_ADDRESS      the settlement proxy (required)
 *   WATCHTOWER_KEY          0x + 64 hex: the key that pays for proofs (required; with --trader:
 *                           the trader's key)
 *   ORDER_FEED_URL          the sequencer's API base URL, for its order feed (optional: without
 *                           it every fill is counted as one whose orders are missing; unused
 *                           with --trader)
 *   SIGNED_ORDERS_FILE      with --trader: the trader's signed orders (default
 *                           <WATCHTOWER_DATA_DIR>/signed-orders.jsonl)
 *   SETTLEMENT_START_BLOCK  first block to check when there is no cursor yet (default 0)
 *   WATCHTOWER_DATA_DIR     its state (default ./data/watchtower, ./data/watch-<trader> with --trader)
 *   WATCHTOWER_POLL_MS      between checks (default 1000)
 *   WATCHTOWER_METRICS_PORT serve Prometheus metrics at http://127.0.0.1:<port>/metrics (optional)
 *
 * After each check it writes its counts to `<WATCHTOWER_DATA_DIR>/stats.json` (the demo reads
 * them): batches and fills checked, sides without orders, proofs and challenges sent and how they
 * ended, cursor, lag.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  isAddress,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
// The native keccak256 for the protocol's hashes (leaves, trees, order digests), as the sequencer.
import "../sequencer/src/crypto/keccak.js";
import {
  ClearmatchClient,
  FeedOrderSource,
  MapOrderSource,
  Watchtower,
  type OrderSource,
} from "@clearmatch/sdk";
import { FileCursorStore } from "./lib/watch-state.js";
import { JsonlOrderStore } from "./lib/jsonl-order-store.js";
import { watchMetrics } from "./lib/watch-metrics.js";

const traderMode = process.argv.includes("--trader");
const name = traderMode ? "watch-my-fills" : "watchtower";
const log = (message: string) => process.stdout.write(`[${name}] ${message}\n`);

function required(variable: string): string {
  const value = process.env[variable];
  if (!value) {
    process.stderr.write(
      `[${name}] error: ${variable} is required (see the header of scripts/watchtower.ts)\n`,
    );
    process.exit(2);
  }
  return value;
}

async function main() {
  const rpcUrl = required("RPC_URL");
  const settlement = required("SETTLEMENT_ADDRESS");
  const key = required("WATCHTOWER_KEY");
  if (!isAddress(settlement))
    throw new Error(`SETTLEMENT_ADDRESS is not an address: ${settlement}`);
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error("WATCHTOWER_KEY must be 0x + 64 hex");
  const transport = http(rpcUrl);
  const probe = createPublicClient({ transport });
  const chainId = await probe.getChainId();
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport });
  const account = privateKeyToAccount(key as Hex);
  const walletClient = createWalletClient({ chain, transport, account });
  const dataDir =
    process.env.WATCHTOWER_DATA_DIR ??
    (traderMode ? `./data/watch-${account.address.toLowerCase()}` : "./data/watchtower");
  const feedUrl = traderMode ? undefined : process.env.ORDER_FEED_URL;
  const ordersFile = process.env.SIGNED_ORDERS_FILE ?? join(dataDir, "signed-orders.jsonl");
  const orders: OrderSource = traderMode
    ? new JsonlOrderStore(ordersFile)
    : feedUrl
      ? new FeedOrderSource(new ClearmatchClient({ baseUrl: feedUrl, chainId, settlement }))
      : new MapOrderSource();
  const tower = new Watchtower({
    ...(traderMode
      ? {
          trader: account.address,
          onChallenge: (c) =>
            log(
              `challenged batch ${c.batchId} fill ${c.index} (${c.side}: never signed) in ${c.latencyMs} ms, challenge ${c.challengeId}, tx ${c.txHash}`,
            ),
          onChallengeOutcome: (id, outcome) => log(`challenge ${id} ${outcome}`),
        }
      : {}),
    publicClient,
    walletClient,
    settlement,
    orders,
    cursor: new FileCursorStore(join(dataDir, "cursor.json")),
    fromBlock: BigInt(process.env.SETTLEMENT_START_BLOCK ?? "0"),
    onProof: (p) =>
      log(
        `proved batch ${p.batchId} fill ${p.index} (${p.side}: ${p.kind}) in ${p.latencyMs} ms, tx ${p.txHash}`,
      ),
    afterCheck: (stats) => {
      mkdirSync(dataDir, { recursive: true });
      const file = join(dataDir, "stats.json");
      const json = JSON.stringify(stats, (_k, v: unknown) =>
        typeof v === "bigint" ? String(v) : v,
      );
      writeFileSync(`${file}.tmp`, json);
      renameSync(`${file}.tmp`, file);
    },
    onMissingOrder: (batchId, index, side) =>
      log(
        traderMode
          ? `batch ${batchId} fill ${index}: names ${account.address} as ${side} of an order it never signed`
          : `batch ${batchId} fill ${index}: the ${side} order is not in the feed`,
      ),
  });
  const source = traderMode
    ? `the trader's signed orders in ${ordersFile}`
    : (feedUrl ?? "nowhere (ORDER_FEED_URL unset)");
  log(
    `watching ${settlement} on chain ${chainId} from block ${tower.stats.cursor + 1n}` +
      `${traderMode ? ` for ${account.address}` : ""}, orders from ${source}, state in ${dataDir}`,
  );
  const metricsPort = process.env.WATCHTOWER_METRICS_PORT;
  const registry = watchMetrics(() => tower.stats, traderMode ? "trader" : "watchtower");
  const metricsServer = metricsPort
    ? createServer((req, res) => {
        if (req.url !== "/metrics") {
          res.statusCode = 404;
          res.end();
          return;
        }
        void registry.metrics().then((text) => {
          res.setHeader("content-type", registry.contentType);
          res.end(text);
        });
      })
    : undefined;
  if (metricsServer) {
    metricsServer.listen(Number(metricsPort), "127.0.0.1");
    log(`metrics at http://127.0.0.1:${metricsPort}/metrics`);
  }
  const pollMs = Number(process.env.WATCHTOWER_POLL_MS ?? "1000");
  tower.start(pollMs, (error) => log(`check failed (retrying): ${String(error)}`));
  const report = setInterval(() => {
    const s = tower.stats;
    log(
      `checked ${s.batchesChecked} batches, ${s.fillsChecked} fills; ${s.fillsWithoutOrders} sides without orders; ` +
        `${s.proofsSent} proofs sent, ${s.proofsFailed} failed; ${s.challengesSent} challenges sent, ` +
        `${s.challengesUpheld} upheld, ${s.challengesAnswered} answered; cursor ${s.cursor}, lag ${s.lagBlocks} blocks`,
    );
  }, 30_000);
  const stop = () => {
    clearInterval(report);
    metricsServer?.close();
    tower.stop();
    log("stopped");
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`[${name}] error: ${String(error)}\n`);
  process.exit(1);
});
