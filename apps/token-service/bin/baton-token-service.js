#!/usr/bin/env node
// The service's bin. The sources are TypeScript used without a build step, so register tsx's loader
// first (tsx is the workspace's dev tool; see the root package.json), then run the entry point. The
// workspace packages publish dist/ by default and their sources under the `source` export
// condition: the hook below adds that condition to every import, as `--conditions=source` would.
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

registerTsx();
register(
  "data:text/javascript,export function resolve(specifier, context, next) { return next(specifier, { ...context, conditions: [...context.conditions, 'source'] }); }",
);
await import("../src/main.ts");
