import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Hex } from "viem";
import {
  checkChainIdentity,
  ChainIdentityError,
  type ChainIdentityConfig,
  type ChainReader,
} from "../src/runtime/chain-identity.js";

const SETTLEMENT = "0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9";
const hash = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

/** A chain of `head + 1` blocks whose hashes are `seed + number`. */
function chain(seed: number, head = 100n, chainId = 31337): ChainReader & { calls: number } {
  const reader = {
    calls: 0,
    chainId: async () => chainId,
    head: async () => head,
    blockHash: async (n: bigint) => {
      reader.calls++;
      return n <= head ? hash(seed + Number(n)) : undefined;
    },
  };
  return reader;
}

function setup(extra: Partial<ChainIdentityConfig> = {}): ChainIdentityConfig {
  return {
    DATA_DIR: join(mkdtempSync(join(tmpdir(), "clearmatch-identity-")), "data"),
    RPC_URL: "http://127.0.0.1:1",
    CHAIN_ID: 31337,
    SETTLEMENT_ADDRESS: SETTLEMENT,
    SETTLEMENT_START_BLOCK: 5n,
    ...extra,
  };
}

function logs() {
  const lines: Array<{ level: string; msg: string }> = [];
  return {
    lines,
    logger: {
      info: (_o: unknown, msg?: string) => void lines.push({ level: "info", msg: msg ?? "" }),
      warn: (_o: unknown, msg?: string) => void lines.push({ level: "warn", msg: msg ?? "" }),
    } as never,
  };
}

const refusal = async (p: Promise<unknown>) => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChainIdentityError);
  return error as ChainIdentityError;
};

describe("chain identity of a data directory", () => {
  it("records the identity on first start, atomically, and accepts the same chain after", async () => {
    const config = setup();
    const id = await checkChainIdentity(config, { reader: chain(1000) });
    expect(id).toEqual({
      chainId: 31337,
      settlement: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
      startBlock: "5",
      startBlockHash: hash(1005),
    });
    expect(readdirSync(config.DATA_DIR)).toEqual(["chain.json"]);
    expect(JSON.parse(readFileSync(join(config.DATA_DIR, "chain.json"), "utf8"))).toMatchObject(id);
    expect(await checkChainIdentity(config, { reader: chain(1000) })).toEqual(id);
  });

  it("refuses another chain whose block at the recorded number has another hash", async () => {
    const config = setup();
    await checkChainIdentity(config, { reader: chain(1000) });
    const error = await refusal(checkChainIdentity(config, { reader: chain(2000) }));
    expect(error.code).toBe("DATA_DIR_OTHER_CHAIN");
    expect(error.message).toContain("block 5's hash differs");
    expect(error.message).toContain(hash(1005));
    expect(error.message).toContain(hash(2005));
    expect(error.fix).toMatch(/^point DATA_DIR at a new directory for this chain/);
  });

  it("refuses another settlement address, and a chain too short to hold the recorded block", async () => {
    const config = setup();
    await checkChainIdentity(config, { reader: chain(1000) });
    const other = { ...config, SETTLEMENT_ADDRESS: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
    const error = await refusal(checkChainIdentity(other as never, { reader: chain(1000) }));
    expect(error.message).toContain("settlement address differs");
    const short = await refusal(checkChainIdentity(config, { reader: chain(1000, 3n) }));
    expect(short.code).toBe("DATA_DIR_OTHER_CHAIN");
    expect(short.message).toContain("the chain's head is block 3");
  });

  it("keeps the recorded block when SETTLEMENT_START_BLOCK changes later, with a warning", async () => {
    const config = setup();
    await checkChainIdentity(config, { reader: chain(1000) });
    const { lines, logger } = logs();
    const id = await checkChainIdentity(
      { ...config, SETTLEMENT_START_BLOCK: 7n },
      { reader: chain(1000), logger },
    );
    expect(id.startBlock).toBe("5");
    expect(
      lines.some((l) => l.level === "warn" && /SETTLEMENT_START_BLOCK differs/.test(l.msg)),
    ).toBe(true);
  });

  it("refuses an RPC that serves another chain id than CHAIN_ID", async () => {
    const error = await refusal(checkChainIdentity(setup(), { reader: chain(1000, 100n, 137) }));
    expect(error.code).toBe("CHAIN_ID_MISMATCH");
    expect(error.message).toContain("serves chain id 137, but CHAIN_ID is 31337");
  });

  it("refuses a first start whose SETTLEMENT_START_BLOCK is beyond the head, writing nothing", async () => {
    const config = setup({ SETTLEMENT_START_BLOCK: 500n });
    const error = await refusal(checkChainIdentity(config, { reader: chain(1000) }));
    expect(error.code).toBe("START_BLOCK_AHEAD");
    expect(existsSync(config.DATA_DIR)).toBe(false);
  });

  it("adopts the current chain, with a warning, for a directory an older version wrote", async () => {
    const config = setup();
    mkdirSync(join(config.DATA_DIR, "journal"), { recursive: true });
    writeFileSync(join(config.DATA_DIR, "chain-cursor.json"), JSON.stringify({ block: "80" }));
    const { lines, logger } = logs();
    const id = await checkChainIdentity(config, { reader: chain(1000), logger });
    expect(id.startBlockHash).toBe(hash(1005));
    expect(lines.some((l) => l.level === "warn" && /older version.*adopting/.test(l.msg))).toBe(
      true,
    );
    expect(existsSync(join(config.DATA_DIR, "chain.json"))).toBe(true);
  });

  it("refuses an older version's directory whose watcher cursor is beyond this chain's head", async () => {
    const config = setup();
    mkdirSync(join(config.DATA_DIR, "journal"), { recursive: true });
    writeFileSync(join(config.DATA_DIR, "chain-cursor.json"), JSON.stringify({ block: "900" }));
    const error = await refusal(checkChainIdentity(config, { reader: chain(1000) }));
    expect(error.code).toBe("DATA_DIR_OTHER_CHAIN");
    expect(error.message).toContain("processed block 900, beyond this chain's head (block 100)");
    expect(existsSync(join(config.DATA_DIR, "chain.json"))).toBe(false);
  });

  it("refuses a malformed identity file", async () => {
    const config = setup();
    mkdirSync(config.DATA_DIR, { recursive: true });
    writeFileSync(join(config.DATA_DIR, "chain.json"), "{}");
    const error = await refusal(checkChainIdentity(config, { reader: chain(1000) }));
    expect(error.code).toBe("IDENTITY_FILE_CORRUPT");
  });

  it("retries while the RPC fails, then checks", async () => {
    const config = setup();
    const reader = chain(1000);
    let failures = 3;
    const flaky: ChainReader = {
      ...reader,
      chainId: async () => {
        if (failures-- > 0) throw new Error("ECONNREFUSED");
        return 31337;
      },
    };
    expect((await checkChainIdentity(config, { reader: flaky, retryMs: 1 })).chainId).toBe(31337);
  });
});
