import { describe, expect, it } from "vitest";
import type { ApplyResult } from "../src/core/core-types.js";
import type { ServiceRecord } from "../src/core/service-record.js";
import { OutputRouter } from "../src/runtime/output-router.js";

const applied: ApplyResult = { outputs: [], mutated: true };
const expire = (ms: number): ServiceRecord => ({ kind: "expire", ms });

describe("OutputRouter", () => {
  it("routes each record to every listener in the order they were added, by name", () => {
    const seen: string[] = [];
    const router = new OutputRouter()
      .add("a", { applied: (r) => seen.push(`a${r.ms}`) })
      .add("b", { applied: (r) => seen.push(`b${r.ms}`) });
    router.applied(expire(1), applied);
    router.add("c", { applied: (r) => seen.push(`c${r.ms}`) });
    router.applied(expire(2), applied);
    expect(seen).toEqual(["a1", "b1", "a2", "b2", "c2"]);
    expect(router.names()).toEqual(["a", "b", "c"]);
  });

  it("refuses a second listener under a taken name", () => {
    const router = new OutputRouter().add("stream", { applied: () => undefined });
    expect(() => router.add("stream", { applied: () => undefined })).toThrow(/stream/);
  });

  it("routes a record a listener commits while handling another, nested, to every listener", () => {
    const seen: string[] = [];
    const router = new OutputRouter();
    router
      .add("breaker", {
        applied: (r) => {
          seen.push(`breaker${r.ms}`);
          if (r.ms === 1) router.applied(expire(99), applied);
        },
      })
      .add("stream", { applied: (r) => seen.push(`stream${r.ms}`) });
    router.applied(expire(1), applied);
    expect(seen).toEqual(["breaker1", "breaker99", "stream99", "stream1"]);
  });
});
