import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { VerifyPool } from "../src/crypto/verify-pool.js";
import { OrderHasher, clearmatchDomain, type Order } from "@clearmatch/protocol";
import { SeededRandom } from "./support/seeded-random.js";
import { randomOrder, signAndRecover } from "./support/random-orders.js";

const domain = clearmatchDomain(31337, "0x00000000000000000000000000000000C1eA4a7C");
const hasher = new OrderHasher(domain);
// No queue bound here: the coalescing test queues 58 lone jobs behind two busy workers.
const pool = VerifyPool.create(2, hasher.domainSeparatorBytes(), Number.MAX_SAFE_INTEGER)!;

afterAll(() => pool.close());

async function signedOrders(count: number) {
  const rng = new SeededRandom(7);
  const out: { order: Order; signature: Hex; signer: string }[] = [];
  for (let i = 0; i < count; i++) {
    const account = privateKeyToAccount(toHex(0xbeef_0000n + BigInt(i), { size: 32 }));
    const order = randomOrder(rng, account.address);
    const { signature, signer } = await signAndRecover(account, domain, order);
    out.push({ order, signature, signer: signer.toLowerCase() });
  }
  return out;
}

const job = (order: Order, signature: string) => ({ struct: hasher.encodeOrder(order), signature });

describe("VerifyPool", () => {
  it("answers OrderHasher's digests and viem's signers, extreme field values included", async () => {
    const orders = await signedOrders(25);
    const answers = await pool.recover(orders.map((o) => job(o.order, o.signature)));
    expect(answers.map((a) => a.signer)).toEqual(orders.map((o) => o.signer));
    expect(answers.map((a) => toHex(a.digest!))).toEqual(
      orders.map((o) => hasher.hashOrder(o.order)),
    );
  });

  it("answers the digest but no signer for a malformed or unrecoverable signature", async () => {
    const [o] = await signedOrders(1);
    const answers = await pool.recover([
      job(o!.order, "0x1234"),
      job(o!.order, `0x${"00".repeat(64)}1b`),
      job(o!.order, `0x${"11".repeat(64)}05`),
    ]);
    for (const a of answers) {
      expect(a.signer).toBeUndefined();
      expect(toHex(a.digest!)).toBe(hasher.hashOrder(o!.order));
    }
  });

  it("coalesces jobs that wait for a busy worker into shared messages, answering each its own", async () => {
    const orders = await signedOrders(60);
    const before = pool.messagesSent;
    // 60 lone orders at once: the two idle workers take the first ones; the rest queue and go
    // out together when a worker comes back.
    const answers = await Promise.all(
      orders.map(async (o) => (await pool.recover([job(o.order, o.signature)]))[0]!),
    );
    expect(answers.map((a) => a.signer)).toEqual(orders.map((o) => o.signer));
    expect(answers.map((a) => toHex(a.digest!))).toEqual(
      orders.map((o) => hasher.hashOrder(o.order)),
    );
    const messages = pool.messagesSent - before;
    expect(messages).toBeGreaterThanOrEqual(2);
    expect(messages).toBeLessThan(orders.length / 2);
  });

  it("answers jobs beyond its queue bound with no hint at once while its workers are busy", async () => {
    const small = VerifyPool.create(1, hasher.domainSeparatorBytes(), 4)!;
    try {
      const orders = await signedOrders(40);
      const jobs = orders.map((o) => job(o.order, o.signature));
      // The first 20 go to the idle worker together; of the next 20, arriving while it works,
      // 4 wait for it and 16 are answered at once with no hint (the caller recovers those).
      const [first, second] = await Promise.all([
        small.recover(jobs.slice(0, 20)),
        small.recover(jobs.slice(20)),
      ]);
      expect(first.map((a) => a.signer)).toEqual(orders.slice(0, 20).map((o) => o.signer));
      expect(second.slice(0, 4).map((a) => a.signer)).toEqual(
        orders.slice(20, 24).map((o) => o.signer),
      );
      expect(second.slice(4)).toEqual(Array.from({ length: 16 }, () => ({})));
      expect(small.jobsShed).toBe(16);
    } finally {
      await small.close();
    }
  });

  it("closes with jobs in flight without aborting the process", () => {
    // Terminating a worker inside a native Keccak call aborted the process (SIGABRT); close()
    // lets each worker finish its message and exit. 40 pools, each closed 0-4 ms into 600 jobs.
    const child = fileURLToPath(new URL("./verify-pool-close-child.ts", import.meta.url));
    const out = execFileSync(process.execPath, ["--import", "tsx", child, "40"], {
      encoding: "utf8",
      timeout: 120_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(Number(out)).toBe(40 * 20 * 30);
  });

  it("answers no hints once closed (the caller's own path recovers)", async () => {
    const closed = VerifyPool.create(1, hasher.domainSeparatorBytes())!;
    await closed.close();
    const [o] = await signedOrders(1);
    expect(await closed.recover([job(o!.order, o!.signature)])).toEqual([{}]);
  });
});
