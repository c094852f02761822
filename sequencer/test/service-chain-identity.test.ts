/**
 * The data directory knows its chain: a DATA_DIR written against one deployment refuses to start
 * against another (two fresh hardhat nodes with identical addresses differ by their blocks'
 * hashes), and starts again against its own. Real hardhat nodes, Redis, in-process services and
 * `sequencer/src/main.ts` as a process.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, type RunningService } from "../src/runtime/service-runtime.js";
import { startDevChain, type DevChain } from "./helpers/dev-chain.js";
import { config, fundTraders, serviceEnv, trader, USDC } from "./helpers/service-kit.js";

/** Starts a service and expects it to be refused; a service that starts anyway is stopped. */
async function refusal(env: Record<string, string>): Promise<Error> {
  let started: RunningService | undefined;
  try {
    started = await startService(config(env));
  } catch (error) {
    return error as Error;
  }
  const ready = await fetch(`${started.url}/readyz`).then((r) => r.status);
  const balance = started.core.ledger.balance(trader(0), env.USDC_TOKEN as `0x${string}`);
  await started.stop();
  throw new Error(
    `the service started against the other chain (readyz ${ready}, trader 0 USDC finalized ${balance.finalized})`,
  );
}

describe("the data directory knows its chain (two hardhat nodes, identical addresses)", () => {
  let chainA: DevChain;
  let chainB: DevChain | undefined;
  let envA: Record<string, string>;

  beforeAll(async () => {
    chainA = await startDevChain();
    await fundTraders(chainA);
    envA = await serviceEnv(chainA);
    envA.USDC_TOKEN = chainA.stack.tokens.USDC!;
    const service = await startService(config(envA));
    try {
      expect(service.core.ledger.balance(trader(0), chainA.stack.tokens.USDC!).finalized).toBe(
        USDC(10_000n),
      );
    } finally {
      await service.stop();
    }
  }, 120_000);

  afterAll(async () => {
    await chainB?.stop();
    await chainA?.stop();
  });

  it("records chain id, settlement and the start block's hash on first start", () => {
    const file = join(envA.DATA_DIR!, "chain.json");
    expect(existsSync(file)).toBe(true);
    const identity = JSON.parse(readFileSync(file, "utf8"));
    expect(identity).toMatchObject({
      chainId: 31337,
      settlement: getAddress(chainA.stack.settlement),
      startBlock: "0",
    });
    expect(identity.startBlockHash).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("refuses another deployment at the same addresses, naming both identities and the fix", async () => {
    chainB = await startDevChain();
    // Same deployer, same nonces: only the chain's blocks tell the two deployments apart.
    expect(chainB.stack.settlement).toBe(chainA.stack.settlement);
    expect(chainB.stack.tokens.USDC).toBe(chainA.stack.tokens.USDC);
    const envB = { ...envA, RPC_URL: chainB.node.url, QUEUE_NAME: `${envA.QUEUE_NAME}-b` };
    const error = await refusal(envB);
    expect(error.name).toBe("ChainIdentityError");
    expect((error as { code?: string }).code).toBe("DATA_DIR_OTHER_CHAIN");
    const recorded = JSON.parse(readFileSync(join(envA.DATA_DIR!, "chain.json"), "utf8"));
    expect(error.message).toContain(envA.DATA_DIR!);
    expect(error.message).toContain(recorded.startBlockHash);
    const hashB = (await chainB.stack.publicClient.getBlock({ blockNumber: 0n })).hash;
    expect(hashB).not.toBe(recorded.startBlockHash);
    expect(error.message).toContain(hashB);
    expect((error as { fix?: string }).fix).toMatch(/point DATA_DIR at a new directory/);
    // Nothing was written: the refusal comes before journal recovery.
    expect(JSON.parse(readFileSync(join(envA.DATA_DIR!, "chain.json"), "utf8"))).toEqual(recorded);
  }, 120_000);

  it("main.ts prints the error and the fix line and exits non-zero", async () => {
    const envB = { ...envA, RPC_URL: chainB!.node.url, QUEUE_NAME: `${envA.QUEUE_NAME}-main` };
    const child = spawn(process.execPath, ["--import", "tsx", resolve("sequencer/src/main.ts")], {
      env: { ...process.env, ...envB },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((done) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.once("exit", (c) => {
        clearTimeout(timer);
        done(c);
      });
    });
    expect(code, output).not.toBe(0);
    expect(code, output).not.toBeNull();
    expect(output).toMatch(/^error: .*belongs to another chain/m);
    expect(output).toMatch(/^fix: point DATA_DIR at a new directory for this chain/m);
  }, 90_000);

  it("starts again against the chain the directory belongs to, with its balances", async () => {
    const service = await startService(config({ ...envA, QUEUE_NAME: `${envA.QUEUE_NAME}-a2` }));
    try {
      expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
      expect(service.core.ledger.balance(trader(0), chainA.stack.tokens.USDC!).finalized).toBe(
        USDC(10_000n),
      );
    } finally {
      await service.stop();
    }
  }, 120_000);
});
