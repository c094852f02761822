/**
 * The SDK as a package (issue 22): `npm run build:packages` compiles `@clearmatch/protocol` and
 * `@clearmatch/sdk` to ESM with declarations (`<package>/dist/pkg`, each with the manifest it
 * would be published with). Installed from there into a fresh `node_modules` (the built packages
 * copied, their npm dependencies linked), the SDK
 * - imports in plain Node (no TypeScript loader), and
 * - bundles for the browser with Vite (the web client's toolchain) and runs in headless
 *   Chromium (Debian's, driven by playwright-core), where it hashes, signs, recovers, decodes and
 *   builds a fills tree exactly as it does in Node.
 */
import { execFileSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/** The checks, as source: the same module runs in Node and, bundled, in Chromium. */
const CHECKS = `
import { ClearmatchClient, decodeFill } from "@clearmatch/sdk";
import { buildFillTree, clearmatchDomain, orderTypes, OrderHasher } from "@clearmatch/protocol";
import { privateKeyToAccount } from "viem/accounts";
import { recoverTypedDataAddress } from "viem";

export async function runChecks() {
  const settlement = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  const domain = clearmatchDomain(31337, settlement);
  const account = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  const order = {
    trader: account.address, marketId: 1, side: 1, price: 2000000000n, amount: 10n ** 18n,
    nonce: 7n, expiry: 1900000000n, maxFeeBps: 30, flags: 4,
  };
  const orderHash = new OrderHasher(domain).hashOrder(order);
  const signature = await account.signTypedData({ domain, types: orderTypes, primaryType: "Order", message: order });
  const signer = await recoverTypedDataAddress({ domain, types: orderTypes, primaryType: "Order", message: order, signature });
  const fill = decodeFill({
    fillId: "9", marketId: 1, price: "2000000000", baseAmount: "1000000000000000000",
    quoteAmount: "2000000000", takerSide: 0, matchedAt: 1, status: "committed",
    makerOrderHash: orderHash, takerOrderHash: orderHash, maker: account.address.toLowerCase(),
    taker: account.address, makerFee: "0", takerFee: "2000000", batchId: "3", index: 0,
  });
  const leaf = {
    batchId: 3n, index: 0, makerOrderHash: orderHash, takerOrderHash: orderHash,
    maker: account.address, taker: account.address, marketId: 1, takerSide: 0,
    price: 2000000000n, baseAmount: 10n ** 18n, quoteAmount: 2000000000n, makerFee: 0n,
    takerFee: 2000000n, makerFilledAfter: 10n ** 18n, takerFilledAfter: 10n ** 18n,
    takerFok: false, fokRunEnd: false,
  };
  const root = buildFillTree([leaf, { ...leaf, index: 1 }]).root;
  let badResponse = "";
  try { decodeFill({ ...fill, fillId: "9", price: 2.5 }); } catch (e) { badResponse = e.code; }
  new ClearmatchClient({ baseUrl: "http://127.0.0.1:1", chainId: 31337, settlement });
  return {
    orderHash, signature, signer, root, badResponse,
    fill: JSON.stringify(fill, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    nodeGlobals: typeof globalThis.Buffer + "/" + typeof globalThis.process,
  };
}
`;

type Results = Record<string, string>;

const MIME: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".map": "application/json",
};

describe("@clearmatch/sdk as a built package", () => {
  let dir: string;
  let server: Server | undefined;
  let browser: Browser | undefined;

  beforeAll(() => {
    execFileSync("npm", ["run", "build:packages"], { cwd: ROOT, stdio: "pipe" });
    dir = mkdtempSync(join(tmpdir(), "clearmatch-sdk-pkg-"));
    const modules = join(dir, "node_modules");
    mkdirSync(join(modules, "@clearmatch"), { recursive: true });
    mkdirSync(join(modules, "@noble"), { recursive: true });
    for (const name of ["protocol", "sdk"]) {
      cpSync(join(ROOT, name, "dist/pkg"), join(modules, "@clearmatch", name), { recursive: true });
    }
    for (const dep of ["viem", "zod", "ws", "@noble/hashes"]) {
      symlinkSync(join(ROOT, "node_modules", dep), join(modules, dep), "dir");
    }
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    writeFileSync(join(dir, "checks.js"), CHECKS);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => (server ? server.close(done) : done(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let inNode: Results;

  it("ships ESM with declarations and imports in plain Node", () => {
    const manifest = JSON.parse(
      readFileSync(join(dir, "node_modules/@clearmatch/sdk/package.json"), "utf8"),
    ) as { exports: Record<string, Record<string, string>> };
    expect(manifest.exports["."]).toMatchObject({ types: "./index.d.ts", import: "./index.js" });
    const declarations = readFileSync(join(dir, "node_modules/@clearmatch/sdk/index.d.ts"), "utf8");
    expect(declarations).toContain("ClearmatchClient");
    writeFileSync(
      join(dir, "node-run.js"),
      `import { runChecks } from "./checks.js";\nconsole.log(JSON.stringify(await runChecks()));\n`,
    );
    const out = execFileSync(process.execPath, ["--no-experimental-strip-types", "node-run.js"], {
      cwd: dir,
      encoding: "utf8",
    });
    inNode = JSON.parse(out) as Results;
    expect(inNode["badResponse"]).toBe("BAD_RESPONSE");
    expect(inNode["signer"]).toBe("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  }, 60_000);

  it("bundles with Vite and runs in headless Chromium, answering as in Node", async () => {
    writeFileSync(
      join(dir, "index.html"),
      `<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>`,
    );
    writeFileSync(
      join(dir, "main.js"),
      `import { runChecks } from "./checks.js";\nwindow.clearmatchChecks = runChecks();\n`,
    );
    await build({
      root: dir,
      configFile: false,
      logLevel: "error",
      build: { outDir: join(dir, "web"), emptyOutDir: true },
    });
    const web = join(dir, "web");
    server = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const file = join(web, path === "/" ? "index.html" : path);
      try {
        const body = readFileSync(file);
        res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
    const { port } = server.address() as AddressInfo;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/`);
    const inBrowser = await page.evaluate(
      () => (globalThis as unknown as { clearmatchChecks: Promise<Results> }).clearmatchChecks,
    );
    expect(errors).toEqual([]);
    expect(inBrowser["nodeGlobals"]).toBe("undefined/undefined");
    const { nodeGlobals: _browser, ...browserRest } = inBrowser;
    const { nodeGlobals: _node, ...nodeRest } = inNode;
    expect(browserRest).toEqual(nodeRest);
  }, 120_000);
});
