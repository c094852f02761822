import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createApp } from "../src/api/app.js";
import { startHttpServer } from "../src/api/http-server.js";
import { createWsHub, parseChannel, type WsHub } from "../src/api/ws-hub.js";
import { createLogger } from "../src/logging/logger.js";
import { TRADER, startServer } from "./api-test-kit.js";

let server: Server;
let hub: WsHub;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(404).end());
  hub = createWsHub({
    server,
    logger: createLogger({ level: "silent" }),
    maxSubscriptions: 3,
    maxPayloadBytes: 1024,
    snapshot: (channel) =>
      channel === "book:9" ? { event: "snapshot", data: { sequence: 1n } } : undefined,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/stream`;
});

afterAll(async () => {
  await hub.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A connected client whose frames queue up for `next()`. */
async function connect() {
  const socket = new WebSocket(url);
  const frames: any[] = [];
  const waiters: ((frame: any) => void)[] = [];
  socket.on("message", (data) => {
    const frame = JSON.parse(data.toString());
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  return {
    socket,
    send: (message: unknown) =>
      socket.send(typeof message === "string" ? message : JSON.stringify(message)),
    next: () =>
      frames.length > 0
        ? Promise.resolve(frames.shift())
        : new Promise<any>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("no frame within 2 s")), 2_000);
            waiters.push((frame) => {
              clearTimeout(timer);
              resolve(frame);
            });
          }),
    pending: () => frames.length,
    close: () => socket.close(),
  };
}

describe("parseChannel", () => {
  it("canonicalises channel names and refuses unknown ones", () => {
    expect(parseChannel("batches")).toBe("batches");
    expect(parseChannel("book:42")).toBe("book:42");
    expect(parseChannel(`account:${TRADER.toLowerCase()}`)).toBe(`account:${TRADER}`);
    for (const bad of [
      "book:",
      "book:01",
      "book:-1",
      "book:4294967296",
      "trades:1.0",
      "fills:1",
      "account:0x12",
      "batches:1",
      "",
    ]) {
      expect(parseChannel(bad), bad).toBeUndefined();
    }
  });
});

describe("WebSocket hub", () => {
  it("delivers published events to subscribers only, with bigints as strings", async () => {
    const a = await connect();
    const b = await connect();
    a.send({ op: "subscribe", channels: ["trades:1", "batches"], id: 1 });
    expect(await a.next()).toEqual({
      type: "subscribed",
      channels: ["trades:1", "batches"],
      id: 1,
    });
    b.send({ op: "subscribe", channels: ["trades:2"] });
    await b.next();
    expect(hub.publish("trades:1", "trade", { price: 10n ** 30n })).toBe(1);
    expect(await a.next()).toEqual({
      type: "event",
      channel: "trades:1",
      event: "trade",
      data: { price: (10n ** 30n).toString() },
    });
    expect(hub.publish("batches", "committed", { batchId: 3n })).toBe(1);
    expect((await a.next()).data).toEqual({ batchId: "3" });
    expect(b.pending()).toBe(0);
    a.close();
    b.close();
  });

  it("matches an account subscription in any address case", async () => {
    const c = await connect();
    c.send({ op: "subscribe", channels: [`account:${TRADER.toLowerCase()}`] });
    expect((await c.next()).channels).toEqual([`account:${TRADER}`]);
    expect(hub.publish(`account:${TRADER}`, "fill", { fillId: "f1" })).toBe(1);
    expect(await c.next()).toMatchObject({ channel: `account:${TRADER}`, event: "fill" });
    c.close();
  });

  it("stops delivering after unsubscribe and after the client leaves", async () => {
    const c = await connect();
    c.send({ op: "subscribe", channels: ["book:1"] });
    await c.next();
    expect(hub.subscriberCount("book:1")).toBe(1);
    c.send({ op: "unsubscribe", channels: ["book:1"], id: "u" });
    expect(await c.next()).toEqual({ type: "unsubscribed", channels: ["book:1"], id: "u" });
    expect(hub.publish("book:1", "update", {})).toBe(0);
    c.send({ op: "subscribe", channels: ["book:1"] });
    await c.next();
    c.close();
    await new Promise((resolve) => c.socket.once("close", resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(hub.subscriberCount("book:1")).toBe(0);
  });

  it("sends a snapshot after subscribing when the service provides one", async () => {
    const c = await connect();
    c.send({ op: "subscribe", channels: ["book:9"] });
    await c.next();
    expect(await c.next()).toEqual({
      type: "event",
      channel: "book:9",
      event: "snapshot",
      data: { sequence: "1" },
    });
    c.close();
  });

  it("answers malformed messages with error frames and keeps the connection", async () => {
    const c = await connect();
    const cases: [unknown, string][] = [
      ["{not json", "MALFORMED_JSON"],
      ["[]", "VALIDATION_FAILED"],
      ["null", "VALIDATION_FAILED"],
      [{ op: "dance" }, "VALIDATION_FAILED"],
      [{ op: "subscribe" }, "VALIDATION_FAILED"],
      [{ op: "subscribe", channels: [] }, "VALIDATION_FAILED"],
      [{ op: "subscribe", channels: "book:1" }, "VALIDATION_FAILED"],
      [{ op: "subscribe", channels: ["book:1"], extra: 1 }, "VALIDATION_FAILED"],
      [{ op: "subscribe", channels: ["orders:1"], id: 7 }, "VALIDATION_FAILED"],
      [
        { op: "subscribe", channels: ["book:1", "book:2", "book:3", "book:4"] },
        "TOO_MANY_SUBSCRIPTIONS",
      ],
    ];
    for (const [message, code] of cases) {
      c.send(message);
      const frame = await c.next();
      expect(frame, JSON.stringify(message)).toMatchObject({
        type: "error",
        code,
        message: expect.any(String),
      });
    }
    c.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await c.next()).toMatchObject({ type: "error", code: "UNSUPPORTED_MEDIA_TYPE" });
    c.send({ op: "ping", id: 5 });
    expect(await c.next()).toEqual({ type: "pong", id: 5 });
    expect(hub.subscriberCount("book:1")).toBe(0); // the refused subscription left nothing behind
    c.close();
  });

  it("echoes the id of a refused request", async () => {
    const c = await connect();
    c.send({ op: "subscribe", channels: ["nope"], id: "abc" });
    expect(await c.next()).toMatchObject({ type: "error", code: "VALIDATION_FAILED", id: "abc" });
    c.close();
  });

  it("closes a connection that sends an oversized frame (1009)", async () => {
    const c = await connect();
    const closed = new Promise<number>((resolve) => c.socket.once("close", resolve));
    c.send({ op: "ping", id: "x".repeat(2_000) });
    expect(await closed).toBe(1009);
  });

  it("refuses to publish to a channel that cannot exist", () => {
    expect(() => hub.publish("book:abc", "update", {})).toThrow(RangeError);
  });

  it("refuses upgrades on other paths", async () => {
    const other = url.replace("/v1/stream", "/v1/other");
    const socket = new WebSocket(other);
    await expect(
      new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject)),
    ).rejects.toThrow();
  });
});

describe("startHttpServer", () => {
  it("serves the app and the stream on one port and closes gracefully", async () => {
    const kit = await startServer(); // borrow its stub dependencies
    await kit.close();
    const running = await startHttpServer({
      app: createApp(kit.deps),
      logger: kit.deps.logger,
      port: 0,
    });
    const base = `127.0.0.1:${running.address.port}`;
    expect((await fetch(`http://${base}/healthz`)).status).toBe(200);
    const socket = new WebSocket(`ws://${base}/v1/stream`);
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const closed = new Promise((resolve) => socket.once("close", resolve));
    await running.close();
    await closed;
    await expect(fetch(`http://${base}/healthz`)).rejects.toThrow();
  });
});
