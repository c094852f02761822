/**
 * The HTTP transport's refusals through raw sockets, on the real server (`startHttpServer` +
 * `createApp`, order fast path included) with the stub service: malformed requests Node's parser
 * refuses, bodies over the limit (answered from the declared length, without reading), charsets
 * other than UTF-8, and malformed percent-encoding in path parameters. Each is a 4xx with the
 * documented JSON body and a registry code.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app.js";
import { startHttpServer, type HttpServer } from "../src/api/http-server.js";
import { orderBody, startServer, type TestServer } from "./api-test-kit.js";

const MAX_BODY = 4_096;

let kit: TestServer;
let http: HttpServer;
let port: number;
beforeAll(async () => {
  kit = await startServer({ options: { maxBodyBytes: MAX_BODY } }); // borrow its stub dependencies
  http = await startHttpServer({
    app: createApp(kit.deps),
    logger: kit.deps.logger,
    port: 0,
    requestTimeoutMs: 500,
  });
  port = http.address.port;
});
afterAll(async () => {
  await http?.close();
  await kit?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** Whether the server closed the connection after it. */
  closed: boolean;
  /** ms from the first byte sent to the answer's end. */
  ms: number;
}

/**
 * Sends `head` (and, while no answer came, whatever `feed` writes), then reads one answer and
 * waits (up to `waitClose` ms) for the server to close the connection.
 */
async function raw(
  head: string | Buffer,
  feed?: (socket: Socket) => void,
  waitClose = 2_000,
): Promise<RawAnswer> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) =>
    socket.once("connect", resolve).once("error", reject),
  );
  socket.on("error", () => undefined);
  const started = Date.now();
  const chunks: Buffer[] = [];
  let closed = false;
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.once("close", () => (closed = true));
  socket.write(head);
  feed?.(socket);
  // The answer is complete once its Content-Length is in.
  const complete = () => {
    const text = Buffer.concat(chunks).toString("latin1");
    const end = text.indexOf("\r\n\r\n");
    if (end === -1) return undefined;
    const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1];
    if (length === undefined || text.length - end - 4 < Number(length)) return undefined;
    return text;
  };
  const deadline = Date.now() + 5_000;
  while (complete() === undefined && !closed && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const ms = Date.now() - started;
  await Promise.race([ended, new Promise((r) => setTimeout(r, waitClose))]);
  socket.destroy();
  const text = complete() ?? Buffer.concat(chunks).toString("latin1");
  const [headText = "", bodyText = ""] = text.split("\r\n\r\n", 2);
  const [statusLine = "", ...lines] = headText.split("\r\n");
  const headers = Object.fromEntries(
    lines.map((l) => [
      l.slice(0, l.indexOf(":")).toLowerCase(),
      l.slice(l.indexOf(":") + 1).trim(),
    ]),
  );
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = bodyText;
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body, closed, ms };
}

/** The documented error shape with `code` and its status. */
function expectError(answer: RawAnswer, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  expect(answer.body).toEqual({
    error: {
      code,
      message: expect.any(String),
      ...(answer.body?.error?.details ? { details: expect.anything() } : {}),
    },
  });
}

const errorLogs = () => kit.logs.filter((l) => Number(l["level"]) >= 50);

