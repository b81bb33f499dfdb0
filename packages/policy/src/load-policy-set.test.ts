import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { DEFAULT_POLICY_DIR, loadPolicySet } from "./load-policy-set.ts";
import type { PolicyLoadError } from "./policy-load-error.ts";
import { watchPolicySet } from "./watch-policy-set.ts";

const PERMIT = '@id("all")\npermit (principal, action, resource);\n';

describe("loadPolicySet", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "baton-policy-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function refusal(files: Record<string, string>): PolicyLoadError {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const loaded = loadPolicySet({ dir });
    if (loaded.ok) throw new Error("expected the set to be refused");
    return loaded.error;
  }

  test("refuses a syntax error, naming the file and line", () => {
    const error = refusal({
      "a.cedar": PERMIT,
      "b.cedar":
        '// comment\n@id("broken")\nforbid (principal, action, resource)\nwhen { context.depth > };\n',
    });
    expect(error).toMatchObject({ code: "policy_syntax", file: join(dir, "b.cedar"), line: 4 });
  });

  test("refuses an attribute the schema does not have, naming the file and line", () => {
    const error = refusal({
      "a.cedar": `${PERMIT}\n@id("typo")\nforbid (principal, action, resource)\nwhen { context.dept > 1 };\n`,
    });
    expect(error).toMatchObject({ code: "policy_schema", file: join(dir, "a.cedar"), line: 6 });
  });

  test("refuses a comparison of the wrong type", () => {
    const error = refusal({
      "a.cedar": '@id("t")\nforbid (principal, action, resource)\nwhen { context.sensitivity > 1 };\n',
    });
    expect(error).toMatchObject({ code: "policy_schema", line: 3 });
  });

  test("refuses a policy without an @id, and a duplicate id", () => {
    expect(refusal({ "a.cedar": "permit (principal, action, resource);\n" })).toMatchObject({
      code: "policy_id_missing",
      line: 1,
    });
    rmSync(join(dir, "a.cedar"));
    expect(refusal({ "a.cedar": PERMIT, "b.cedar": `\n\n${PERMIT}` })).toMatchObject({
      code: "policy_id_duplicate",
      file: join(dir, "b.cedar"),
      line: 3,
    });
  });

  test("refuses an empty directory, a missing one, and an unknown zone", () => {
    expect(refusal({ "notes.txt": "not a policy" }).code).toBe("policy_set_empty");
    const missing = loadPolicySet({ dir: join(dir, "nope") });
    expect(missing.ok ? undefined : missing.error.code).toBe("policy_dir_unreadable");
    const zone = loadPolicySet({ zone: "Mars/Olympus_Mons" });
    expect(zone.ok ? undefined : zone.error.code).toBe("zone_invalid");
  });

  test("refuses a schema that does not parse", () => {
    writeFileSync(join(dir, "a.cedar"), PERMIT);
    writeFileSync(join(dir, "schema.cedarschema"), "entity Agent;\nentity {\n");
    const loaded = loadPolicySet({ dir, schemaFile: join(dir, "schema.cedarschema") });
    expect(loaded.ok ? undefined : loaded.error).toMatchObject({ code: "schema_invalid", line: 2 });
  });
});

describe("watchPolicySet", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "baton-policy-watch-"));
    cpSync(DEFAULT_POLICY_DIR, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("refuses to start on a bad set", () => {
    writeFileSync(join(dir, "bad.cedar"), "forbid (principal, action, resource) when { nope };\n");
    expect(() => watchPolicySet({ dir })).toThrow(expect.objectContaining({ code: "policy_syntax" }));
  });

  test("keeps the serving set when a reload fails, and takes a good one", () => {
    const errors: string[] = [];
    const watched = watchPolicySet({ dir, onError: (error) => errors.push(error.code) });
    try {
      const before = watched.current();
      writeFileSync(
        join(dir, "bad.cedar"),
        '@id("x")\nforbid (principal, action, resource) when { context.nope };\n',
      );
      expect(watched.reload().ok).toBe(false);
      expect(errors).toEqual(["policy_schema"]);
      expect(watched.current()).toBe(before);

      writeFileSync(join(dir, "bad.cedar"), '@id("deny-all")\nforbid (principal, action, resource);\n');
      expect(watched.reload().ok).toBe(true);
      expect(watched.current().ids).toContain("deny-all");
    } finally {
      watched.close();
    }
  });

  test("reloads by itself after a file changes", async () => {
    const reloaded = new Promise<readonly string[]>((resolve) => {
      const watched = watchPolicySet({
        dir,
        debounceMs: 20,
        onReload: (set) => {
          watched.close();
          resolve(set.ids);
        },
      });
      writeFileSync(
        join(dir, "extra.cedar"),
        '@id("extra")\nforbid (principal, action == Action::"delegate", resource);\n',
      );
    });
    expect(await reloaded).toContain("extra");
  });
});
