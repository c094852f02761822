// Writes dist/pkg/package.json for a workspace package built by `tsc -p tsconfig.build.json`:
// the source manifest with `exports` pointing at the compiled ESM and its declarations, so
// dist/pkg is the package as it would be published (`npm pack dist/pkg`). In the repository the
// workspace keeps exporting its TypeScript sources (tsx, vitest and tsc read those).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? ".";
const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
const out = {
  ...manifest,
  exports: { ".": { types: "./index.d.ts", import: "./index.js", default: "./index.js" } },
  types: "./index.d.ts",
  sideEffects: false,
};
delete out.scripts;
delete out.devDependencies;
writeFileSync(join(dir, "dist/pkg/package.json"), `${JSON.stringify(out, null, 2)}\n`);
