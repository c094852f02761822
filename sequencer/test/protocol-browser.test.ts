/**
 * The protocol package runs unchanged in a browser (issue 22): bundled for the browser platform
 * with esbuild (what Vite uses to prepare dependencies), it has no `node:` import and no `Buffer`,
 * and, run in a bare JavaScript context with none of Node's globals (no `Buffer`, `process`,
 * `require`), it hashes orders and fill leaves and builds a fills tree exactly as the server does
 * with its native keccak256.
 */
import { build } from "esbuild";
import { runInNewContext } from "node:vm";
import { bytesToHex as viemBytesToHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  buildFillTree,
  clearmatchDomain,
  hashFillLeaf,
  OrderHasher,
  type FillLeaf,
  type Order,
} from "@clearmatch/protocol";
import { keccakBackend } from "../src/crypto/keccak.js";

const order: Order = {
  trader: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  marketId: 1,
  side: 1,
  price: 2_000_000_000n,
  amount: 10n ** 18n,
  nonce: 7n,
  expiry: 1_900_000_000n,
  maxFeeBps: 30,
  flags: 4,
};
const fill = (index: number): FillLeaf => ({
  batchId: 3n,
  index,
  makerOrderHash: `0x${"11".repeat(32)}`,
  takerOrderHash: `0x${"22".repeat(32)}`,
  maker: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  taker: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  marketId: 1,
  takerSide: 0,
  price: 2_000_000_000n,
  baseAmount: 10n ** 18n + BigInt(index),
  quoteAmount: 2_000_000_000n,
  makerFee: 0n,
  takerFee: 2_000_000n,
  makerFilledAfter: 10n ** 18n,
  takerFilledAfter: 10n ** 18n,
  takerFok: false,
  fokRunEnd: false,
});

/**
 * Bundles `entry` for the browser platform (no Node built-ins may be in it) and runs the bundle in
 * a context with only what browsers and Node share: no Buffer, process, require or setImmediate.
 */
async function loadInBrowserContext<T>(entry: string): Promise<T> {
  const bundled = await build({
    stdin: {
      contents: `export * from ${JSON.stringify(entry)};`,
      resolveDir: process.cwd(),
      loader: "ts",
    },
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "bundle",
    write: false,
    logLevel: "silent",
  });
  const code = bundled.outputFiles[0]!.text;
  expect(code).not.toMatch(/["']node:/);
  expect(code).not.toMatch(/\bBuffer\b/);
  const context: Record<string, unknown> = {
    TextEncoder,
    TextDecoder,
    Uint8Array,
    BigInt,
    URL,
    setTimeout,
    clearTimeout,
  };
  for (const name of ["Buffer", "process", "require", "module", "setImmediate"])
    expect(context[name]).toBeUndefined();
  return runInNewContext(`${code}; bundle`, context) as T;
}

describe("@clearmatch/protocol in a browser", () => {
  it("bundles without Node built-ins and hashes in a context without Node's globals as the server does", async () => {
    const browser =
      await loadInBrowserContext<typeof import("@clearmatch/protocol")>("@clearmatch/protocol");

    const domain = clearmatchDomain(80002, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    expect(keccakBackend).toBe("native"); // the server's side of the comparison
    expect(new browser.OrderHasher(domain).hashOrder(order)).toBe(
      new OrderHasher(domain).hashOrder(order),
    );
    const leaves = [0, 1, 2].map(fill);
    expect(browser.hashFillLeaf(leaves[1]!)).toBe(hashFillLeaf(leaves[1]!));
    const tree = buildFillTree(leaves);
    const browserTree = browser.buildFillTree(leaves);
    expect(browserTree.root).toBe(tree.root);
    expect(browserTree.proofs).toEqual(tree.proofs);
    // The sliced build the batcher uses yields with a timeout where there is no setImmediate.
    expect((await browser.buildFillTreeAsync(leaves, 1)).root).toBe(tree.root);
    // Hex of a commit-sized byte string (a whole batch's packed fills), against viem's.
    const big = Uint8Array.from({ length: 150_000 }, (_, i) => (i * 7) & 255);
    expect(browser.bytesToHex(big)).toBe(viemBytesToHex(big));
  });

  it("the SDK bundles for the browser too (protocol and viem only), and signs nothing differently", async () => {
    const browser = await loadInBrowserContext<typeof import("@clearmatch/sdk")>("@clearmatch/sdk");
    const settlement = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const client = new browser.ClearmatchClient({
      baseUrl: "https://api.clearmatch.example",
      chainId: 80002,
      settlement,
      fetch: () => Promise.reject(new Error("offline")),
    });
    expect(client.hashOrder(order)).toBe(
      new OrderHasher(clearmatchDomain(80002, settlement)).hashOrder(order),
    );
  });
});
