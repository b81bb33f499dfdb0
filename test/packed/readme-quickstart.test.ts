/**
 * The root README's "Using the packages" example is test/packed/quickstart.mjs verbatim, the file
 * scripts/packed-install.sh runs under plain Node against the packed packages and a real service.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";

const ROOT = new URL("../../", import.meta.url);

describe("the README's package example", () => {
  test("is test/packed/quickstart.mjs verbatim", () => {
    const readme = readFileSync(new URL("README.md", ROOT), "utf8");
    const marker = readme.indexOf("<!-- example: test/packed/quickstart.mjs");
    expect(marker).toBeGreaterThan(0);
    const block = /```js\n([\s\S]*?)```/.exec(readme.slice(marker))?.[1];
    expect(block).toBe(readFileSync(new URL("test/packed/quickstart.mjs", ROOT), "utf8"));
  });
});
