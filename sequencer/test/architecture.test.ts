/**
 * The floor plan holds (docs/architecture.md): each room of `sequencer/src` imports only from
 * rooms below it (or from itself), nothing in `sequencer/src` imports from the SDK, the scripts or
 * the tests, no import cycle anywhere, and the protocol and SDK packages stay browser-safe and
 * independent of the server.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SRC = path.join(ROOT, "sequencer/src");

/** Rooms, bottom first. A room may import from rooms of a lower rank and from itself. */
const RANK: Record<string, number> = {
  engine: 1,
  errors: 1,
  logging: 1,
  threads: 1,
  crypto: 2,
  journal: 2,
  metrics: 2,
  config: 2,
  chain: 2,
  core: 3,
  intake: 4,
  settlement: 4,
  read: 5,
  api: 6,
  runtime: 7,
  /** The entry point, `sequencer/src/main.ts`. */
  "main.ts": 8,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith(".ts"))
    .map((d) => path.join(d.parentPath, d.name));
}

const IMPORT = /(?:from|import)\s*\(?\s*["']([^"']+)["']/g;

/** The files `file` imports by relative path (resolved to .ts), and its bare specifiers. */
function importsOf(file: string): { relative: string[]; bare: string[] } {
  const text = readFileSync(file, "utf8");
  const relative: string[] = [];
  const bare: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1]!;
    if (spec.startsWith(".")) {
      relative.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts")));
    } else bare.push(spec);
  }
  return { relative, bare };
}

const roomOf = (file: string) => path.relative(SRC, file).split(path.sep)[0]!;

describe("sequencer rooms", () => {
  const files = sourceFiles(SRC);

  it("puts every source file in a known room", () => {
    const unknown = files.filter((f) => RANK[roomOf(f)] === undefined);
    expect(unknown.map((f) => path.relative(ROOT, f))).toEqual([]);
  });

  it("imports only downward (or within a room), never from the SDK, scripts or tests", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = roomOf(file);
      for (const target of importsOf(file).relative) {
        const rel = path.relative(ROOT, target);
        if (!target.startsWith(SRC + path.sep)) {
          violations.push(`${path.relative(ROOT, file)} -> ${rel} (outside sequencer/src)`);
          continue;
        }
        const to = roomOf(target);
        if (to !== from && !(RANK[to]! < RANK[from]!)) {
          violations.push(`${path.relative(ROOT, file)} -> ${rel} (${from} may not import ${to})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("has no import cycle", () => {
    expect(findCycles(files)).toEqual([]);
  });
});

describe("packages", () => {
  it("protocol/ imports neither node: modules, Buffer, the server, nor the SDK", () => {
    const bad: string[] = [];
    for (const file of sourceFiles(path.join(ROOT, "protocol/src"))) {
      const text = readFileSync(file, "utf8");
      const { relative, bare } = importsOf(file);
      const rel = path.relative(ROOT, file);
      for (const b of bare) if (b.startsWith("node:")) bad.push(`${rel} imports ${b}`);
      for (const t of relative) {
        if (!t.startsWith(path.join(ROOT, "protocol/src"))) bad.push(`${rel} reaches out to ${t}`);
      }
      if (/\bBuffer\./.test(text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ""))) {
        bad.push(`${rel} uses Buffer`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("sdk/ depends on the protocol package, never on the server or the scripts", () => {
    const bad: string[] = [];
    for (const file of sourceFiles(path.join(ROOT, "sdk/src"))) {
      for (const t of importsOf(file).relative) {
        if (!t.startsWith(path.join(ROOT, "sdk/src"))) {
          bad.push(`${path.relative(ROOT, file)} -> ${path.relative(ROOT, t)}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it("has no import cycle in protocol/ or sdk/", () => {
    const files = [
      ...sourceFiles(path.join(ROOT, "protocol/src")),
      ...sourceFiles(path.join(ROOT, "sdk/src")),
    ];
    expect(findCycles(files)).toEqual([]);
  });
});

/** Every import cycle among `files` (each once, as a path list). */
function findCycles(files: string[]): string[][] {
  const known = new Set(files);
  const edges = new Map(
    files.map((f) => [f, importsOf(f).relative.filter((t) => known.has(t))] as const),
  );
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const t of edges.get(f) ?? []) {
      if (state.get(t) === "open") {
        cycles.push(stack.slice(stack.indexOf(t)).map((x) => path.relative(ROOT, x)));
      } else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}
