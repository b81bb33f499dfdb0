/**
 * `baton demo`: the whole story on real HTTP in a few seconds. The token service runs in-process
 * on a fresh SQLite file, two tool servers (a code repository and a mail tool) verify chains with
 * the middleware, and three agents with their own keys use the client SDK. Every outcome is
 * checked: the demo exits 1 if any of them is not what Baton should decide.
 *
 * One demo clock drives the service, the tool servers and the agents' DPoP proofs, so when the
 * story says ten minutes pass, the clock jumps and nothing sleeps.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, relative } from "node:path";
import { AgentKeyPair, BatonAgent, BatonError, BatonOperator } from "@baton/client";
import { generateOperatorToken, loadConfig, type RunningServer, startServer } from "@baton/service";
import { decodeChain, decodeToken, parseTokenPayload, type TokenClaims } from "@baton/token";
import { describeNarrowing } from "../chain-narrowing.ts";
import { CliError, usageError } from "../cli-error.ts";
import type { CommandContext } from "../command-context.ts";
import { describeCapabilities, describeDuration } from "../describe.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { storeSource } from "../investigation-source.ts";
import { batonCommand } from "../self-command.ts";
import { renderTrace } from "../trace-view.ts";
import { type DemoToolServer, startDemoToolServer } from "./tool-server.ts";

/** One checked step of the story. */
export interface DemoOutcome {
  readonly step: string;
  readonly expected: string;
  readonly actual: string;
  readonly ok: boolean;
}

/** What the demo leaves behind, for `--json` and for the closing hints. */
export interface DemoSummary {
  readonly db: string;
  readonly task: string;
  readonly rootDid: string;
  readonly leafDid: string;
  readonly outcomes: readonly DemoOutcome[];
  readonly audit: { readonly ok: boolean; readonly rows: number };
}

const REPO_TOOL = "repo-tool";
const MAIL_TOOL = "mail-tool";

