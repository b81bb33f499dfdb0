/**
 * The inspector page (issue 10): static files served at `/inspect` by the service itself. The
 * page is plain HTML, CSS and one ES module (`packages/service/inspector/`); the graph library
 * (cytoscape) is served straight from node_modules, so nothing is fetched from outside the
 * machine and nothing is built at run time. The files are public: every piece of data the page
 * shows comes from the operator-authenticated JSON endpoints, called with the operator token the
 * investigator enters (kept in sessionStorage, never in a URL query).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServiceApp } from "./openapi.ts";

/** Where the page's own files live. */
const INSPECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "inspector");

/** Where the inspector is served. */
export const INSPECTOR_PATH = "/inspect";

interface Asset {
  readonly body: string;
  readonly type: string;
}

/**
 * cytoscape's self-contained ES module build. Its package exports map that file for `import`
 * only, so it is found next to the CommonJS entry that `require.resolve` gives.
 */
function cytoscapeModulePath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("cytoscape")), "cytoscape.esm.min.mjs");
}

let cached: ReadonlyMap<string, Asset> | undefined;

/** The page's files by URL path, read once (a missing file fails the first request loudly, at start in tests). */
export function inspectorAssets(): ReadonlyMap<string, Asset> {
  if (cached !== undefined) return cached;
  const own = (file: string, type: string): Asset => ({
    body: readFileSync(join(INSPECTOR_DIR, file), "utf8"),
    type,
  });
  cached = new Map<string, Asset>([
    [INSPECTOR_PATH, own("index.html", "text/html; charset=utf-8")],
    [`${INSPECTOR_PATH}/inspector.js`, own("inspector.js", "text/javascript; charset=utf-8")],
    [`${INSPECTOR_PATH}/inspector.css`, own("inspector.css", "text/css; charset=utf-8")],
    [
      `${INSPECTOR_PATH}/vendor/cytoscape.esm.min.mjs`,
      { body: readFileSync(cytoscapeModulePath(), "utf8"), type: "text/javascript; charset=utf-8" },
    ],
  ]);
  return cached;
}

/**
 * Content-Security-Policy of the page: only this origin, no inline script, no framing. Inline
 * styles are allowed because the graph library positions its canvas with style attributes.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Serves the inspector's static files (not part of /openapi.json: they are not API). */
export function registerInspector(app: ServiceApp): void {
  const assets = inspectorAssets();
  app.get(`${INSPECTOR_PATH}/`, (c) => c.redirect(INSPECTOR_PATH, 308));
  for (const [path, asset] of assets) {
    app.get(path, (c) => {
      c.header("content-type", asset.type);
      c.header("content-security-policy", CSP);
      c.header("x-content-type-options", "nosniff");
      c.header("referrer-policy", "no-referrer");
      c.header("cache-control", "no-cache");
      return c.body(asset.body, 200);
    });
  }
}
