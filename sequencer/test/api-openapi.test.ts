import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../src/api/openapi.js";
import { startServer, type TestServer } from "./api-test-kit.js";
import { wireFixture } from "./helpers/wire-snapshot.js";

/** Where each router file is mounted (see app.ts). */
const MOUNTS: Record<string, string> = {
  "sequencer/src/api/app.ts": "",
  "sequencer/src/api/v1-router.ts": "/v1",
  "sequencer/src/api/admin-router.ts": "/v1/admin",
};

/** `METHOD /path/{param}` for every `route(router, "/path/:param", { get, post })` in the sources. */
async function registeredRoutes(): Promise<string[]> {
  const found: string[] = [];
  for (const [file, mount] of Object.entries(MOUNTS)) {
    const source = await readFile(file, "utf8");
    for (const m of source.matchAll(/route\(\s*\w+,\s*"([^"]+)",\s*\{([\s\S]*?)\n\s*\}\);/g)) {
      const path = (mount + m[1]!).replace(/:(\w+)/g, "{$1}");
      for (const method of m[2]!.matchAll(/^\s{4}(get|post|delete):/gm)) {
        found.push(`${method[1]!.toUpperCase()} ${path}`);
      }
    }
  }
  return found.sort();
}

function documentedRoutes(): string[] {
  return Object.entries(openApiDocument.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

describe("OpenAPI document", () => {
  it("is the document of the wire snapshot (a wire change must be intended: UPDATE_WIRE=1)", async () => {
    const document = JSON.parse(JSON.stringify(openApiDocument)) as unknown;
    expect(document).toEqual(await wireFixture("openapi", document));
  });

  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it("documents exactly the routes the app registers", async () => {
    const registered = await registeredRoutes();
    expect(registered.length).toBeGreaterThan(15);
    expect(documentedRoutes()).toEqual(registered);
  });

  it("is served at /v1/openapi.json", async () => {
    const res = await fetch(`${server.base}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(body.openapi).toBe("3.1.0");
    expect(Object.keys(body.paths)).toEqual(Object.keys(openApiDocument.paths));
  });

  it("lists every stable error code in the error schema", () => {
    const codes = openApiDocument.components.schemas.Error.properties.error.properties.code.enum;
    expect(codes).toContain("BAD_SIGNATURE");
    expect(codes).toContain("RATE_LIMITED");
  });
});
