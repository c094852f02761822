import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWalletClient, http, type Account, type Address, type Hex } from "viem";
import { ClearmatchClient } from "../../../sdk/src/clearmatch-client.js";
import { loadConfig, type Config } from "../../src/config/config.js";
import {
  devAccount,
  DEV_ROLES,
  fundAndDeposit,
} from "../../../scripts/lib/devchain/deploy-dev-stack.js";
import { clearmatchDomain, orderTypes, type Order, OrderHasher } from "@clearmatch/protocol";
import type { CoreBatch } from "../../src/core/core-types.js";
import type { RunningService } from "../../src/runtime/service-runtime.js";
import type { DevChain } from "./dev-chain.js";
import { eventually, uniqueQueue } from "./dev-chain.js";
import { allBatches } from "../../src/read/paging.js";

/** Environment of a service against `chain`, with a fresh data dir and queue. */
export async function serviceEnv(
  chain: DevChain,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    RPC_URL: chain.node.url,
    CHAIN_ID: String(chain.stack.chain.id),
    SETTLEMENT_ADDRESS: chain.stack.settlement,
    SEQUENCER_PRIVATE_KEY: devAccount(DEV_ROLES.sequencer).privateKey,
    SETTLEMENT_START_BLOCK: "0",
    DATA_DIR: await mkdtemp(join(tmpdir(), "clearmatch-service-")),
    PORT: "0",
    CONFIRMATIONS: "0",
    CHAIN_POLL_MS: "100",
    BATCH_MAX_MS: "300",
    QUEUE_NAME: uniqueQueue("service"),
    LOG_LEVEL: "silent",
    ...extra,
  };
}

export const config = (env: Record<string, string>): Config => loadConfig(env);

export const ONE_ETH = 10n ** 18n;
export const USDC = (n: bigint) => n * 10n ** 6n;
/** An expiry a month ahead: within the default MAX_ORDER_LIFETIME_SEC (90 days). */
export const FAR = BigInt(Math.floor(Date.now() / 1000) + 30 * 86_400);

let nonce = 1n;
/** A signed order body for POST /v1/orders by dev account `index`. */
export async function signedOrder(
  chain: DevChain,
  index: number,
  fields: Partial<Order> & { side: number; price: bigint; amount: bigint },
) {
  const { account } = devAccount(index);
  const order: Order = {
    trader: account.address,
    marketId: 1,
    nonce: nonce++,
    expiry: FAR,
    maxFeeBps: 50,
    flags: 0,
    ...fields,
  };
  const domain = clearmatchDomain(chain.stack.chain.id, chain.stack.settlement);
  const signature = await account.signTypedData({
    domain,
    types: orderTypes,
    primaryType: "Order",
    message: order,
  });
  const hash = new OrderHasher(domain).hashOrder(order);
  return { order, signature, hash };
}

export function wire(body: { order: Order; signature: Hex }) {
  return JSON.stringify({
    order: Object.fromEntries(
      Object.entries(body.order).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]),
    ),
    signature: body.signature,
  });
}

export async function post(url: string, path: string, body: string) {
  const res = await fetch(url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

export async function get(url: string, path: string) {
  const res = await fetch(url + path);
  return { status: res.status, body: (await res.json()) as any };
}

export const trader = (i: number): Address => devAccount(DEV_ROLES.firstTrader + i).account.address;
export const traderIndex = (i: number) => DEV_ROLES.firstTrader + i;

/**
 * The funding most service tests start from: trader 0 deposits 10,000 USDC, trader 1 deposits
 * 5 WETH, and, with `secondBuyer`, trader 2 deposits 10,000 USDC too.
 */
export async function fundTraders(chain: DevChain, options: { secondBuyer?: boolean } = {}) {
  const { WETH, USDC: usdc } = chain.stack.tokens as Record<string, Address>;
  await fundAndDeposit(chain.stack, chain.node.url, traderIndex(0), usdc!, USDC(10_000n));
  await fundAndDeposit(chain.stack, chain.node.url, traderIndex(1), WETH!, 5n * ONE_ETH);
  if (options.secondBuyer) {
    await fundAndDeposit(chain.stack, chain.node.url, traderIndex(2), usdc!, USDC(10_000n));
  }
}

/** The SDK as dev account `index` uses it against the service at `url` (signing and on-chain). */
export function traderClient(chain: DevChain, url: string, index: number): ClearmatchClient {
  return new ClearmatchClient({
    baseUrl: url,
    chainId: chain.stack.chain.id,
    settlement: chain.stack.settlement,
    wallet: createWalletClient({
      chain: chain.stack.chain,
      transport: http(chain.node.url),
      account: devAccount(index).account as Account,
    }),
    publicClient: chain.stack.publicClient,
  });
}

/**
 * Trader 1 sells and trader 0 buys one WETH at 2,000 USDC through the API (both acknowledged),
 * and the batch holding the fill is committed: that batch.
 */
export async function tradeAndCommit(chain: DevChain, service: RunningService): Promise<CoreBatch> {
  for (const [index, side] of [
    [traderIndex(1), 1],
    [traderIndex(0), 0],
  ] as const) {
    const order = await signedOrder(chain, index, { side, price: USDC(2_000n), amount: ONE_ETH });
    const res = await post(service.url, "/v1/orders", wire(order));
    if (res.status !== 201) throw new Error(`order refused: ${JSON.stringify(res.body)}`);
  }
  return eventually(
    () => allBatches(service.core).find((b) => b.state === "COMMITTED"),
    30_000,
    "a committed batch",
  );
}
