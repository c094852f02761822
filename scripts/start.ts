/**
 * `npm start`: the real Clearmatch service.
 *
 * - With `RPC_URL` set, it runs the sequencer against that network, configured entirely from the
 *   environment (docs/configuration.md).
 * - Without it, it runs on an embedded default (scripts/lib/embedded-run.ts): the contracts built
 *   (`hardhat build`, incremental), a `hardhat node` child (simulated shanghai chain), the whole
 *   stack deployed through the Ignition modules with
 *   ignition/parameters/localhost.json, funded demo traders, Redis at REDIS_URL (or a
 *   `redis-server` it starts itself when none listens), and the sequencer with a new data directory
 *   (`data/dev-<timestamp>`, or DATA_DIR), and a watchtower (scripts/watchtower.ts, its own
 *   process reading the sequencer's order feed); it prints the URLs, contract addresses and demo
 *   keys, and runs until Ctrl-C.
 */
import { spawnSequencer, StartError, startEmbedded, type EmbeddedRun } from "./lib/embedded-run.js";

const log = (message: string) => process.stdout.write(`[start] ${message}\n`);

function banner(run: EmbeddedRun) {
  const { stack } = run;
  const lines = [
    "",
    "Clearmatch is running on an embedded simulated chain",
    `  API        ${run.apiUrl}/v1   (reference: ${run.apiUrl}/v1/openapi.json)`,
    `  health     ${run.apiUrl}/healthz, ${run.apiUrl}/readyz, metrics ${run.apiUrl}/metrics`,
    `  stream     ${run.streamUrl}`,
    `  chain      ${run.node.url} (chain id ${stack.chainId}, shanghai)`,
    `  redis      ${run.redisUrl}`,
    `  watchtower its own process (scripts/watchtower.ts), state in ${run.watchtowerDir}`,
    `  data       ${run.dataDir}`,
    process.env.DATA_DIR
      ? "             (DATA_DIR; it now belongs to this run's chain: a later run needs a new one)"
      : "             (new for this run's chain; set DATA_DIR to choose the directory)",
    "  contracts:",
    ...Object.entries(stack.addresses).map(
      ([name, address]) => `    ${name.padEnd(26)} ${address}`,
    ),
    "  markets:",
    ...stack.markets.map((m) => `    ${m.marketId}: ${m.base}/${m.quote}`),
    "  demo traders, funded and deposited (Hardhat's public development keys: never use them on a real network):",
    ...stack.traders.map((t) => `    ${t.address}  ${t.privateKey}`),
    "",
    "Ctrl-C stops everything.",
    "",
  ];
  process.stdout.write(lines.join("\n"));
}

async function main() {
  if (process.env.RPC_URL) {
    log(`RPC_URL is set: running the sequencer against ${process.env.RPC_URL}`);
    const child = spawnSequencer({}, "inherit");
    child.on("exit", (code) => process.exit(code ?? 1));
    for (const signal of ["SIGINT", "SIGTERM"] as const)
      process.on(signal, () => child.kill(signal));
    return;
  }
  const run = await startEmbedded({ log });
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    void run.stop().then(() => process.exit(code));
  };
  process.on("SIGINT", () => stop(0));
  process.on("SIGTERM", () => stop(0));
  run.sequencer.on("exit", (code) => {
    if (stopping) return;
    process.stderr.write(`[start] the sequencer exited (${code}); stopping\n`);
    stop(code ?? 1);
  });
  banner(run);
}

main().catch((error) => {
  process.stderr.write(
    `[start] error: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  if (error instanceof StartError && error.fix) process.stderr.write(`[start] fix: ${error.fix}\n`);
  process.exit(1);
});
