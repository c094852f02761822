/**
 * The trader's signed orders as a JSON-lines file (`JsonlOrderStore`): one process appends, a
 * watch in another reads only what was appended since, a line cut short by a crash waits for its
 * end, and amounts survive as bigints.
 */
import { appendFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { getAddress, type Hex } from "viem";
import type { Order } from "@clearmatch/protocol";
import { JsonlOrderStore } from "../../scripts/lib/jsonl-order-store.js";

const order = (nonce: bigint): Order => ({
  trader: getAddress("0x00000000000000000000000000000000000000aa"), // as the decoder returns it
  marketId: 1,
  side: 0,
  price: 2_000_000_000n,
  amount: 10n ** 18n + nonce,
  nonce,
  expiry: 1_900_000_000n,
  maxFeeBps: 30,
  flags: 4,
});
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

describe("JsonlOrderStore", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("reads in another instance what one appends, incrementally, and waits for a cut line's end", async () => {
    const dir = await mkdtemp(join(tmpdir(), "clearmatch-orders-"));
    dirs.push(dir);
    const path = join(dir, "nested", "signed.jsonl");
    const reader = new JsonlOrderStore(path);
    await reader.sync(); // no file yet: nothing, no error
    expect(reader.size).toBe(0);

    const writer = new JsonlOrderStore(path);
    writer.add(hash(1), order(1n));
    writer.add(hash(2), order(2n));
    expect(writer.get(hash(1))).toEqual(order(1n)); // the writer holds what it added
    await reader.sync();
    expect(reader.size).toBe(2);
    expect(reader.get(hash(2))).toEqual(order(2n));
    expect(reader.get(hash(2).toUpperCase().replace("0X", "0x") as Hex)).toEqual(order(2n));

    // A crash mid-append leaves half a line: skipped until the rest arrives.
    const line = JSON.stringify({
      orderHash: hash(3),
      order: {
        ...order(3n),
        price: "2000000000",
        amount: String(10n ** 18n + 3n),
        nonce: "3",
        expiry: "1900000000",
      },
    });
    appendFileSync(path, line.slice(0, 40));
    await reader.sync();
    expect(reader.get(hash(3))).toBeUndefined();
    appendFileSync(path, `${line.slice(40)}\n`);
    await reader.sync();
    expect(reader.get(hash(3))).toEqual(order(3n));
    expect(reader.size).toBe(3);
  });
});
