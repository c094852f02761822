/**
 * Periodic snapshots in the running service (real hardhat node + Redis, signed orders over
 * HTTP): taken by the snapshot thread by default (SNAPSHOT_THREAD=worker) or on the main thread,
 * the journal rotated and pruned after each, and a restart from such a snapshot plus the journal
 * after it rebuilds the same core.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listSegments, listSnapshots, snapshotName } from "../src/journal/segment-files.js";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { eventually, startDevChain, type DevChain } from "./helpers/dev-chain.js";
import {
  config,
  fundTraders,
  ONE_ETH,
  post,
  serviceEnv,
  signedOrder,
  traderIndex,
  USDC,
  wire,
} from "./helpers/service-kit.js";

const SNAPSHOT_EVERY = 100;
const ORDERS = 130;
/** Orders sent one by one after a failed snapshot. */
const LATE = 20;

describe("service snapshots", () => {
  let chain: DevChain;
  let bids: Array<Awaited<ReturnType<typeof signedOrder>>>;

  beforeAll(async () => {
    chain = await startDevChain();
    await fundTraders(chain);
    // Resting bids a tick apart, none crossing: every one is a journal record.
    bids = [];
    for (let i = 0; i < ORDERS + LATE; i++) {
      bids.push(
        await signedOrder(chain, traderIndex(0), {
          side: 0,
          price: USDC(1_900n) - BigInt(i) * 10_000n,
          amount: ONE_ETH / 1000n,
        }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    await chain?.stop();
  });

  const submit = async (url: string, orders: typeof bids) => {
    const body = `{"orders":[${orders.map(wire).join(",")}]}`;
    const res = await post(url, "/v1/orders/batch", body);
    expect(res.body["results"].map((r: any) => r.status)).toEqual(orders.map(() => 201));
  };
  /** The first ORDERS bids, 50 to a request. */
  const submitAll = async (url: string) => {
    for (let i = 0; i < ORDERS; i += 50) await submit(url, bids.slice(i, Math.min(i + 50, ORDERS)));
  };
  const envFor = (thread: string) =>
    serviceEnv(chain, {
      SNAPSHOT_EVERY: String(SNAPSHOT_EVERY),
      SNAPSHOT_THREAD: thread,
      BATCH_MAX_MS: "3600000",
      EXPIRY_MARGIN_SECONDS: "3700",
      RATE_LIMIT_PER_SEC: "100000",
      RATE_LIMIT_BURST: "100000",
    });

  for (const thread of ["worker", "main"] as const) {
    it(`retries a failed snapshot SNAPSHOT_EVERY records later, not on every record (${thread} thread)`, async () => {
      const env = await envFor(thread);
      const dir = join(env["DATA_DIR"]!, "journal");
      // A directory where each snapshot's temporary file would go: every write fails.
      const blockers = Array.from({ length: 400 }, (_, seq) =>
        join(dir, `${snapshotName(seq)}.tmp`),
      );
      for (const b of blockers) mkdirSync(b, { recursive: true });
      const service = await startService(config(env));
      try {
        await submitAll(service.url);
        const failures = async () =>
          (await service.metrics.snapshotFailures.get()).values[0]!.value;
        await eventually(async () => ((await failures()) >= 1 ? true : undefined));
        // More records after the failure: none of them is a reason to try again so soon.
        for (const bid of bids.slice(ORDERS)) await submit(service.url, [bid]);
        await new Promise((r) => setTimeout(r, 500));
        expect(await failures()).toBe(1);
        expect(listSnapshots(dir)).toEqual([]);
        for (const bid of bids) expect(service.core.order(bid.hash)?.status).toBe("open");
      } finally {
        for (const b of blockers) rmSync(b, { recursive: true });
        await service.stop();
      }
    }, 90_000);

    it(`snapshots every ${SNAPSHOT_EVERY} records on the ${thread} thread; a restart from one rebuilds the core`, async () => {
      const env = await envFor(thread);
      const dir = join(env["DATA_DIR"]!, "journal");
      let service: RunningService | undefined = await startService(config(env));
      try {
        await submitAll(service.url);
        const taken = async () =>
          (await service!.metrics.snapshotDuration.get()).values.find(
            (v) => v.metricName?.endsWith("_count") && v.labels["thread"] === thread,
          )?.value ?? 0;
        await eventually(async () => ((await taken()) >= 1 ? true : undefined));
        expect(await taken()).toBe(1);
        const [snapshot] = listSnapshots(dir);
        expect(snapshot!.seq).toBeGreaterThanOrEqual(SNAPSHOT_EVERY);
        expect(snapshot!.seq).toBeLessThan(SNAPSHOT_EVERY + 50);
        // The journal was rotated after it (at whatever record had come by then).
        const segments = listSegments(dir).map((s) => s.seq);
        expect(segments).toHaveLength(2);
        expect(segments[1]).toBeGreaterThan(snapshot!.seq);

        const before = service.core.snapshot();
        await service.stop();
        service = undefined;
        // Shutdown took one more snapshot: drop it, so the restart starts from the periodic one
        // and replays the journal after it.
        const snapshots = listSnapshots(dir);
        expect(snapshots.map((s) => s.seq)[0]).toBe(snapshot!.seq);
        rmSync(join(dir, snapshots[snapshots.length - 1]!.name));
        expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);

        service = await startService(config(env));
        expect(service.core.snapshot()).toEqual(before);
        for (const bid of bids.slice(0, ORDERS)) {
          expect(service.core.order(bid.hash)?.status).toBe("open");
        }
      } finally {
        await service?.stop();
      }
    }, 90_000);
  }
});
