import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "apps/*/src/**/*.test.ts",
      "apps/*/test/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    // Property and end-to-end suites do real crypto and real I/O; give them room without hiding hangs.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