describe("what Node's HTTP parser refuses gets the JSON error body", () => {
  it("answers a malformed request line with 400 BAD_REQUEST and closes", async () => {
    const answer = await raw("NOT AN HTTP REQUEST\r\n\r\n");
    expectError(answer, 400, "BAD_REQUEST");
    expect(answer.headers["connection"]).toBe("close");
    expect(answer.closed).toBe(true);
  });

  it("answers a malformed header with 400 BAD_REQUEST", async () => {
    const answer = await raw("GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
    expectError(answer, 400, "BAD_REQUEST");
    expect(answer.closed).toBe(true);
  });

  it("answers headers over the size limit with 431 HEADERS_TOO_LARGE", async () => {
    const answer = await raw(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expectError(answer, 431, "HEADERS_TOO_LARGE");
    expect(answer.headers["connection"]).toBe("close");
    expect(answer.closed).toBe(true);
  });

  it("answers a request that does not arrive in time with 408 REQUEST_TIMEOUT", async () => {
    const answer = await raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    expectError(answer, 408, "REQUEST_TIMEOUT");
    expect(answer.headers["connection"]).toBe("close");
    expect(answer.closed).toBe(true);
  });
});

describe("bodies over the limit are refused without being read", () => {
  for (const path of ["/v1/orders", "/v1/orders/batch", "/v1/cancels"]) {
    it(`answers POST ${path} declaring 100 GB at once with 413 PAYLOAD_TOO_LARGE and closes`, async () => {
      const answer = await raw(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n`,
      );
      expectError(answer, 413, "PAYLOAD_TOO_LARGE");
      expect(answer.ms).toBeLessThan(400);
      expect(answer.headers["connection"]).toBe("close");
      expect(answer.closed).toBe(true);
    });
  }

  it("stops reading a chunked body once it passes the limit: 413 and the connection closed", async () => {
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const answer = await raw(
      "POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      (socket) => {
        const chunk = Buffer.from(`400\r\n${" ".repeat(0x400)}\r\n`);
        const send = () => {
          if (socket.destroyed || sent > 4_000_000) return;
          socket.write(chunk);
          sent += 0x400;
          timer = setTimeout(send, 1);
        };
        send();
      },
    );
    clearTimeout(timer);
    expectError(answer, 413, "PAYLOAD_TOO_LARGE");
    expect(answer.closed).toBe(true);
    expect(sent).toBeLessThan(4_000_000);
  });
});

describe("bodies in a charset other than UTF-8 are refused", () => {
  for (const path of ["/v1/orders", "/v1/orders/batch", "/v1/cancels"]) {
    for (const charset of ["utf-16le", "UTF-16", '"utf-32"', "latin1"]) {
      it(`answers POST ${path} with charset=${charset} with 415 UNSUPPORTED_MEDIA_TYPE`, async () => {
        const body = Buffer.from(JSON.stringify(orderBody()), "utf16le");
        const response = await fetch(`http://127.0.0.1:${port}${path}`, {
          method: "POST",
          headers: { "content-type": `application/json; charset=${charset}` },
          body,
        });
        expect(response.status).toBe(415);
        expect(((await response.json()) as any).error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
      });
    }
  }

  it("still takes charset=utf-8", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/orders`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=UTF-8" },
      body: JSON.stringify(orderBody({ nonce: "7001" })),
    });
    expect(response.status).toBe(201);
  });
});

describe("malformed percent-encoding in a path parameter", () => {
  const paths = [
    ["GET", "/v1/orders/%"],
    ["GET", "/v1/orders/%zz"],
    ["GET", "/v1/fills/%zz/proof"],
    ["GET", "/v1/fills/%/proof"],
    ["GET", "/v1/batches/%E0%A4%A"],
    ["GET", "/v1/markets/%/book"],
    ["GET", "/v1/accounts/%C0/orders"],
    ["POST", "/v1/orders/%"],
    ["DELETE", "/v1/orders/%ff%"],
  ] as const;
  for (const [method, path] of paths) {
    it(`answers ${method} ${path} with 400 BAD_REQUEST and logs no error`, async () => {
      const before = errorLogs().length;
      const answer = await raw(
        `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      expectError(answer, 400, "BAD_REQUEST");
      expect(errorLogs().length).toBe(before);
    });
  }
});

describe("malformed percent-encoding in a query or the order routes' own path", () => {
  for (const [method, path] of [
    ["GET", "/v1/markets/1/book?depth=%"],
    ["GET", "/v1/batches?before=%zz"],
    ["GET", "/v1/accounts/0x70997970C51812dc3A010C7d01b50e0d17dc79C8/orders?limit=%E0%A4%A"],
    ["POST", "/v1/orders%"],
    ["POST", "/v1/orders?x=%"],
  ] as const) {
    it(`answers ${method} ${path} with a 4xx error body and logs no error`, async () => {
      const before = errorLogs().length;
      const answer = await raw(
        `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(typeof answer.body.error.code).toBe("string");
      expect(errorLogs().length).toBe(before);
    });
  }
});
