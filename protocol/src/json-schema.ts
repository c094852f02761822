/**
 * JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) of the wire's zod schemas, so the API
 * document is generated from the schemas the server validates with and the SDK decodes with.
 * Primitives whose zod form is a transform (a decimal string parsed to bigint, an address
 * checksummed) register what they accept on the wire with `withJsonSchema`.
 */
import type { z } from "zod";

export type JsonSchema = Record<string, unknown>;

const registered = new WeakMap<object, JsonSchema>();

/** Records the wire form of `schema` (what a document should say it accepts); returns it. */
export function withJsonSchema<S extends z.ZodTypeAny>(schema: S, json: JsonSchema): S {
  registered.set(keyOf(schema), json);
  return schema;
}

/**
 * What identifies a schema across zod's copies: `.describe()` returns a copy whose `_def` is new
 * but whose transform (`_def.effect`) is the same object.
 */
function keyOf(schema: z.ZodTypeAny): object {
  const effect = (schema._def as { effect?: object }).effect;
  return effect ?? schema;
}

interface Def {
  typeName?: string;
  [key: string]: unknown;
}

/** The JSON Schema of `schema`'s wire (input) form. Throws on a zod type it does not know. */
export function toJsonSchema(schema: z.ZodTypeAny): JsonSchema {
  const own = registered.get(keyOf(schema));
  if (own) {
    // A field's own description first, then what the primitive says about its form.
    const field = schema.description;
    const form = own["description"];
    if (field === undefined) return own;
    return { ...own, description: form === undefined ? field : `${field} (${String(form)})` };
  }
  const def = schema._def as Def;
  const inner = (key: string) => toJsonSchema(def[key] as z.ZodTypeAny);
  switch (def.typeName) {
    case "ZodObject": {
      const shape = (schema as z.AnyZodObject).shape as Record<string, z.ZodTypeAny>;
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const [key, field] of Object.entries(shape)) {
        properties[key] = toJsonSchema(field);
        if (!field.isOptional()) required.push(key);
      }
      return {
        type: "object",
        properties,
        ...(required.length ? { required } : {}),
        ...(def["unknownKeys"] === "strict" ? { additionalProperties: false } : {}),
        ...describe(schema),
      };
    }
    case "ZodEffects":
      return { ...inner("schema"), ...describe(schema) };
    case "ZodOptional":
    case "ZodDefault":
    case "ZodReadonly":
      return { ...inner("innerType"), ...describe(schema) };
    case "ZodNullable":
      return { anyOf: [inner("innerType"), { type: "null" }] };
    case "ZodArray": {
      const min = def["minLength"] as { value: number } | null;
      const max = def["maxLength"] as { value: number } | null;
      return {
        type: "array",
        items: inner("type"),
        ...(min ? { minItems: min.value } : {}),
        ...(max ? { maxItems: max.value } : {}),
        ...describe(schema),
      };
    }
    case "ZodString": {
      const checks =
        (def["checks"] as Array<{ kind: string; value?: number; regex?: RegExp }>) ?? [];
      const out: JsonSchema = { type: "string" };
      for (const c of checks) {
        if (c.kind === "max") out["maxLength"] = c.value;
        if (c.kind === "min") out["minLength"] = c.value;
        if (c.kind === "regex") out["pattern"] = c.regex!.source;
      }
      return { ...out, ...describe(schema) };
    }
    case "ZodNumber":
      return { type: "integer", ...describe(schema) };
    case "ZodBoolean":
      return { type: "boolean", ...describe(schema) };
    case "ZodLiteral":
      return { const: def["value"], ...describe(schema) };
    case "ZodEnum":
      return { type: "string", enum: [...(def["values"] as string[])], ...describe(schema) };
    case "ZodUnion":
    case "ZodDiscriminatedUnion":
      return {
        oneOf: [...(def["options"] as Iterable<z.ZodTypeAny>)].map(toJsonSchema),
        ...describe(schema),
      };
    default:
      throw new Error(`toJsonSchema: no JSON Schema for zod type ${def.typeName}`);
  }
}

function describe(schema: z.ZodTypeAny): JsonSchema {
  return schema.description === undefined ? {} : { description: schema.description };
}
