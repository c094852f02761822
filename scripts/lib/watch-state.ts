/**
 * Where a watchtower run by `scripts/watchtower.ts` keeps its cursor between runs: a JSON file
 * written atomically (Node only; the SDK's `Watchtower` takes any `CursorStore`).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { CursorStore } from "@clearmatch/sdk";

/** A JSON file written atomically (temporary file, then rename). */
export class FileCursorStore implements CursorStore {
  constructor(readonly path: string) {}
  load(): bigint | undefined {
    try {
      const { block } = JSON.parse(readFileSync(this.path, "utf8")) as { block: string };
      return BigInt(block);
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    }
  }
  save(block: bigint): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ block: block.toString() }));
    renameSync(tmp, this.path);
  }
}
