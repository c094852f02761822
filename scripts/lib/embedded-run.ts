/**
 * The embedded default shared by `npm start` and `npm run demo`: Redis (reused, or a throwaway
 * `redis-server`), the contracts built (`hardhat build`, so a fresh clone needs only
 * `npm install`), a `hardhat node` child, the stack deployed through the Ignition modules with
 * funded demo traders, and the sequencer (sequencer/src/main.ts) as a child process, ready. Each
 * step logs a progress line. The chain is new on every run, so the sequencer gets a new data
 * directory, `data/dev-<timestamp>/sequencer`, unless DATA_DIR is set.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, readdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import path from "node:path";
import {
  freePort,
  hardhatCli,
  startHardhatNode,
  type HardhatNode,
} from "./devchain/hardhat-node.js";
import { devAccount } from "./devchain/deploy-dev-stack.js";
import type { EmbeddedStack } from "./embedded-stack.js";

export class StartError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** True when something accepts TCP connections at host:port. */
export function listening(host: string, port: number): Promise<boolean> {
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

/** Uses the Redis at `url`, or starts a throwaway `redis-server` there when none listens. */
async function ensureRedis(
  url: string,
  log: (m: string) => void,
): Promise<ChildProcess | undefined> {
  const u = new URL(url);
  const port = Number(u.port || 6379);
  if (await listening(u.hostname, port)) {
    log(`redis: using ${url}`);
    return undefined;
  }
  const server = which("redis-server");
  if (!server || !["127.0.0.1", "localhost"].includes(u.hostname)) {
    throw new StartError(
      `no Redis listens at ${url}`,
      server
        ? "start Redis there, or set REDIS_URL to a running Redis"
        : "install Redis (Debian: apt-get install redis-server) or set REDIS_URL to a running Redis",
    );
  }
  log(`redis: none at ${url}; starting ${server} on port ${port} (in memory, stops with us)`);
  const child = spawn(
    server,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 50 && !(await listening(u.hostname, port)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await listening(u.hostname, port)))
    throw new StartError(`redis-server did not start on ${port}`);
  return child;
}

/**
 * Builds the contracts with the project's own hardhat (`hardhat build`, a child process): the
 * deployment reads their artifacts, which a fresh clone does not have. Incremental: about two
 * seconds when nothing changed.
 */
export async function buildContracts(cwd: string = process.cwd()): Promise<void> {
  const child = spawn(process.execPath, [hardhatCli(cwd), "build"], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) {
    throw new StartError(
      `hardhat build failed (exit ${code}):\n${output.trimEnd()}`,
      "run `npx hardhat build` for its full output and fix what it reports",
    );
  }
}

/** The start-up steps, replaceable in tests. */
export interface EmbeddedSteps {
  ensureRedis(url: string, log: (m: string) => void): Promise<ChildProcess | undefined>;
  buildContracts(): Promise<void>;
  startChain(port: number): Promise<HardhatNode>;
  deploy(rpcUrl: string, log: (m: string) => void): Promise<EmbeddedStack>;
}

const defaultSteps: EmbeddedSteps = {
  ensureRedis,
  buildContracts: () => buildContracts(),
  startChain: (port) => startHardhatNode({ port }),
  // Loaded once the contracts are built: it brings up Hardhat's runtime.
  deploy: async (rpcUrl, log) =>
    (await import("./embedded-stack.js")).deployEmbeddedStack(rpcUrl, log),
};

/** Runs the TypeScript entry point `script` (tsx) as a child with `env`, its output to `output`. */
function spawnTsx(
  script: string,
  env: NodeJS.ProcessEnv,
  output: "inherit" | string,
): ChildProcess {
  const stdio =
    output === "inherit" ? "inherit" : ["ignore", openSync(output, "a"), openSync(output, "a")];
  return spawn(process.execPath, ["--import", "tsx", path.resolve(script)], {
    stdio: stdio as never,
    env: { ...process.env, ...env },
  });
}

/** Sends SIGTERM to `child` and resolves once it exited (at once if it already has). */
function terminate(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Runs the sequencer (sequencer/src/main.ts) as a child with `env`. */
export const spawnSequencer = (env: NodeJS.ProcessEnv, output: "inherit" | string) =>
  spawnTsx("sequencer/src/main.ts", env, output);

/** Runs the watchtower (scripts/watchtower.ts) as a child with `env`. */
export const spawnWatchtower = (env: NodeJS.ProcessEnv, output: "inherit" | string) =>
  spawnTsx("scripts/watchtower.ts", env, output);

export interface EmbeddedRunOptions {
  /** Port of the API; default PORT or 8080 (a free one when taken). */
  apiPort?: number;
  /** Port of the chain; default CHAIN_PORT or 8545 (a free one when taken). */
  chainPort?: number;
  /** Extra sequencer environment (e.g. BATCH_MAX_MS). */
  env?: Record<string, string>;
  /** "inherit" or a log file path for the sequencer's output. Default "inherit". */
  sequencerOutput?: "inherit" | string;
  log?: (message: string) => void;
  /** Replaces start-up steps (tests). */
  steps?: Partial<EmbeddedSteps>;
}

export interface EmbeddedRun {
  node: HardhatNode;
  stack: EmbeddedStack;
  apiUrl: string;
  streamUrl: string;
  redisUrl: string;
  dataDir: string;
  sequencer: ChildProcess;
  /** The watchtower, its own process: its state (cursor, stats.json) in `watchtowerDir`. */
  watchtower: ChildProcess;
  watchtowerDir: string;
  stop(): Promise<void>;
}

async function portOr(preferred: number): Promise<number> {
  return (await listening("127.0.0.1", preferred)) ? freePort() : preferred;
}

/** Starts everything and resolves once the sequencer answers /readyz. */
export async function startEmbedded(options: EmbeddedRunOptions = {}): Promise<EmbeddedRun> {
  const log = options.log ?? (() => {});
  const steps = { ...defaultSteps, ...options.steps };
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const stops: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
    stops.length = 0;
  };
  try {
    // A new chain every run: a new data directory too, unless DATA_DIR says where. A sequencer
    // directory an earlier run wrote belongs to that run's chain, and the sequencer would refuse
    // it (chain-identity.ts): say so before building and deploying.
    const dataDir = path.resolve(process.env.DATA_DIR ?? path.join("data", `dev-${Date.now()}`));
    const sequencerDir = path.join(dataDir, "sequencer");
    if (existsSync(sequencerDir) && readdirSync(sequencerDir).length > 0) {
      throw new StartError(
        `DATA_DIR ${dataDir} holds the sequencer data of an earlier run (${sequencerDir}), which belongs to that run's chain; the embedded chain is new on every run`,
        "unset DATA_DIR (a new data/dev-<timestamp> is used) or point it at a new directory",
      );
    }

    const redis = await steps.ensureRedis(redisUrl, log);
    if (redis) stops.push(() => void redis.kill("SIGTERM"));

    log("contracts: building (hardhat build; incremental, quick when nothing changed)...");
    const buildStarted = Date.now();
    await steps.buildContracts();
    log(`contracts: built (${((Date.now() - buildStarted) / 1000).toFixed(1)} s)`);

    const chainPort = await portOr(options.chainPort ?? Number(process.env.CHAIN_PORT ?? 8545));
    log(`chain: starting hardhat node (shanghai) on port ${chainPort}...`);
    const node = await steps.startChain(chainPort);
    stops.push(() => node.stop());
    log(`chain: ready at ${node.url}`);

    log("deploy: the stack through the Ignition modules (Safes, timelock, settlement, markets)...");
    const stack = await steps.deploy(node.url, log);
    await mkdir(dataDir, { recursive: true });
    stack.savedTo = path.join(dataDir, "deployment.json");
    await writeFile(stack.savedTo, JSON.stringify(stack, null, 2));

    const apiPort = await portOr(options.apiPort ?? Number(process.env.PORT ?? 8080));
    const output = options.sequencerOutput ?? "inherit";
    log(`sequencer: starting on port ${apiPort}, data in ${sequencerDir}...`);
    const sequencer = spawnSequencer(
      {
        RPC_URL: node.url,
        CHAIN_ID: String(stack.chainId),
        SETTLEMENT_ADDRESS: stack.addresses.settlement!,
        SEQUENCER_PRIVATE_KEY: stack.sequencerKey,
        SETTLEMENT_START_BLOCK: stack.deployBlock,
        REDIS_URL: redisUrl,
        QUEUE_NAME: `clearmatch-dev-${Date.now()}`,
        DATA_DIR: sequencerDir,
        PORT: String(apiPort),
        CONFIRMATIONS: process.env.CONFIRMATIONS ?? "0",
        CHAIN_POLL_MS: process.env.CHAIN_POLL_MS ?? "250",
        BATCH_MAX_MS: process.env.BATCH_MAX_MS ?? "1000",
        ...options.env,
      },
      output,
    );
    stops.push(() => terminate(sequencer));

    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (sequencer.exitCode !== null) {
        throw new StartError(
          `the sequencer exited during start-up (code ${sequencer.exitCode})`,
          // 2: it refused to start and said why, with a fix line (main.ts).
          sequencer.exitCode === 2
            ? `see the sequencer's "error:" and "fix:" lines ${output === "inherit" ? "above" : `in ${output}`}`
            : undefined,
        );
      }
      const ready = await fetch(`${apiUrl}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline)
        throw new StartError("the sequencer did not become ready in 120 s");
      await new Promise((r) => setTimeout(r, 250));
    }
    log(`sequencer: ready at ${apiUrl}`);

    // The watchtower anyone can run, here with its own key (Hardhat's account 18) and state,
    // reading the sequencer's order feed and proving any fraud it finds.
    const watchtowerDir = path.join(dataDir, "watchtower");
    const watchtower = spawnWatchtower(
      {
        RPC_URL: node.url,
        SETTLEMENT_ADDRESS: stack.addresses.settlement!,
        WATCHTOWER_KEY: devAccount(18).privateKey, // Hardhat's dev account 18 (funded)
        ORDER_FEED_URL: apiUrl,
        SETTLEMENT_START_BLOCK: stack.deployBlock,
        WATCHTOWER_DATA_DIR: watchtowerDir,
        WATCHTOWER_POLL_MS: process.env.WATCHTOWER_POLL_MS ?? "500",
      },
      output,
    );
    stops.push(() => terminate(watchtower));
    // Ready once its first check is written: from then on it keeps up with every commit.
    const watchDeadline = Date.now() + 60_000;
    while (!existsSync(path.join(watchtowerDir, "stats.json"))) {
      if (watchtower.exitCode !== null)
        throw new StartError(`the watchtower exited during start-up (code ${watchtower.exitCode})`);
      if (Date.now() > watchDeadline)
        throw new StartError("the watchtower did not complete its first check in 60 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    log(`watchtower: watching, state in ${watchtowerDir}`);
    return {
      node,
      stack,
      apiUrl,
      streamUrl: `ws://127.0.0.1:${apiPort}/v1/stream`,
      redisUrl,
      dataDir,
      sequencer,
      watchtower,
      watchtowerDir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
