/**
 * The one build configuration of the published packages. Each package's `build` script runs
 * `tsdown -c ../../tsdown.config.ts` from its own folder; the entries come from that package's
 * `exports` map (every subpath's `source` file builds to the file its `default` names), so the map
 * is the single list of what a package publishes, and a new subpath needs no build change.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "tsdown";

interface ExportTarget {
  source: string;
  types: string;
  default: string;
}

const manifest = JSON.parse(readFileSync("package.json", "utf8")) as {
  name: string;
  exports: Record<string, ExportTarget>;
};

const entry: Record<string, string> = {};
for (const [subpath, target] of Object.entries(manifest.exports)) {
  const built = /^\.\/dist\/(.+)\.js$/.exec(target.default);
  if (!built?.[1] || target.types !== `./dist/${built[1]}.d.ts` || !target.source.startsWith("./src/")) {
    throw new Error(
      `${manifest.name} exports["${subpath}"] must be { source: "./src/….ts", types: "./dist/X.d.ts", default: "./dist/X.js" }`,
    );
  }
  entry[built[1]] = target.source;
}

export default defineConfig({
  name: manifest.name,
  // The package being built is the working directory (the config file itself sits at the root).
  cwd: process.cwd(),
  entry,
  format: "esm",
  outDir: "dist",
  clean: true,
  // The packages are "type": "module", so plain .js is ESM; the exports maps name .js and .d.ts.
  fixedExtension: false,
  // dist/ mirrors src/ file for file: no shared chunks whose generated names could collide with an
  // entry's, declarations that read like the sources, and stack traces that name the source file.
  unbundle: true,
  root: "src",
  // `node:*` built-ins stay external imports, like every dependency; no shims are injected.
  platform: "node",
  // One tsconfig for every package: the workspace's compiler options, with workspace imports
  // resolved through the `source` condition, so a package builds without the others built first.
  tsconfig: fileURLToPath(new URL("./tsconfig.build.json", import.meta.url)),
  dts: true,
  failOnWarn: true,
  // Declaration generation runs the type checker and is slow by nature; that is not a warning.
  checks: { pluginTimings: false },
});
