import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";

/** Runs `code` as init code in an eth_call; resolves true when it executes without an exception. */
async function runs(code: `0x${string}`): Promise<boolean> {
  const { viem } = await network.create();
  const client = await viem.getPublicClient();
  try {
    await client.call({ data: code });
    return true;
  } catch (error) {
    assert.match(String(error), /invalid opcode/i);
    return false;
  }
}

describe("simulated network", () => {
  it("runs shanghai: PUSH0 executes", async () => {
    assert.equal(await runs("0x5f00"), true);
  });

  it("runs shanghai: MCOPY (cancun) and TSTORE (cancun) are invalid opcodes", async () => {
    // PUSH1 32, PUSH1 0, PUSH1 10, MCOPY, STOP
    assert.equal(await runs("0x60206000600a5e00"), false);
    // PUSH0, PUSH0, TSTORE, STOP
    assert.equal(await runs("0x5f5f5d00"), false);
  });
});
