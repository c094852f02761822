import { describe, expect, it } from "vitest";
import { ChainClock, type ChainHead } from "../src/chain/chain-clock.js";

/** A clock over a fake head and a hand-moved wall clock (ms). */
function rig(commitLatencySec = 10) {
  const state = { wall: 1_000_000_000_000, head: undefined as ChainHead | undefined, fail: false };
  const changes: Array<[boolean, string | undefined]> = [];
  const clock = new ChainClock({
    readHead: async () => {
      if (state.fail || !state.head) throw new Error("rpc down");
      return state.head;
    },
    commitLatencySec,
    wall: () => state.wall,
    onReadyChange: (ready, reason) => changes.push([ready, reason]),
  });
  const head = (secondsFromWall: number, number = 1n) =>
    (state.head = { number, timestamp: BigInt(Math.floor(state.wall / 1000) + secondsFromWall) });
  return { state, clock, changes, head };
}

describe("chain clock", () => {
  it("follows a chain that runs ahead of the host, carried forward by the wall clock", async () => {
    const { state, clock, head } = rig();
    head(90);
    await clock.start();
    clock.stop();
    expect(clock.skewSec).toBe(90);
    expect(clock.now()).toBe(state.wall + 90_000);
    state.wall += 2_500;
    expect(clock.now()).toBe(state.wall + 90_000);
  });

  it("keeps the wall clock when the chain lags, and never goes backwards", async () => {
    const { state, clock, head } = rig();
    head(5);
    await clock.start();
    clock.stop();
    const ahead = clock.now();
    // A later head that is behind the host (a reorg, or another RPC node): time does not go back.
    head(-3);
    await clock.poll();
    expect(clock.now()).toBe(ahead);
    state.wall += 10_000;
    expect(clock.now()).toBe(state.wall);
  });

  it("is not ready while no head was read within the commit latency bound, and says why", async () => {
    const { state, clock, changes, head } = rig(10);
    head(0);
    await clock.start();
    clock.stop();
    expect(clock.ready).toBe(true);
    state.fail = true;
    state.wall += 9_000;
    await clock.poll();
    expect(clock.ready).toBe(true);
    state.wall += 2_000;
    await clock.poll();
    expect(clock.ready).toBe(false);
    expect(clock.status().reason).toMatch(/no chain head read for 11 s/);
    // Time still moves on the wall clock while the chain is unreachable.
    expect(clock.now()).toBeGreaterThanOrEqual(state.wall);
    state.fail = false;
    head(0, 2n);
    await clock.poll();
    expect(clock.ready).toBe(true);
    expect(changes.map(([ready]) => ready)).toEqual([true, false, true]);
  });

  it("is not ready while the chain's head is older than the bound (no blocks produced)", async () => {
    const { clock, head } = rig(10);
    head(-11);
    await clock.start();
    clock.stop();
    expect(clock.ready).toBe(false);
    expect(clock.status().reason).toMatch(/11 s behind/);
    head(-2, 2n);
    await clock.poll();
    expect(clock.check()).toBe(true);
  });

  it("refuses to start without a first head", async () => {
    const { clock } = rig();
    await expect(clock.start()).rejects.toThrow(/rpc down/);
    expect(clock.ready).toBe(false);
  });
});
