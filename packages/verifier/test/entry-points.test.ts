/**
 * What each entry point pulls in (issue 16): the core `@baton/verifier` and `@baton/verifier/fetch`
 * import no framework, so an Express or Bun tool server never loads Hono; `hono` is an optional
 * peer needed by `@baton/verifier/hono` alone.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

const packageDir = join(import.meta.dirname, "..");

/**
 * Every module specifier reached from `entry` through its relative imports, type-only ones
 * included: a TypeScript user of the entry needs their types too.
 */
function reachedSpecifiers(entry: string): Set<string> {
  const seen = new Set<string>();
  const specifiers = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(
      /^(?:(?:import|export)\s+[^;]*?from|declare module)\s+"([^"]+)"/gms,
    )) {
      const specifier = match[1] ?? "";
      if (specifier.startsWith(".")) visit(join(dirname(file), specifier));
      else specifiers.add(specifier);
    }
  };
  visit(join(packageDir, entry));
  return specifiers;
}

describe("entry points", () => {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));

  it("exports the core, fetch, hono and node entries", () => {
    expect(Object.keys(manifest.exports)).toEqual([".", "./fetch", "./hono", "./node"]);
  });

  it.each(["src/index.ts", "src/fetch.ts"])("%s reaches no hono and no framework", (entry) => {
    const reached = [...reachedSpecifiers(entry)];
    expect(reached.filter((specifier) => /^(hono|@hono\/|express)/.test(specifier))).toEqual([]);
  });

  it("src/hono.ts is where hono comes in", () => {
    expect([...reachedSpecifiers("src/hono.ts")]).toContain("hono/route");
  });

  it("has hono as an optional peer dependency, never a dependency", () => {
    expect(manifest.dependencies).not.toHaveProperty("hono");
    expect(manifest.peerDependencies).toHaveProperty("hono");
    expect(manifest.peerDependenciesMeta?.hono?.optional).toBe(true);
  });
});
