/**
 * The operator and investigation commands against a real token service on loopback (and its
 * database file directly), run in-process through `run(argv, io)`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningServer } from "@baton/service";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EXIT_CODES } from "../src/exit-codes.ts";
import { baton, OPERATOR_TOKEN, startService, tempDir } from "./helpers.ts";

describe("operator and investigation commands", () => {
  let service: RunningServer;
  let temp: ReturnType<typeof tempDir>;
  let env: Record<string, string>;
  let db: string;
  let grant: { did: string; task: string; chain: string };

  beforeAll(async () => {
    temp = tempDir("baton-cli-");
    service = await startService(temp.dir);
    db = join(temp.dir, "baton.db");
    env = { BATON_URL: service.url, BATON_OPERATOR_TOKEN: OPERATOR_TOKEN };
  });

  afterAll(async () => {
    await service?.close();
    temp?.remove();
  });

  test("help lists every command and exits 0; an unknown command or option is a usage error", async () => {
    const help = await baton(["help"]);
    expect(help.code).toBe(EXIT_CODES.ok);
    for (const name of [
      "serve",
      "demo",
      "inspect",
      "trace",
      "graph",
      "decisions",
      "audit verify",
      "keys rotate",
    ])
      expect(help.stdout).toContain(name);
    expect((await baton(["frobnicate"])).code).toBe(EXIT_CODES.usage);
    expect((await baton(["agents"])).code).toBe(EXIT_CODES.usage);
    expect((await baton(["trace", "x", "--bogus"], { env })).code).toBe(EXIT_CODES.usage);
  });

  test("registers agents with generated keys and refuses a duplicate with conflict", async () => {
    for (const name of ["planner", "coder"]) {
      const added = await baton(
        ["agents", "add", `agent:${name}`, "--generate-key", join(temp.dir, `${name}.jwk`), "--json"],
        { env },
      );
      expect(added.code).toBe(EXIT_CODES.ok);
      expect(JSON.parse(added.stdout)).toMatchObject({ id: `agent:${name}` });
    }
    const again = await baton(
      ["agents", "add", "agent:planner", "--jwk", join(temp.dir, "planner.jwk"), "--json"],
      {
        env,
      },
    );
    expect(again.code).toBe(EXIT_CODES.refused);
    expect(JSON.parse(again.stderr).error.code).toBe("conflict");
  });

  test("a wrong or missing operator token and an unreachable service exit 3 with their codes", async () => {
    const wrong = await baton(["decisions", "--json"], {
      env: { BATON_URL: service.url, BATON_OPERATOR_TOKEN: "not-the-operator-token-at-all-000" },
    });
    expect(wrong.code).toBe(EXIT_CODES.unavailable);
    expect(JSON.parse(wrong.stderr).error.code).toBe("unauthorized");
    const missing = await baton(["decisions", "--json"], { env: { BATON_URL: service.url } });
    expect(missing.code).toBe(EXIT_CODES.unavailable);
    expect(JSON.parse(missing.stderr).error.code).toBe("missing_token");
    // Port 9 (discard) on loopback has no listener in the test environment.
    const down = await baton(["decisions", "--json", "--url", "http://127.0.0.1:9"], { env });
    expect(down.code).toBe(EXIT_CODES.unavailable);
    expect(JSON.parse(down.stderr).error.code).toBe("unreachable");
  });

  test("registers the tool server's audience that grants will name", async () => {
    expect((await baton(["audiences", "add", "repo-tool"], { env })).code).toBe(EXIT_CODES.ok);
  });

  test("grants a root delegation; a malformed capability is a usage error before any request", async () => {
    const bad = await baton(
      [
        "grant",
        "--agent",
        "agent:planner",
        "--intent",
        "x",
        "--cap",
        "repo.*=repo:../etc",
        "--aud",
        "repo-tool",
      ],
      {
        env,
      },
    );
    expect(bad.code).toBe(EXIT_CODES.usage);
    const granted = await baton(
      [
        "grant",
        "--agent",
        "agent:planner",
        "--intent",
        "triage issues",
        "--cap",
        "repo.issues.*=repo:acme/**",
        "--aud",
        "repo-tool",
        "--mdp",
        "1",
        "--json",
      ],
      { env },
    );
    expect(granted.code).toBe(EXIT_CODES.ok);
    grant = JSON.parse(granted.stdout);
    expect(grant.chain.split("~")).toHaveLength(1);
  });

  test("inspect verifies a chain offline against a JWKS file, and denies a tampered one with exit 1", async () => {
    const jwksFile = join(temp.dir, "jwks.json");
    writeFileSync(jwksFile, await (await fetch(`${service.url}/.well-known/jwks.json`)).text());
    const ok = await baton(["inspect", grant.chain, "--jwks", jwksFile, "--json"]);
    expect(ok.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(ok.stdout).verification).toMatchObject({ decision: "allow", checked: "signatures" });

    const human = await baton(["inspect", "-", "--jwks", jwksFile], { stdin: `DPoP ${grant.chain}\n` });
    expect(human.code).toBe(EXIT_CODES.ok);
    expect(human.stdout).toContain("agent:planner");

    const [head = "", payload = "", signature = ""] = grant.chain.split(".");
    const flipped = `${head}.${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
    const denied = await baton(["inspect", flipped, "--jwks", jwksFile, "--json"]);
    expect(denied.code).toBe(EXIT_CODES.failed);
    expect(JSON.parse(denied.stdout).verification.reasons[0].code).toBe("bad_signature");
  });

  test("trace, graph and decisions read the same graph from the service and from the database file", async () => {
    const viaUrl = await baton(["trace", `--did=${grant.did}`, "--json"], { env });
    expect(viaUrl.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(viaUrl.stdout).delegation).toMatchObject({ did: grant.did, to: "agent:planner" });
    const viaDb = await baton(["trace", `--did=${grant.did}`, "--db", db]);
    expect(viaDb.code).toBe(EXIT_CODES.ok);
    expect(viaDb.stdout).toContain(grant.did);
    expect(viaDb.stdout).toContain("repo.issues.* on repo:acme/**");

    const mermaid = await baton(["graph", "--task", grant.task], { env });
    expect(mermaid.code).toBe(EXIT_CODES.ok);
    expect(mermaid.stdout.startsWith("flowchart TD")).toBe(true);
    const json = await baton(["graph", "--task", grant.task, "--format", "json", "--db", db]);
    expect(JSON.parse(json.stdout).nodes.map((n: { did: string }) => n.did)).toEqual([grant.did]);
    expect((await baton(["graph", "--task", "task-nope", "--db", db])).code).toBe(EXIT_CODES.refused);

    const decisions = await baton(["decisions", "--task", grant.task, "--json"], { env });
    expect(JSON.parse(decisions.stdout).items.map((d: { kind: string }) => d.kind)).toContain("grant");
  });

  test("writes are refused on a database file, and a missing file is a usage error", async () => {
    expect((await baton(["revoke", `--did=${grant.did}`, "--db", db], { env })).code).toBe(EXIT_CODES.usage);
    expect((await baton(["trace", `--did=${grant.did}`, "--db", join(temp.dir, "nope.db")])).code).toBe(
      EXIT_CODES.usage,
    );
  });

  test("revocation and completion go through the service; completing twice is a conflict", async () => {
    const revoked = await baton(["revoke", `--did=${grant.did}`, "--reason", "test", "--json"], { env });
    expect(revoked.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(revoked.stdout).revoked).toEqual([grant.did]);
    const jwksFile = join(temp.dir, "jwks.json");
    const afterRevoke = await baton([
      "inspect",
      grant.chain,
      "--jwks",
      jwksFile,
      "--revocations",
      `${service.url}/v1/revocations`,
      "--json",
    ]);
    expect(afterRevoke.code).toBe(EXIT_CODES.failed);
    expect(JSON.parse(afterRevoke.stdout).verification.reasons[0].code).toBe("revoked");

    const second = await baton(
      [
        "grant",
        "--agent",
        "agent:planner",
        "--intent",
        "again",
        "--cap",
        "repo.*=repo:acme/**",
        "--aud",
        "repo-tool",
        "--json",
      ],
      { env },
    );
    const { task } = JSON.parse(second.stdout) as { task: string };
    expect((await baton(["tasks", "complete", task], { env })).code).toBe(EXIT_CODES.ok);
    const twice = await baton(["tasks", "complete", task, "--json"], { env });
    expect(twice.code).toBe(EXIT_CODES.refused);
    expect(JSON.parse(twice.stderr).error.code).toBe("conflict");
  });

  test("agents list, tasks list and approvals list work on the service and on the database", async () => {
    for (const source of [
      { args: [], env },
      { args: ["--db", db], env: {} },
    ]) {
      const listed = await baton(["agents", "list", ...source.args, "--json"], { env: source.env });
      expect(listed.code).toBe(EXIT_CODES.ok);
      expect(
        JSON.parse(listed.stdout)
          .items.map((a: { id: string }) => a.id)
          .sort(),
      ).toEqual(["agent:coder", "agent:planner"]);
      const tasks = await baton(["tasks", "list", ...source.args, "--status", "completed", "--json"], {
        env: source.env,
      });
      expect(tasks.code).toBe(EXIT_CODES.ok);
      expect(JSON.parse(tasks.stdout).items.map((t: { status: string }) => t.status)).toContain("completed");
    }
    expect((await baton(["tasks", "list", "--status", "closed"], { env })).code).toBe(EXIT_CODES.usage);
    expect((await baton(["approvals", "list", "--json"], { env })).code).toBe(EXIT_CODES.ok);
    expect((await baton(["approvals", "list", "--db", db, "--status", "pending"])).code).toBe(EXIT_CODES.ok);
    const missing = await baton(["approvals", "approve", "no-such-approval", "--json"], { env });
    expect(missing.code).toBe(EXIT_CODES.refused);
    expect(JSON.parse(missing.stderr).error.code).toBe("not_found");
  });
});
