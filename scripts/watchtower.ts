/**
 * `npm run watchtower`: a watchtower anyone can run (sequencer/src/watchtower/watchtower.ts). It
 * follows every commit of the settlement contract, rebuilds the fills from the commit
 * transactions' input, judges them against the signed orders of the sequencer's order feed with
 * the contract's own rules, and sends a fraud proof for any batch it can prove, paid by its own
 * key. Its cursor lives in its own directory, so a restart misses no batch.
 *
 * Environment:
 *   RPC_URL                 the chain (required)
 *   SETTLEMENT_ADDRESS      the settlement proxy (required)
 *   WATCHTOWER_KEY          0x + 64 hex: the key that pays for proofs (required)
 *   ORDER_FEED_URL          the sequencer's API base URL, for its order feed (optional: without
 *                           it every fill is counted as one whose orders are missing)
 *   SETTLEMENT_START_BLOCK  first block to check when there is no cursor yet (default 0)
 *   WATCHTOWER_DATA_DIR     its state (default ./data/watchtower)
 *   WATCHTOWER_POLL_MS      between checks (default 1000)
 *
 * After each check it writes its counts to `<WATCHTOWER_DATA_DIR>/stats.json` (the demo reads
 * them): batches and fills checked, sides without orders, proofs sent and failed, cursor, lag.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
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
import { ClearmatchClient } from "../sdk/src/clearmatch-client.js";
import {
  FeedOrderSource,
  FileCursorStore,
  MapOrderSource,
  Watchtower,
} from "../sequencer/src/watchtower/watchtower.js";

const log = (message: string) => process.stdout.write(`[watchtower] ${message}\n`);

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(
      `[watchtower] error: ${name} is required (see the header of scripts/watchtower.ts)\n`,
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
  const walletClient = createWalletClient({
    chain,
    transport,
    account: privateKeyToAccount(key as Hex),
  });
  const feedUrl = process.env.ORDER_FEED_URL;
  const orders = feedUrl
    ? new FeedOrderSource(new ClearmatchClient({ baseUrl: feedUrl, chainId, settlement }))
    : new MapOrderSource();
  const dataDir = process.env.WATCHTOWER_DATA_DIR ?? "./data/watchtower";
  const tower = new Watchtower({
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
      log(`batch ${batchId} fill ${index}: the ${side} order is not in the feed`),
  });
  log(
    `watching ${settlement} on chain ${chainId} from block ${tower.stats.cursor + 1n}` +
      `, orders from ${feedUrl ?? "nowhere (ORDER_FEED_URL unset)"}, state in ${dataDir}`,
  );
  const pollMs = Number(process.env.WATCHTOWER_POLL_MS ?? "1000");
  tower.start(pollMs, (error) => log(`check failed (retrying): ${String(error)}`));
  const report = setInterval(() => {
    const s = tower.stats;
    log(
      `checked ${s.batchesChecked} batches, ${s.fillsChecked} fills; ${s.fillsWithoutOrders} sides without orders; ` +
        `${s.proofsSent} proofs sent, ${s.proofsFailed} failed; cursor ${s.cursor}, lag ${s.lagBlocks} blocks`,
    );
  }, 30_000);
  const stop = () => {
    clearInterval(report);
    tower.stop();
    log("stopped");
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`[watchtower] error: ${String(error)}\n`);
  process.exit(1);
});
