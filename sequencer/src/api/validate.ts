/**
 * Runs a wire schema and turns its failure into VALIDATION_FAILED with one `{ path, message }`
 * per problem (at most `MAX_ISSUES`, so a bad 100-order batch does not produce a huge answer).
 */
import type { z } from "zod";
import { ClearmatchError } from "../errors/clearmatch-error.js";

const MAX_ISSUES = 20;

export type InputPart = "body" | "params" | "query";

export function validate<S extends z.ZodTypeAny>(
  schema: S,
  input: unknown,
  part: InputPart,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, MAX_ISSUES).map((issue) => ({
    path: [part, ...issue.path].join("."),
    message:
      issue.code === "unrecognized_keys"
        ? `unknown field(s): ${issue.keys.join(", ")}`
        : issue.message,
  }));
  throw new ClearmatchError("VALIDATION_FAILED", `Invalid request ${part}`, {
    details: { issues, truncated: result.error.issues.length > MAX_ISSUES },
  });
}
