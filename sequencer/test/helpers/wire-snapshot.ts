/**
 * The wire snapshot (issue 22): the OpenAPI document and the shapes of the WebSocket messages,
 * kept as fixtures under `sequencer/test/fixtures/wire/`, so a refactoring that changes what goes
 * over the wire fails a test instead of passing silently. A shape keeps keys and JSON types, not
 * values; the shapes of several messages of one kind merge (a key some carry is optional: `?`).
 * `UPDATE_WIRE=1 npx vitest run <file>` rewrites the fixtures after an intended wire change (list it
 * in the changelog).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export type Shape = string | { [key: string]: Shape } | Shape[];

/** The shape of one JSON value: its keys (sorted) and types, recursively. */
export function shapeOf(value: unknown): Shape {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? [] : [mergeShapes(value.map(shapeOf))];
  if (typeof value === "object")
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]),
    );
  return typeof value;
}

/** One shape for several: keys absent from some become `key?`, differing types `a|b`. */
export function mergeShapes(shapes: readonly Shape[]): Shape {
  const objects = shapes.filter((s): s is { [key: string]: Shape } => isObject(s));
  if (objects.length === shapes.length && objects.length > 0) {
    const keys = [...new Set(objects.flatMap((o) => Object.keys(o).map(bare)))].sort();
    return Object.fromEntries(
      keys.map((k) => {
        const present = objects.filter((o) => k in o || `${k}?` in o);
        const optional = present.length < objects.length || objects.some((o) => `${k}?` in o);
        return [
          optional ? `${k}?` : k,
          mergeShapes(present.map((o) => (k in o ? o[k]! : o[`${k}?`]!))),
        ];
      }),
    );
  }
  const arrays = shapes.filter((s): s is Shape[] => Array.isArray(s));
  if (arrays.length === shapes.length) {
    const items = arrays.flatMap((a) => a);
    return items.length === 0 ? [] : [mergeShapes(items)];
  }
  const names = [...new Set(shapes.map((s) => (typeof s === "string" ? s : JSON.stringify(s))))];
  return names.sort().join("|");
}

const bare = (key: string) => key.replace(/\?$/, "");
const isObject = (s: Shape): s is { [key: string]: Shape } =>
  typeof s === "object" && !Array.isArray(s);

/** Stream events grouped as `<channel kind>/<event>` (`account:0x..` is `account`), shapes merged. */
export function streamShapes(
  events: readonly { channel: string; event: string; data: unknown }[],
): Record<string, Shape> {
  const groups = new Map<string, Shape[]>();
  for (const e of events) {
    const key = `${e.channel.split(":")[0]}/${e.event}`;
    groups.set(key, [...(groups.get(key) ?? []), shapeOf(e.data)]);
  }
  return Object.fromEntries([...groups.keys()].sort().map((k) => [k, mergeShapes(groups.get(k)!)]));
}

const FIXTURES = "sequencer/test/fixtures/wire";

/** The fixture `name` (rewritten first when UPDATE_WIRE=1) and the value to compare with it. */
export async function wireFixture(name: string, value: unknown): Promise<unknown> {
  const path = join(FIXTURES, `${name}.json`);
  if (process.env.UPDATE_WIRE === "1") await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
  return JSON.parse(await readFile(path, "utf8")) as unknown;
}
