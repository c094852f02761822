import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { settlementAbi } from "@clearmatch/protocol";
import { ABI_ARTIFACT, GOVERNANCE_ABIS, governanceAbi } from "../../scripts/gen-abi.js";
import * as generated from "../../scripts/lib/governance/contract-abis.js";

describe("settlement ABI", () => {
  it("matches the compiled ISettlement interface (run `npm run gen:abi` when it does not)", async () => {
    const artifact = JSON.parse(await readFile(ABI_ARTIFACT, "utf8")) as { abi: unknown[] };
    expect(settlementAbi).toEqual(artifact.abi);
  });

  it("governance's contract ABIs are their compiled artifacts' (npm run gen:abi)", async () => {
    for (const name of Object.keys(GOVERNANCE_ABIS) as Array<keyof typeof GOVERNANCE_ABIS>) {
      const abi = await governanceAbi(name);
      expect(abi.length).toBeGreaterThan(2);
      expect(generated[name]).toEqual(abi);
    }
  });
});