function timestamp(at: number): string {
  return new Date(at * 1000).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

function leafClaims(chain: string): TokenClaims {
  const split = decodeChain(chain);
  if (!split.ok) throw split.error;
  const leaf = decodeToken(split.value.at(-1) ?? "");
  if (!leaf.ok) throw leaf.error;
  const claims = parseTokenPayload(leaf.value);
  if (!claims.ok) throw claims.error;
  return claims.value;
}

/** A did as a command-line argument: base64url may begin with `-`, which would read as an option. */
function didArgument(did: string): string {
  return did.startsWith("-") ? `--did=${did}` : did;
}

async function outcomeOf(response: Response): Promise<string> {
  if (response.ok) return `allowed (${response.status})`;
  const body = (await response.json().catch(() => ({}))) as { code?: string };
  return `${body.code ?? "refused"} (${response.status})`;
}

/** Runs the narrated scenario; resolves to the exit code. */
export async function runDemoScenario(ctx: CommandContext): Promise<number> {
  const { style } = ctx;
  const quiet = ctx.json;
  const say = (...lines: string[]) => {
    if (!quiet) ctx.print(...lines);
  };
  let now = ctx.now();
  const clock = () => now;

  const given = ctx.string("db");
  const db = ctx.path(given ?? `.baton/demo-${timestamp(now)}.db`);
  if (existsSync(db)) throw usageError(`${db} already exists: the demo needs a fresh database file`);
  mkdirSync(dirname(db), { recursive: true });

  const outcomes: DemoOutcome[] = [];
  const check = (step: string, expected: string, actual: string) => {
    const ok = actual.startsWith(expected);
    outcomes.push({ step, expected, actual, ok });
    say(
      ok
        ? `   ${style.green("✓")} ${actual}`
        : `   ${style.red(`✗ UNEXPECTED: ${actual}, expected ${expected}`)}`,
    );
  };
  const scene = (n: number, title: string, ...notes: string[]) =>
    say("", style.bold(`${n}. ${title}`), ...notes.map((note) => `   ${style.dim(note)}`));

  const operatorToken = generateOperatorToken();
  const config = loadConfig(
    {
      BATON_DB: db,
      BATON_OPERATOR_TOKEN: operatorToken,
      BATON_LOG_LEVEL: "silent",
      BATON_REVALIDATION_INTERVAL: "600",
    },
    ["--port", "0"],
  );
  let service: RunningServer | undefined;
  const tools: DemoToolServer[] = [];
  try {
    service = await startServer(config, { print: () => {}, clock });
    const serviceUrl = service.url;
    say(
      style.bold("Baton demo"),
      style.dim(`token service ${serviceUrl} on a fresh SQLite file ${db}`),
      style.dim(
        "One demo clock drives the service, the tool servers and the agents: when time passes, it jumps.",
      ),
    );
    const operator = new BatonOperator({ serviceUrl, token: operatorToken });

    scene(1, "The operator registers two tool servers and three agents, each agent with its own Ed25519 key");
    const secrets: Record<string, string> = {};
    for (const [id, name] of [
      [REPO_TOOL, "Code repository"],
      [MAIL_TOOL, "Mail"],
    ] as const) {
      secrets[id] = (await operator.registerAudience({ id, name })).secret;
    }
    const keys: Record<string, AgentKeyPair> = {};
    for (const name of ["planner", "triager", "notifier"]) {
      const key = await AgentKeyPair.generate();
      keys[name] = key;
      await operator.registerAgent({ id: `agent:${name}`, jwk: key.publicJwk, owner: "demo" });
      say(`   agent:${name.padEnd(9)} key ${key.thumbprint}`);
    }
    const agent = (name: string, chain: string) =>
      new BatonAgent({ serviceUrl, id: `agent:${name}`, key: keys[name] as AgentKeyPair, chain, clock });

    const repo = await startDemoToolServer({
      audience: REPO_TOOL,
      serviceUrl,
      issuer: service.issuer,
      audienceSecret: secrets[REPO_TOOL] as string,
      clock,
      routes: (app, baton) =>
        app.get(
          "/repos/:owner/:repo/issues",
          baton({ action: "repo.issues.read", resource: "repo:{owner}/{repo}/issues" }),
          (c) => c.json({ issues: [{ number: 42, title: "Login page 500" }] }),
        ),
    });
    tools.push(repo);
    const mail = await startDemoToolServer({
      audience: MAIL_TOOL,
      serviceUrl,
      issuer: service.issuer,
      audienceSecret: secrets[MAIL_TOOL] as string,
      clock,
      routes: (app, baton) =>
        app.post(
          "/lists/:org/:list/messages",
          baton({ action: "mail.send", resource: "mailbox:{org}/lists/{list}" }),
          (c) => c.json({ queued: true }, 201),
        ),
    });
    tools.push(mail);
    say(
      `   ${REPO_TOOL} ${repo.url}   ${MAIL_TOOL} ${mail.url}   (Hono + a Baton gate per route, JWKS and revocation feed over HTTP)`,
    );
    const issuesUrl = `${repo.url}/repos/acme/web/issues`;
    const releaseListUrl = `${mail.url}/lists/acme/releases/messages`;
    /** A call with the chain presented as is: no automatic revalidation, so refusals show. */
    const call = async (who: BatonAgent, method: string, url: string): Promise<string> => {
      const presentation = await who.present(method, url);
      const response = await fetch(url, {
        method,
        headers: {
          authorization: presentation.authorization,
          dpop: presentation.dpop,
          "content-type": "application/json",
        },
        ...(method === "POST" ? { body: JSON.stringify({ subject: "v2.4 is out" }) } : {}),
      });
      // Report the tool server's decision now, so the log shows it at the demo time it was made.
      await Promise.all(tools.map((tool) => tool.sink.flush()));
      return outcomeOf(response);
    };
    const syncFeeds = () => Promise.all(tools.map((tool) => tool.feed.syncOnce()));

    const intent = "Triage the acme/web issues and announce the release";
    const granted = await operator.grant({
      agent: "agent:planner",
      task: { intent },
      cap: [
        { act: "repo.*", res: "repo:acme/**" },
        { act: "mail.*", res: "mailbox:acme/**" },
      ],
      aud: [REPO_TOOL, MAIL_TOOL],
      ttl: 3600,
      rvi: 600,
      mdp: 2,
    });
    const planner = agent("planner", granted.chain);
    const root = leafClaims(granted.chain);
    scene(
      2,
      `The operator grants agent:planner a root delegation for task ${granted.task}`,
      `intent: ${intent}`,
    );
    say(
      `   can: ${describeCapabilities(root.cap)}`,
      `   for: ${root.aud.join(", ")}; lives ${describeDuration(root.exp - now)}, revalidate every ${describeDuration(root.rvl - now)}, ${root.mdp} hops below`,
    );

    const showHop = (chain: string, parent: TokenClaims) => {
      const claims = leafClaims(chain);
      say(`   can: ${describeCapabilities(claims.cap)}   for: ${claims.aud.join(", ")}`);
      for (const change of describeNarrowing(parent, claims)) say(`   ${style.dim(`↓ ${change.text}`)}`);
      return claims;
    };
    scene(3, "Hop 1: agent:planner delegates issue triage and mail to agent:triager (narrower)");
    const toTriager = await planner.delegate({
      to: "agent:triager",
      cap: [
        { act: "repo.issues.*", res: "repo:acme/web/**" },
        { act: "mail.send", res: "mailbox:acme/**" },
      ],
      ttl: 1800,
      intent: "triage issues, report by mail",
    });
    const triager = agent("triager", toTriager.chain);
    const hop1 = showHop(toTriager.chain, root);

    scene(4, "Hop 2: agent:triager delegates only the announcement to agent:notifier (narrower again)");
    const toNotifier = await triager.delegate({
      to: "agent:notifier",
      cap: [{ act: "mail.send", res: "mailbox:acme/lists/**" }],
      aud: [MAIL_TOOL],
      ttl: 900,
      intent: "announce the release",
    });
    const notifier = agent("notifier", toNotifier.chain);
    showHop(toNotifier.chain, hop1);

    scene(5, "Allowed tool calls: each tool server re-checks every hop of the presented chain");
    say(`   agent:triager  GET  ${REPO_TOOL} /repos/acme/web/issues`);
    check("triager reads issues", "allowed", await call(triager, "GET", issuesUrl));
    say(`   agent:notifier POST ${MAIL_TOOL} /lists/acme/releases/messages`);
    check("notifier sends the announcement", "allowed", await call(notifier, "POST", releaseListUrl));

    scene(6, "agent:triager tries to hand agent:notifier more than it holds itself (repo.* on repo:acme/**)");
    let widening: string;
    try {
      await triager.delegate({ to: "agent:notifier", cap: [{ act: "repo.*", res: "repo:acme/**" }] });
      widening = "issued";
    } catch (error) {
      if (!(error instanceof BatonError)) throw error;
      widening = `${error.code} (${error.status})`;
    }
    check("widening is refused", "scope_widening", `${widening}: refused by the service, never clamped`);

    scene(7, "agent:notifier calls the repository tool, which is not in its audience");
    check("out-of-audience call", "audience_mismatch", await call(notifier, "GET", issuesUrl));

    now += 601;
    await syncFeeds();
    scene(
      8,
      "Ten minutes pass (the demo clock jumps 601 s; nothing sleeps): the chain is due for revalidation",
    );
    check("a due chain is denied", "revalidation_due", await call(notifier, "POST", releaseListUrl));
    const before = notifier.chain.split("~");
    await notifier.revalidate();
    const after = notifier.chain.split("~");
    const reissued = after.filter((token, i) => token !== before[i]).length;
    say(
      `   agent:notifier revalidates: the service re-checks every hop against the graph and re-issues ${reissued} token(s) (same did, new jti)`,
    );
    check("the revalidated chain is allowed", "allowed", await call(notifier, "POST", releaseListUrl));
    await planner.revalidate();
    await triager.revalidate();

    scene(9, "agent:planner revokes hop 1 (agent:triager): its whole subtree is cut off");
    const { revoked } = await planner.revoke(toTriager.did, "triager posted to the wrong list");
    say(`   revoked ${revoked.length} delegation(s): ${revoked.join(", ")}`);
    await syncFeeds();
    say(
      style.dim(
        "   (the tool servers follow the revocation feed; the demo syncs them now instead of waiting for a poll)",
      ),
    );
    check("the revoked hop is denied", "revoked", await call(triager, "GET", issuesUrl));
    check("the hop below it is denied", "revoked", await call(notifier, "POST", releaseListUrl));
    check("the planner itself is unaffected", "allowed", await call(planner, "GET", issuesUrl));

    scene(10, "agent:planner completes the task: everything issued under it is revoked");
    const completed = await planner.complete(granted.task);
    await syncFeeds();
    say(`   revoked ${completed.revoked} more delegation(s)`);
    check("the root grant is dead too", "revoked", await call(planner, "GET", issuesUrl));

    await Promise.all(tools.map((tool) => tool.sink.flush()));
    scene(11, "The trace: every hop with its capabilities, status, expiry and the decisions made under it");
    const source = storeSource(service.store);
    const trace = await source.trace(granted.did);
    say(...renderTrace(trace, { now, style, decisionsPerHop: 12 }).map((line) => `   ${line}`));

    scene(12, "The audit log: every decision is hash-chained to the one before it");
    const audit = await service.store.verifyDecisionLog();
    const auditText = audit.ok
      ? `audit log verified: ${audit.rows} rows, head ${audit.headHash}`
      : `audit log broken at row ${audit.firstBrokenId}: ${audit.reason}`;
    check("the audit log verifies", "audit log verified", auditText);

    const summary: DemoSummary = {
      db,
      task: granted.task,
      rootDid: granted.did,
      leafDid: toNotifier.did,
      outcomes,
      audit: { ok: audit.ok, rows: audit.rows },
    };
    const failed = outcomes.filter((o) => !o.ok).length;

    if (ctx.args.values.inspect === true) {
      say(
        "",
        style.bold(`The service keeps running at ${serviceUrl} until Ctrl-C.`),
        `   export BATON_URL=${serviceUrl} BATON_OPERATOR_TOKEN=${operatorToken}`,
        // The token rides in the fragment, which never reaches the server; the page moves it to
        // sessionStorage and drops it from the address bar.
        `   inspector: ${serviceUrl}/inspect#token=${operatorToken}`,
        style.dim("   its clock stays where the demo left it"),
      );
      await new Promise<void>((resolve) => {
        if (ctx.io.signal === undefined || ctx.io.signal.aborted) return resolve();
        ctx.io.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    for (const tool of tools.splice(0)) await tool.close();
    await service.close();
    service = undefined;

    if (quiet) {
      ctx.printJson(summary);
    } else {
      const shown = relative(ctx.io.cwd ?? process.cwd(), db);
      const path = shown.startsWith("..") ? db : shown;
      const cmd = batonCommand(ctx.io.cwd);
      say(
        "",
        failed === 0
          ? style.green(style.bold(`All ${outcomes.length} outcomes were as Baton should decide.`))
          : style.red(style.bold(`${failed} of ${outcomes.length} outcomes were NOT as expected.`)),
        `The database is ${path}. Try next:`,
        `   ${cmd} trace ${didArgument(toNotifier.did)} --db ${path}`,
        `   ${cmd} graph --task ${granted.task} --format mermaid --db ${path}`,
        `   ${cmd} decisions --task ${granted.task} --db ${path}`,
        `   ${cmd} audit verify --db ${path}`,
      );
    }
    return failed === 0 ? EXIT_CODES.ok : EXIT_CODES.failed;
  } catch (error) {
    if (error instanceof BatonError) {
      throw new CliError(
        error.code,
        `the demo stopped: the service answered ${error.status} ${error.code}: ${error.message}`,
        EXIT_CODES.failed,
      );
    }
    throw error;
  } finally {
    for (const tool of tools) await tool.close().catch(() => {});
    await service?.close();
  }
}
