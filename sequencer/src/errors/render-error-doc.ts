/**
 * Renders `docs/api-errors.md` from the registry, so the document cannot drift from the code
 * (`sequencer/test/errors-registry.test.ts` compares them; run it with `UPDATE_DOCS=1` to rewrite).
 */
import { allErrorCodes, errorCodes } from "./error-codes.js";

export function renderErrorDoc(): string {
  const rows = allErrorCodes.map((code) => {
    const { status, description } = errorCodes[code];
    return `| \`${code}\` | ${status} | ${description.replaceAll("|", "\\|")} |`;
  });
  return [
    "# API errors",
    "",
    "<!-- Generated from sequencer/src/errors/error-codes.ts by sequencer/src/errors/render-error-doc.ts.",
    "     Do not edit by hand: run `UPDATE_DOCS=1 npx vitest run sequencer/test/errors-registry.test.ts`. -->",
    "",
    "Every error answer of the REST API has this body, with the HTTP status of its code:",
    "",
    "```json",
    '{ "error": { "code": "PRICE_BAND", "message": "human text, may change", "details": {} } }',
    "```",
    "",
    "Clients must branch on `code` (stable), never on `message`. `details` is optional and",
    "code-specific (for `VALIDATION_FAILED`, `details.issues` lists `{ path, message }`; for",
    "`RATE_LIMITED` and `OVERLOADED`, `details.retryAfterMs`, mirrored in `Retry-After`).",
    'WebSocket error frames carry the same codes: `{ "type": "error", "code", "message" }`.',
    "",
    "Every rejection of client input is a 4xx. Trading locks (kill switch, halt, on-chain pause)",
    "answer **423 Locked**: the request was refused by policy, not by a fault of the service, and",
    "the same request succeeds once the lock lifts. 5xx is reserved for faults of the service.",
    "",
    "| code | status | meaning |",
    "| --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}
