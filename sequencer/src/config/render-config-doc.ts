/**
 * Renders `docs/configuration.md` from `configVariables`, so the document cannot drift from
 * the code (`sequencer/test/config.test.ts` compares them; `UPDATE_DOCS=1` rewrites it).
 */
import { configVariables, type ConfigVariable } from "./config.js";

export function renderConfigDoc(): string {
  const rows = (Object.entries(configVariables) as [string, ConfigVariable][]).map(([name, v]) => {
    const fallback =
      v.default !== undefined ? `\`${v.default}\`` : v.optional ? "unset" : "**required**";
    const secret = v.secret ? " **Secret.**" : "";
    return `| \`${name}\` | ${fallback} | ${v.description.replaceAll("|", "\\|")}${secret} |`;
  });
  return [
    "# Sequencer configuration",
    "",
    "<!-- Generated from sequencer/src/config/config.ts by sequencer/src/config/render-config-doc.ts.",
    "     Do not edit by hand: run `UPDATE_DOCS=1 npx vitest run sequencer/test/config.test.ts`. -->",
    "",
    "The sequencer reads its configuration from the environment once at start-up",
    "(`loadConfig` in `sequencer/src/config/config.ts`) and refuses to start when any variable",
    "is invalid, listing every invalid one (values of secrets are never printed). An empty",
    "variable counts as unset. Integers are plain decimal (no units, no underscores).",
    "Secrets come from the environment (or a secret manager filling it), never from files in git.",
    "",
    "| variable | default | meaning |",
    "| --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}
