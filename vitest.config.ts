import { defineConfig } from "vitest/config";

// The workspace packages' `source` export condition points at their TypeScript sources, so the
// suites run against src/ with nothing built. Listing conditions replaces Vite's defaults, which
// are therefore repeated after it (client and server lists as Vite documents them).
const SOURCE_FIRST = ["source", "module", "development|production"];

export default defineConfig({
  resolve: { conditions: [...SOURCE_FIRST, "browser"] },
  ssr: { resolve: { conditions: [...SOURCE_FIRST, "node"] } },
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "apps/*/src/**/*.test.ts",
      "apps/*/test/**/*.test.ts",
      "test/**/*.test.ts",
      "vectors/**/*.test.ts",
    ],
    // Every property's `maxLength` is a real bound, not one the default size quietly caps at ten.
    setupFiles: ["test/fast-check-setup.ts"],
    // Property and end-to-end suites do real crypto and real I/O; give them room without hiding hangs.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // eventsource-parser (under the MCP SDKs' clients) publishes a `source` condition of its own,
    // pointing at TypeScript; inlined with the SDKs, Vite transforms it instead of Node refusing `.ts`.
    server: { deps: { inline: [/@modelcontextprotocol\//, "eventsource-parser"] } },
  },
});
