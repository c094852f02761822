/**
 * `npm start`: the real Clearmatch service.
 *
 * - With `RPC_URL` set, it runs the sequencer against that network, configured entirely from the
 *   environment (see docs/configuration.md).
 * - Without it, it runs on an embedded default: a `hardhat node` child (simulated shanghai chain),
 *   the whole stack deployed through the Ignition modules with ignition/parameters/localhost.json,
 *   funded demo accounts, Redis at REDIS_URL (or a `redis-server` it starts itself when none
 *   listens), and the sequencer; it prints the URLs, contract addresses and demo keys.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import path from "node:path";
import {
  startHardhatNode,
  freePort,
  type HardhatNode,
} from "../sequencer/src/devchain/hardhat-node.js";
import { deployEmbeddedStack, type EmbeddedStack } from "./lib/embedded-stack.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

function log(message: string) {
  process.stdout.write(`[start] ${message}\n`);
}

function fail(message: string, fix?: string): never {
  process.stderr.write(`[start] error: ${message}\n${fix ? `[start] fix: ${fix}\n` : ""}`);
  process.exit(1);
}

/** True when something accepts TCP connections at host:port. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Uses the Redis at REDIS_URL, or starts a throwaway `redis-server` there when none listens. */
async function ensureRedis(): Promise<ChildProcess | undefined> {
  const url = new URL(REDIS_URL);
  const host = url.hostname;
  const port = Number(url.port || 6379);
  if (await listening(host, port)) {
    log(`redis: using ${REDIS_URL}`);
    return undefined;
  }
  const server = which("redis-server");
  if (!server || !["127.0.0.1", "localhost"].includes(host)) {
    fail(
      `no Redis listens at ${REDIS_URL}`,
      server
        ? `start Redis there, or set REDIS_URL to a running Redis`
        : `install Redis (Debian: apt-get install redis-server) or set REDIS_URL to a running Redis`,
    );
  }
  log(`redis: none at ${REDIS_URL}; starting ${server} on port ${port} (in memory, stops with us)`);
  const child = spawn(
    server,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  for (let i = 0; i < 50 && !(await listening(host, port)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await listening(host, port))) fail(`redis-server did not start on port ${port}`);
  return child;
}

/** Runs the sequencer (sequencer/src/main.ts) as a child with `env`, forwarding its output. */
function startSequencer(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", path.resolve("sequencer/src/main.ts")], {
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
}

function banner(stack: EmbeddedStack, node: HardhatNode, port: number) {
  const lines = [
    "",
    "Clearmatch is running on an embedded simulated chain",
    `  API        http://127.0.0.1:${port}/v1   (OpenAPI: /v1/openapi.json, health: /healthz)`,
    `  stream     ws://127.0.0.1:${port}/v1/stream`,
    `  chain      ${node.url} (chain id ${stack.chainId}, shanghai)`,
    `  redis      ${REDIS_URL}`,
    "  contracts:",
    ...Object.entries(stack.addresses).map(
      ([name, address]) => `    ${name.padEnd(22)} ${address}`,
    ),
    "  demo traders (Hardhat's public development keys; never use them on a real network):",
    ...stack.traders.map((t) => `    ${t.address}  ${t.privateKey}`),
    `  deployment saved to ${stack.savedTo}`,
    "",
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

async function main() {
  if (process.env.RPC_URL) {
    log(`RPC_URL is set: running the sequencer against ${process.env.RPC_URL}`);
    const child = startSequencer({});
    child.on("exit", (code) => process.exit(code ?? 1));
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => child.kill(signal));
    }
    return;
  }

  const children: Array<{ stop(): Promise<void> | void }> = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const c of children.reverse()) await c.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  const redis = await ensureRedis();
  if (redis) children.push({ stop: () => void redis.kill("SIGTERM") });

  const chainPort = Number(process.env.CHAIN_PORT ?? 8545);
  const port = (await listening("127.0.0.1", chainPort)) ? await freePort() : chainPort;
  log(`chain: starting hardhat node on port ${port}`);
  const node = await startHardhatNode({ port });
  children.push(node);

  log("deploying the stack through the Ignition modules (Safe, timelock, settlement, markets)...");
  const stack = await deployEmbeddedStack(node.url);
  const dataDir = path.resolve(process.env.DATA_DIR ?? path.join("data", `dev-${Date.now()}`));
  await mkdir(dataDir, { recursive: true });
  await writeFile(path.join(dataDir, "deployment.json"), JSON.stringify(stack, null, 2));

  const apiPort = Number(process.env.PORT ?? 8080);
  const sequencer = startSequencer({
    RPC_URL: node.url,
    CHAIN_ID: String(stack.chainId),
    SETTLEMENT_ADDRESS: stack.addresses.settlement,
    SEQUENCER_PRIVATE_KEY: stack.sequencerKey,
    SETTLEMENT_START_BLOCK: String(stack.deployBlock),
    REDIS_URL,
    DATA_DIR: dataDir,
    PORT: String(apiPort),
    CONFIRMATIONS: process.env.CONFIRMATIONS ?? "0",
    BATCH_MAX_MS: process.env.BATCH_MAX_MS ?? "1000",
  });
  children.push({
    stop: () =>
      new Promise<void>((resolve) => {
        if (sequencer.exitCode !== null) return resolve();
        sequencer.once("exit", () => resolve());
        sequencer.kill("SIGTERM");
      }),
  });
  sequencer.on("exit", (code) => {
    if (!stopping) {
      process.stderr.write(`[start] the sequencer exited (${code}); stopping\n`);
      void stop(code ?? 1);
    }
  });
  stack.savedTo = path.join(dataDir, "deployment.json");
  banner(stack, node, apiPort);
}

main().catch((error) =>
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error)),
);
