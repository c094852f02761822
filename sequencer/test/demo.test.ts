import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * `npm run demo -- --short` end to end, as CI runs it: the embedded stack (hardhat node, Ignition
 * deployment, Redis, the sequencer as a child), SDK-signed orders over HTTP, batches committed and
 * finalized on-chain, fill proofs verified against the on-chain roots, and the reconciliation of
 * every on-chain balance with the sequencer's view.
 */
describe("demo (short mode)", () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("trades, settles every fill on-chain and reconciles every balance", async () => {
    dir = await mkdtemp(join(tmpdir(), "clearmatch-demo-"));
    const summaryFile = join(dir, "summary.json");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/demo.ts", "--short", "--seconds", "5", "--json", summaryFile],
      { env: { ...process.env, DATA_DIR: join(dir, "data"), LOG_LEVEL: "warn" }, stdio: "pipe" },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, output.slice(-3000)).toBe(0);
    const summary = JSON.parse(await readFile(summaryFile, "utf8"));
    expect(summary.reconciliation.ok).toBe(true);
    expect(summary.reconciliation.accounts).toBeGreaterThan(1);
    expect(summary.fills).toBeGreaterThan(0);
    expect(summary.fillsFinalized).toBe(summary.fills);
    expect(summary.batchesFinalized).toBeGreaterThan(0);
    expect(summary.fillProofs.checked).toBeGreaterThan(0);
    expect(summary.fillProofs.valid).toBe(summary.fillProofs.checked);
    expect(summary.gasPerFill).toBeGreaterThan(0);
    // An honest run is never provably wrong: nothing busted, rolled back or provable.
    expect(summary.fillsRolledBack).toBe(0);
    expect(summary.batchesRolledBack).toBe(0);
    expect(summary.fraudAudit.committed).toBe(summary.fills);
    expect(summary.fraudAudit.provable).toBe(0);
    expect(output).toMatch(new RegExp(`0 provable of ${summary.fills} committed`));
    expect(output).toMatch(/t=\d+s orders \d+/); // live progress was printed
  }, 300_000);
});
