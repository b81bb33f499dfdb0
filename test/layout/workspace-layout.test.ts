/**
 * The workspace's dependency rules (DESIGN.md "Layout"): an app never imports another app, and a
 * library package never depends on an app. Read from the package manifests and the sources, so a
 * new import that breaks the rule fails here rather than in review.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

interface Manifest {
  readonly name: string;
  readonly dir: string;
  readonly dependencies: Record<string, string>;
}

function manifests(folder: "apps" | "packages"): Manifest[] {
  return readdirSync(join(root, folder)).flatMap((entry) => {
    const dir = join(root, folder, entry);
    const file = join(dir, "package.json");
    try {
      const json = JSON.parse(readFileSync(file, "utf8")) as {
        name: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
      };
      return [
        {
          name: json.name,
          dir,
          dependencies: { ...json.dependencies, ...json.devDependencies, ...json.peerDependencies },
        },
      ];
    } catch {
      return [];
    }
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (entry === "node_modules" || entry === "dist") return [];
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry) ? [path] : [];
  });
}

const apps = manifests("apps");
const libraries = manifests("packages");
const appNames = new Set(apps.map((app) => app.name));

describe("the workspace layout", () => {
  it("finds the apps and the libraries it checks", () => {
    expect([...appNames].sort()).toEqual(["@baton/cli", "@baton/token-service"]);
    expect(libraries.map((library) => library.name)).toContain("@baton/service");
  });

  it.each(apps)("$name depends on no other app", (app) => {
    const others = Object.keys(app.dependencies).filter((name) => appNames.has(name) && name !== app.name);
    expect(others).toEqual([]);
  });

  it.each(libraries)("$name depends on no app", (library) => {
    expect(Object.keys(library.dependencies).filter((name) => appNames.has(name))).toEqual([]);
  });

  it.each([...apps, ...libraries])("$name's sources import no app, by name or by path", (pkg) => {
    const offending = sourceFiles(pkg.dir).flatMap((file) => {
      const text = readFileSync(file, "utf8");
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map(
        (m) => m[1] ?? "",
      );
      return specifiers
        .filter(
          (specifier) =>
            (appNames.has(specifier) && specifier !== pkg.name) ||
            (/(^|\/)apps\//.test(specifier) && !specifier.includes(pkg.dir.slice(root.length + 1))),
        )
        .map((specifier) => `${file.slice(root.length + 1)} imports ${specifier}`);
    });
    expect(offending).toEqual([]);
  });
});
