import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { settlementAbi } from "@clearmatch/protocol";
import { ABI_ARTIFACT } from "../../scripts/gen-abi.js";

describe("settlement ABI", () => {
  it("matches the compiled ISettlement interface (run `npm run gen:abi` when it does not)", async () => {
    const artifact = JSON.parse(await readFile(ABI_ARTIFACT, "utf8")) as { abi: unknown[] };
    expect(settlementAbi).toEqual(artifact.abi);
  });
});
