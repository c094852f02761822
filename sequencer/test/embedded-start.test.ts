/**
 * `npm start` / `npm run demo` on a fresh clone: the embedded start-up builds the contracts before
 * anything needs their artifacts, and says so, one progress line per step. The steps are stubbed
 * (the real ones are a Redis, `hardhat build`, a hardhat node and an Ignition deployment).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StartError, startEmbedded, type EmbeddedSteps } from "../../scripts/lib/embedded-run.js";

describe("embedded start-up (npm start, npm run demo)", () => {
  it("builds the contracts before it starts the chain and deploys, with a progress line per step", async () => {
    const steps: string[] = [];
    const lines: string[] = [];
    let chainStopped = false;
    const stubs: EmbeddedSteps = {
      ensureRedis: async () => void steps.push("redis"),
      buildContracts: async () => void steps.push("build"),
      startChain: async () => {
        steps.push("chain");
        return { url: "http://127.0.0.1:1", stop: async () => void (chainStopped = true) } as never;
      },
      deploy: async () => {
        steps.push("deploy");
        throw new Error("deployment stub: stop here");
      },
    };
    await expect(
      startEmbedded({ steps: stubs, chainPort: 1, log: (m) => lines.push(m) }),
    ).rejects.toThrow("deployment stub: stop here");
    expect(steps).toEqual(["redis", "build", "chain", "deploy"]);
    expect(chainStopped).toBe(true);
    expect(lines.some((l) => /^contracts: building \(hardhat build/.test(l))).toBe(true);
    expect(lines.some((l) => /^chain: starting hardhat node/.test(l))).toBe(true);
    expect(lines.some((l) => /^deploy: /.test(l))).toBe(true);
  });

  it("refuses a DATA_DIR holding an earlier run's sequencer data before building or deploying", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clearmatch-embedded-"));
    mkdirSync(join(dir, "sequencer"));
    writeFileSync(join(dir, "sequencer", "chain.json"), "{}");
    const steps: string[] = [];
    const before = process.env.DATA_DIR;
    process.env.DATA_DIR = dir;
    try {
      const error = await startEmbedded({
        steps: {
          ensureRedis: async () => void steps.push("redis"),
          buildContracts: async () => void steps.push("build"),
        },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StartError);
      expect((error as StartError).message).toContain("the embedded chain is new on every run");
      expect((error as StartError).fix).toMatch(/unset DATA_DIR/);
      expect(steps).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.DATA_DIR;
      else process.env.DATA_DIR = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
