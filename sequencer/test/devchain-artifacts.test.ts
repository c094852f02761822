import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deployDevStack } from "../../scripts/lib/devchain/deploy-dev-stack.js";

describe("deployDevStack", () => {
  it("says to compile the contracts when their artifacts are missing, before any RPC call", async () => {
    const root = mkdtempSync(join(tmpdir(), "clearmatch-no-artifacts-"));
    try {
      // Nothing listens on port 1: an RPC call would fail with a connection error instead.
      await expect(deployDevStack("http://127.0.0.1:1", { root })).rejects.toThrow(
        /TestERC20\.json is missing: compile the contracts first \(npm run build\)/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
