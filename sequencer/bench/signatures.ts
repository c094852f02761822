/**
 * `npm run bench:sigs`: signed orders hashed and recovered per second on this machine.
 *
 * Paths compared, each on the same pre-signed orders (20 traders):
 *   fast-native  OrderHasher + recoverAddress through the native secp256k1 addon
 *   fast-js      OrderHasher + recoverAddress through @noble/curves (the fallback)
 *   viem         recoverTypedDataAddress (hashTypedData + recoverAddress)
 * plus hashing alone (OrderHasher vs hashTypedData). Each figure is the median of 5 runs.
 * Results go to bench/results/signatures.json. Not a test: the numbers depend on the machine
 * and its load, which are recorded beside them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { hashTypedData, recoverTypedDataAddress, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  defaultSecp256k1Backend,
  nativeSecp256k1Available,
  recoverAddress,
  type Secp256k1Backend,
} from "../src/crypto/recover.js";
import { OrderHasher, clearmatchDomain, orderTypes, type Order } from "@clearmatch/protocol";

const RUNS = 5;
const ORDERS = 2_000;
const OUT_DIR = new URL("../../bench/results/", import.meta.url);

const domain = clearmatchDomain(31337, "0x00000000000000000000000000000000C1eA4a7C");
const hasher = new OrderHasher(domain);

async function signedOrders(): Promise<{ order: Order; signature: Hex }[]> {
  const traders = Array.from({ length: 20 }, (_, i) =>
    privateKeyToAccount(toHex(0xc1ea_0000n + BigInt(i), { size: 32 })),
  );
  const out = [];
  for (let i = 0; i < ORDERS; i++) {
    const account = traders[i % traders.length]!;
    const order: Order = {
      trader: account.address,
      marketId: 1 + (i % 4),
      side: i % 2,
      price: 2_500_000_000n + BigInt(i),
      amount: 10n ** 17n * BigInt(1 + (i % 50)),
      nonce: BigInt(i),
      expiry: 1_900_000_000n,
      maxFeeBps: 30,
      flags: i % 3 === 0 ? 2 : 0,
    };
    const signature = await account.signTypedData({
      domain,
      types: orderTypes,
      primaryType: "Order",
      message: order,
    });
    out.push({ order, signature });
  }
  return out;
}

/** Runs `body` over `count` orders RUNS times (after one warm-up); median orders per second. */
async function measure(count: number, body: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(count, 500); i++) await body(i);
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    for (let i = 0; i < count; i++) await body(i);
    rates.push(count / ((performance.now() - start) / 1000));
  }
  rates.sort((a, b) => a - b);
  return Math.round(rates[Math.floor(RUNS / 2)]!);
}

async function main(): Promise<void> {
  const orders = await signedOrders();
  const at = (i: number) => orders[i % orders.length]!;
  const fast = (backend: Secp256k1Backend) => (i: number) => {
    const { order, signature } = at(i);
    if (recoverAddress(hasher.orderDigest(order), signature, backend) !== order.trader)
      throw new Error("wrong signer");
  };

  const results: Record<string, number | null> = {
    "fast-native": nativeSecp256k1Available ? await measure(4 * ORDERS, fast("native")) : null,
    "fast-js": await measure(ORDERS, fast("js")),
    viem: await measure(ORDERS / 2, async (i) => {
      const { order, signature } = at(i);
      const signer = await recoverTypedDataAddress({
        domain,
        types: orderTypes,
        primaryType: "Order",
        message: order,
        signature,
      });
      if (signer !== order.trader) throw new Error("wrong signer");
    }),
    "hash-only-fast": await measure(10 * ORDERS, (i) => hasher.orderDigest(at(i).order)),
    "hash-only-viem": await measure(ORDERS, (i) =>
      hashTypedData({ domain, types: orderTypes, primaryType: "Order", message: at(i).order }),
    ),
  };

  const report = {
    benchmark: "signed orders hashed (EIP-712) and signer recovered, per second",
    unit: "orders/s, median of 5 runs",
    defaultBackend: defaultSecp256k1Backend,
    results,
    speedup: {
      nativeVsViem:
        results["fast-native"] && results.viem
          ? +(results["fast-native"] / results.viem).toFixed(1)
          : null,
      jsVsViem:
        results["fast-js"] && results.viem ? +(results["fast-js"] / results.viem).toFixed(1) : null,
    },
    machine: {
      node: process.version,
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      loadAverage1m: +loadavg()[0]!.toFixed(2),
    },
    date: new Date().toISOString(),
  };
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(new URL("signatures.json", OUT_DIR), `${JSON.stringify(report, null, 2)}\n`);
  console.table(results);
  console.log(JSON.stringify(report.speedup), "->", new URL("signatures.json", OUT_DIR).pathname);
}

await main();
