/**
 * The SQLite adapter's check that `textProblem` matches what SQLite gives back; the port-level
 * hardening tests are in the conformance suite (src/conformance/input-hardening.ts).
 *
 * The store's own line of defence (issues 13 and 14): whatever a caller sends, free text with
 * control, line-break or bidi-control characters and text that is not well-formed Unicode never
 * reach a table; look-alike agent ids and shared keys are refused in the registration's
 * transaction; one delegation's pending approvals are capped.
 */

import { textProblem } from "@baton/store";
import { HOSTILE_TEXT as HOSTILE, ILL_FORMED_TEXT as ILL_FORMED } from "@baton/store/conformance/fixtures";
import { fc, test } from "@fast-check/vitest";
import { afterEach, beforeEach, describe, expect } from "vitest";
import { openSqliteStore, type SqliteStore } from "../src/index.ts";

let store: SqliteStore;

beforeEach(() => {
  store = openSqliteStore({ path: ":memory:" });
});
afterEach(async () => store.close());

describe("textProblem", () => {
  test("names control and bidi-control characters, and ill-formed Unicode", () => {
    for (const text of HOSTILE) expect(textProblem(text), JSON.stringify(text)).toBe("control");
    for (const text of ILL_FORMED) expect(textProblem(text), JSON.stringify(text)).toBe("ill_formed");
    for (const text of ["plain", "Zoë 山田 🧑‍💻", "a\u200db", "tab-free"])
      expect(textProblem(text)).toBeUndefined();
  });

  test.prop([fc.string({ unit: "binary", maxLength: 64 })])(
    "calls text ill-formed exactly when SQLite would not give it back as it was written",
    (text) => {
      const readBack = (store.database.prepare("SELECT ? AS v").get(text) as { v: string }).v;
      expect(textProblem(text) === "ill_formed").toBe(readBack !== text);
    },
  );
});
