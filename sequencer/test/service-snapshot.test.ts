/**
 * Periodic snapshots in the running service (real hardhat node + Redis, signed orders over
 * HTTP): taken by the snapshot thread by default (SNAPSHOT_THREAD=worker) or on the main thread,
 * the journal rotated and pruned after each, and a restart from such a snapshot plus the journal
 * after it rebuilds the same core.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listSegments, listSnapshots } from "../src/journal/segment-files.js";
import { startService, type RunningService } from "../src/service/service-runtime.js";
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

describe("service snapshots", () => {
  let chain: DevChain;
  let bids: Array<Awaited<ReturnType<typeof signedOrder>>>;

  beforeAll(async () => {
    chain = await startDevChain();
    await fundTraders(chain);
    // Resting bids a tick apart, none crossing: every one is a journal record.
    bids = [];
    for (let i = 0; i < ORDERS; i++) {
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

  for (const thread of ["worker", "main"] as const) {
    it(`snapshots every ${SNAPSHOT_EVERY} records on the ${thread} thread; a restart from one rebuilds the core`, async () => {
      const env = await serviceEnv(chain, {
        SNAPSHOT_EVERY: String(SNAPSHOT_EVERY),
        SNAPSHOT_THREAD: thread,
        BATCH_MAX_MS: "3600000",
        RATE_LIMIT_PER_SEC: "100000",
        RATE_LIMIT_BURST: "100000",
      });
      const dir = join(env["DATA_DIR"]!, "journal");
      let service: RunningService | undefined = await startService(config(env));
      try {
        for (let i = 0; i < ORDERS; i += 50) {
          const body = `{"orders":[${bids
            .slice(i, i + 50)
            .map(wire)
            .join(",")}]}`;
          const res = await post(service.url, "/v1/orders/batch", body);
          expect(res.body["results"].map((r: any) => r.status)).toEqual(
            bids.slice(i, i + 50).map(() => 201),
          );
        }
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
        for (const bid of bids) expect(service.core.order(bid.hash)?.status).toBe("open");
      } finally {
        await service?.stop();
      }
    }, 90_000);
  }
});
