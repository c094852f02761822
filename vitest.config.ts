import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["sequencer/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one Redis and one simulated chain per file; keep files apart.
    fileParallelism: false,
  },
});
