import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** A maker of fresh temporary directories named `clearmatch-<name>-*`, removed after the file's tests. */
export function tempDirs(name: string): () => string {
  const roots: string[] = [];
  afterAll(() => {
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `clearmatch-${name}-`));
    roots.push(dir);
    return dir;
  };
}
