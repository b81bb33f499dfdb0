/**
 * What a first-time user runs into, copying the README: a retried `agents add --generate-key`,
 * `inspect -` on a terminal, `--version`, registering an audience, granting for an audience nobody
 * registered, and a mistyped database path for `serve`.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AgentKeyPair } from "@baton/client";
import type { RunningServer } from "@baton/service";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EXIT_CODES } from "../src/exit-codes.ts";
import { baton, OPERATOR_TOKEN, startService, tempDir } from "./helpers.ts";

describe("first contact", () => {
  let service: RunningServer;
  let temp: ReturnType<typeof tempDir>;
  let env: Record<string, string>;

  beforeAll(async () => {
    temp = tempDir("baton-first-");
    service = await startService(temp.dir);
    env = { BATON_URL: service.url, BATON_OPERATOR_TOKEN: OPERATOR_TOKEN };
  });

  afterAll(async () => {
    await service?.close();
    temp?.remove();
  });

  describe("agents add --generate-key", () => {
    test("writes no key when the registration is refused, so the same command works once fixed", async () => {
      const keyFile = join(temp.dir, "planner.jwk");
      const argv = ["agents", "add", "agent:planner", "--generate-key", keyFile, "--json"];
      const noToken = await baton(argv, { env: { BATON_URL: service.url } });
      expect(noToken.code).toBe(EXIT_CODES.unavailable);
      expect(existsSync(keyFile)).toBe(false);
      const wrongToken = await baton(argv, {
        env: { BATON_URL: service.url, BATON_OPERATOR_TOKEN: "not-the-operator-token-at-all-000" },
      });
      expect(JSON.parse(wrongToken.stderr).error.code).toBe("unauthorized");
      expect(existsSync(keyFile)).toBe(false);

      const added = await baton(argv, { env });
      expect(added.code).toBe(EXIT_CODES.ok);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const key = await AgentKeyPair.fromJwk(JSON.parse(readFileSync(keyFile, "utf8")));
      expect(JSON.parse(added.stdout).jkt).toBe(key.thumbprint);
    });

    test("refuses an existing key file with a usage error before calling the service", async () => {
      const keyFile = join(temp.dir, "existing.jwk");
      writeFileSync(keyFile, "keep me\n");
      const refused = await baton(["agents", "add", "agent:coder", "--generate-key", keyFile, "--json"], {
        env,
      });
      expect(refused.code).toBe(EXIT_CODES.usage);
      const { error } = JSON.parse(refused.stderr);
      expect(error.message).toContain("already exists");
      expect(error.message).toContain(`--jwk ${keyFile}`);
      expect(readFileSync(keyFile, "utf8")).toBe("keep me\n");
      const listed = await baton(["agents", "list", "--json"], { env });
      expect(JSON.parse(listed.stdout).items.map((a: { id: string }) => a.id)).not.toContain("agent:coder");
    });

    test("refuses a key file in a directory that does not exist, saying how to create it", async () => {
      const missing = join(temp.dir, "keys");
      const refused = await baton(
        ["agents", "add", "agent:coder", "--generate-key", join(missing, "coder.jwk")],
        { env },
      );
      expect(refused.code).toBe(EXIT_CODES.usage);
      expect(refused.stderr).toContain(`mkdir -p ${missing}`);
    });
  });

  describe("inspect -", () => {
    test("on a terminal, says how to pipe a chain in instead of waiting for input", async () => {
      const result = await baton(["inspect", "-", "--jwks", `${service.url}/.well-known/jwks.json`], {
        stdinIsTTY: true,
      });
      expect(result.code).toBe(EXIT_CODES.usage);
      expect(result.stderr).toContain("standard input");
      expect(result.stderr).toContain("| ");
      expect(result.stderr).toContain("inspect -");
      expect(result.stdout).toBe("");
    });

    test("refuses empty input instead of reporting a malformed chain", async () => {
      const result = await baton(["inspect", "-", "--jwks", `${service.url}/.well-known/jwks.json`], {
        stdin: "\n",
      });
      expect(result.code).toBe(EXIT_CODES.usage);
      expect(result.stderr).toContain("standard input was empty");
    });

    test("with --jwks, never tells the user to pass --jwks when the chain could not be split", async () => {
      const result = await baton(["inspect", "abc~~def", "--jwks", `${service.url}/.well-known/jwks.json`], {
        env: { NO_COLOR: "1" },
      });
      expect(result.code).toBe(EXIT_CODES.failed);
      expect(result.stdout).not.toContain("pass --jwks");
      expect(result.stdout).toContain("the chain could not be split into tokens");
    });
  });

  test("an id that starts with a dash is refused with the hint to write --did=…, on one readable line", async () => {
    // A random did begins with "-" about once in 64: the hint is what the user needs then.
    const refused = await baton(["decisions", "--did", "-AbCdEfGhIjKlMnOpQrStUv", "--db", "x.db"]);
    expect(refused.code).toBe(EXIT_CODES.usage);
    expect(refused.stderr).toContain("use '--did=-XYZ'");
    expect(refused.stderr).not.toContain("\\u000a");
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("--version prints the package's version, as JSON with --json", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    const human = await baton(["--version"]);
    expect(human).toEqual({ code: EXIT_CODES.ok, stdout: `baton ${version}\n`, stderr: "" });
    expect(JSON.parse((await baton(["--version", "--json"])).stdout)).toEqual({ version });
  });

  describe("audiences add and grants", () => {
    test("registers an audience and prints its secret once; a duplicate is a conflict", async () => {
      const added = await baton(["audiences", "add", "repo-tool"], { env });
      expect(added.code).toBe(EXIT_CODES.ok);
      expect(added.stdout).toMatch(/secret \(shown once[^)]*\): baton_aud\.\S+/);
      const json = await baton(["audiences", "add", "mail-tool", "--name", "Mail", "--json"], { env });
      expect(JSON.parse(json.stdout)).toMatchObject({ id: "mail-tool", secret: expect.any(String) });
      const again = await baton(["audiences", "add", "repo-tool", "--json"], { env });
      expect(again.code).toBe(EXIT_CODES.refused);
      expect(JSON.parse(again.stderr).error.code).toBe("conflict");
      expect((await baton(["audiences", "add", "x", "--db", join(temp.dir, "baton.db")])).code).toBe(
        EXIT_CODES.usage,
      );
    });

    test("refuses a grant for an audience nobody registered, naming the command that registers it", async () => {
      const refused = await baton(
        [
          "grant",
          "--agent",
          "agent:planner",
          "--intent",
          "triage",
          "--cap",
          "repo.issues.*=repo:acme/**",
          "--aud",
          "repo-tool",
          "--aud",
          "repo-tol",
          "--json",
        ],
        { env },
      );
      expect(refused.code).toBe(EXIT_CODES.refused);
      const { error } = JSON.parse(refused.stderr);
      expect(error.code).toBe("unknown_audience");
      expect(error.message).toContain("audiences add repo-tol`");
      expect(error.message).not.toContain("audiences add repo-tool");
      const granted = await baton(
        [
          "grant",
          "--agent",
          "agent:planner",
          "--intent",
          "triage",
          "--cap",
          "repo.*=repo:acme/**",
          "--aud",
          "repo-tool",
        ],
        { env },
      );
      expect(granted.code).toBe(EXIT_CODES.ok);
    });
  });

  test("serve refuses a database whose directory does not exist, creating nothing", async () => {
    const missing = join(temp.dir, "typo", "dir");
    const result = await baton(["serve", "--port", "0"], {
      env: {
        BATON_DB: join(missing, "x.db"),
        BATON_OPERATOR_TOKEN: OPERATOR_TOKEN,
        BATON_LOG_LEVEL: "silent",
      },
    });
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stderr).toContain(`the directory ${missing} does not exist`);
    expect(result.stderr).toContain(`mkdir -p ${missing}`);
    expect(existsSync(join(temp.dir, "typo"))).toBe(false);
  });
});
