#!/usr/bin/env node
// The service's bin. The sources are TypeScript used without a build step, so register tsx's loader
// first (tsx is the workspace's dev tool; see the root package.json), then run the entry point.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
