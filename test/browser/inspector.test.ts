/**
 * The inspector in a real browser (issue 10): playwright-core drives Debian's chromium
 * (/usr/bin/chromium; `.ci/run` installs it). The demo is played in-process to build its
 * database, a second task with hops in every state is added over the API, and the service is
 * started on that file with a clock the test controls. The page must list both tasks, draw each
 * tree with the right nodes and colours, show a hop's versions, decisions and blast radius, and
 * revoke it after confirmation. A screenshot is saved to test-results/inspector.png.
 *
 * The investigator's view (issue 22) is driven the same way: hops marked with their refusals,
 * edges saying what narrowed in words, decision rows with actor, reporter, reasons and evidence
 * linked to their hop, "why was this allowed/denied?", search with qualifiers, JSON Lines and CSV
 * exports (spreadsheet-safe), approve/deny on pending step-ups, a revoked hop never "expiring",
 * keyboard use, and a 375 px screen. Screenshots: test-results/inspector-*.png.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AgentKeyPair, BatonAgent, BatonOperator } from "@baton/client";
import { loadConfig, type RunningServer, startServer } from "@baton/service";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { run } from "../../apps/cli/src/run.ts";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "browser-test-operator-token-0123456789";
const RESULTS = resolve(import.meta.dirname, "..", "..", "test-results");
const SCREENSHOT = resolve(RESULTS, "inspector.png");
/** A resource a spreadsheet would run as a formula if the export did not defuse it. */
const FORMULA = '=HYPERLINK("http://evil.example","x")';

/** Saves a screenshot under test-results/. */
async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: resolve(RESULTS, name), fullPage: true });
}

interface GraphNode {
  id: string;
  label: string;
  state: string;
}

/** The graph as cytoscape holds it (the page exposes it read-only as window.batonInspector). */
function graphNodes(page: Page): Promise<GraphNode[]> {
  return page.evaluate(() => {
    const cy = (globalThis as unknown as { batonInspector: { cy: { nodes(): { data(): GraphNode }[] } } })
      .batonInspector.cy;
    return cy.nodes().map((node) => {
      const { id, label, state } = node.data();
      return { id, label, state };
    });
  });
}

// CI installs chromium (.ci/run) and must run this test: there a missing browser is a failure.
// On a developer's machine with only Node and npm, the README's test command must still pass, so
// the suite is skipped there, loudly, instead.
const chromiumMissingLocally = !existsSync(CHROMIUM) && process.env.CI !== "true";
if (chromiumMissingLocally) {
  process.stderr.write(
    `\n[test/browser] SKIPPED: no chromium at ${CHROMIUM}. Install it (apt-get install -y --no-install-recommends chromium) to run the inspector's browser test; CI always runs it.\n\n`,
  );
}

describe.skipIf(chromiumMissingLocally)("the inspector in chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "baton-inspector-"));
  const db = join(dir, "demo.db");
  let now = 0;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let demoTask = "";
  let liveTask = "";
  const dids: Record<string, string> = {};

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `the browser test needs Debian's chromium at ${CHROMIUM}: apt-get install -y --no-install-recommends chromium (.ci/run does this)`,
      );
    }
    // 1. The demo's story, in-process, on a fresh file.
    let demoOut = "";
    const code = await run(["demo", "--db", db, "--json"], {
      stdout: { write: (text: string) => (demoOut += text) },
      stderr: { write: () => true },
      env: {},
      cwd: dir,
    });
    expect(code).toBe(0);
    demoTask = (JSON.parse(demoOut) as { task: string }).task;

    // 2. The service on the demo's database, its clock after the demo's.
    now = Math.floor(Date.now() / 1000) + 700;
    const config = loadConfig({ BATON_DB: db, BATON_OPERATOR_TOKEN: TOKEN, BATON_LOG_LEVEL: "silent" }, [
      "--port",
      "0",
    ]);
    server = await startServer(config, { print: () => {}, clock: () => now });
    const serviceUrl = server.url;

    // 3. A second task: lead (live) → coder (live) → tester (revalidation due); lead → scribe (expired).
    const operator = new BatonOperator({ serviceUrl, token: TOKEN });
    const keys: Record<string, AgentKeyPair> = {};
    for (const name of ["lead", "coder", "tester", "scribe"]) {
      keys[name] = await AgentKeyPair.generate();
      await operator.registerAgent({ id: `agent:${name}`, jwk: (keys[name] as AgentKeyPair).publicJwk });
    }
    const agent = (name: string, chain: string) =>
      new BatonAgent({
        serviceUrl,
        id: `agent:${name}`,
        key: keys[name] as AgentKeyPair,
        chain,
        clock: () => now,
      });
    const granted = await operator.grant({
      agent: "agent:lead",
      task: { intent: "Fix the login bug and tell the team" },
      cap: [
        { act: "repo.*", res: "repo:acme/**" },
        { act: "mail.*", res: "mailbox:acme/**" },
      ],
      aud: ["repo-tool", "mail-tool"],
      ttl: 3600,
      rvi: 3000,
      mdp: 3,
    });
    liveTask = granted.task;
    dids.lead = granted.did;
    const lead = agent("lead", granted.chain);
    const toCoder = await lead.delegate({
      to: "agent:coder",
      cap: [{ act: "repo.issues.*", res: "repo:acme/web/**" }],
      aud: ["repo-tool"],
      ttl: 3000,
      intent: "fix the login bug",
    });
    dids.coder = toCoder.did;
    const toTester = await agent("coder", toCoder.chain).delegate({
      to: "agent:tester",
      cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
      rvi: 60,
    });
    dids.tester = toTester.did;
    const toScribe = await lead.delegate({
      to: "agent:scribe",
      cap: [{ act: "mail.send", res: "mailbox:acme/lists/**" }],
      aud: ["mail-tool"],
      ttl: 100,
    });
    dids.scribe = toScribe.did;

    // Calls checked as the operator would for a tool server: the coder's read is allowed (the
    // baseline policy permits it); the tester's two irreversible reads wait for an approval (the
    // shipped irreversible-deep-step-up policy); its reads outside its scope, and of a
    // formula-looking resource, are denied.
    const check = async (name: string, chain: string, resource: string, reversible: boolean) => {
      const htu = "https://repo-tool.example/issues";
      const { dpop } = await agent(name, chain).present("POST", htu);
      const response = await fetch(`${serviceUrl}/v1/verify`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({
          chain,
          proof: dpop,
          htm: "POST",
          htu,
          audience: "repo-tool",
          action: "repo.issues.read",
          resource,
          context: { reversible },
        }),
      });
      return ((await response.json()) as { decision: string }).decision;
    };
    expect(await check("coder", toCoder.chain, "repo:acme/web/issues/1", true)).toBe("allow");
    expect(await check("tester", toTester.chain, "repo:acme/web/issues/2", false)).toBe("step_up");
    expect(await check("tester", toTester.chain, "repo:acme/web/issues/3", false)).toBe("step_up");
    expect(await check("tester", toTester.chain, "repo:acme/api/issues/4", true)).toBe("deny");
    expect(await check("tester", toTester.chain, FORMULA, true)).toBe("deny");
    now += 120;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // playwright-core gives every launch a fresh temporary profile (its own --user-data-dir).
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A page on the service with the operator token, its errors collected. */
  async function openPage(viewport: { width: number; height: number }) {
    const page = await (browser as Browser).newPage({ viewport, acceptDownloads: true });
    page.setDefaultTimeout(5000);
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`${(server as RunningServer).url}/inspect#token=${TOKEN}`);
    await page.locator(`#tasks tr[data-task="${liveTask}"]`).waitFor();
    await page.locator(`#tasks tr[data-task="${liveTask}"]`).click();
    await expect.poll(async () => (await graphNodes(page)).length).toBe(4);
    return { page, errors };
  }

  /** The text of a download the page starts with `click`. */
  async function downloaded(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
    const [download] = await Promise.all([page.waitForEvent("download"), click()]);
    const path = await download.path();
    return { name: download.suggestedFilename(), text: readFileSync(path, "utf8") };
  }

  test("marks refused hops, says what narrowed, links decisions to hops, explains them, searches, exports and decides step-ups", async () => {
    const { page, errors } = await openPage({ width: 1400, height: 1100 });

    // The graph marks the tester's hop with its refusals (two step-ups, then two denials) and says
    // what narrowed on each edge, in the CLI's words.
    const tester = await page.evaluate((did) => {
      const cy = (
        globalThis as unknown as {
          batonInspector: { cy: { getElementById(id: string): { data(): Record<string, unknown> } } };
        }
      ).batonInspector.cy;
      return cy.getElementById(did).data();
    }, dids.tester as string);
    expect(tester).toMatchObject({ denials: 4, latestDenial: "malformed" });
    expect(tester.label).toContain("✗ 4 refused · latest malformed");
    const coderEdge = await page.evaluate((id) => {
      const cy = (
        globalThis as unknown as {
          batonInspector: { cy: { getElementById(id: string): { data(): { label: string } } } };
        }
      ).batonInspector.cy;
      return cy.getElementById(id).data().label;
    }, `${dids.lead}->${dids.coder}`);
    expect(coderEdge.split("\n")).toEqual([
      "repo.* on repo:acme/** → repo.issues.* on repo:acme/web/**",
      "dropped mail.* on mailbox:acme/**",
      "audiences dropped: mail-tool",
    ]);
    expect(
      await page.locator(`#hops tr[data-did="${dids.tester}"] td[data-col="denials"]`).textContent(),
    ).toBe("✗ 4 refused · latest malformed");
    expect(await page.locator(`#hops tr[data-did="${dids.lead}"]`).getAttribute("data-denials")).toBe("0");

    // A decision row: actor, reporter, the reason's message and evidence, and a link to its hop.
    const denyRow = page.locator('#timeline tbody tr[data-codes~="action_not_permitted"]');
    await expect.poll(() => denyRow.count()).toBe(1);
    expect(await denyRow.locator('[data-testid="actor"]').textContent()).toBe("agent:tester");
    expect(await denyRow.locator('[data-testid="reporter"]').textContent()).toBe("service");
    const reasons = (await denyRow.locator('[data-testid="reasons"]').textContent()) ?? "";
    expect(reasons).toContain("the leaf's capabilities do not allow repo.issues.read");
    expect(reasons).toContain("evidence:");
    expect(reasons).toContain('"cap":[{"act":"repo.issues.read","res":"repo:acme/web/**"}]');

    // The link selects the hop, and the timeline narrows to that hop's decisions.
    const allRows = await page.locator("#timeline tbody tr").count();
    await denyRow.locator('[data-testid="hop-link"]').click();
    await expect.poll(() => page.locator("#hop").getAttribute("data-did")).toBe(dids.tester);
    await expect.poll(() => page.locator("#hop-filter").isVisible()).toBe(true);
    const hops = await page
      .locator("#timeline tbody tr")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-hop")));
    expect(hops.length).toBeGreaterThan(0);
    expect(hops.length).toBeLessThan(allRows);
    expect(new Set(hops)).toEqual(new Set([dids.tester]));
    expect(await page.locator('#hop [data-testid="hop-denials"]').textContent()).toContain("4 refused");
    // The hop panel's decision table fits the panel (nothing clipped on the right).
    const fits = await page.evaluate(() => {
      const panel = document.querySelector("#hop") as HTMLElement;
      const table = panel.querySelector('[data-testid="hop-decisions"]') as HTMLElement;
      return { table: table.scrollWidth, panel: panel.clientWidth, panelScroll: panel.scrollWidth };
    });
    expect(fits.table).toBeLessThanOrEqual(fits.panel);
    expect(fits.panelScroll).toBeLessThanOrEqual(fits.panel);
    await page.click("#hop-filter-clear");
    await expect.poll(() => page.locator("#timeline tbody tr").count()).toBe(allRows);

    // Why was this allowed? The coder's read: each hop covered by its parent, in time, not
    // revoked, and the policy that permitted it.
    const allowRow = page
      .locator('#timeline tbody tr[data-decision="allow"][data-agent="agent:coder"]')
      .last();
    await allowRow.locator('[data-testid="why"]').click();
    const explain = page.locator("#explain");
    await expect.poll(() => explain.getAttribute("data-outcome")).toBe("allow");
    expect(await explain.locator("h2").textContent()).toContain("Why was this allowed?");
    expect(await explain.locator('[data-testid="proof-hop"]').count()).toBe(2);
    const proof = (await explain.textContent()) ?? "";
    expect(proof).toContain(
      "repo.issues.* on repo:acme/web/**: covered by the parent's repo.* on repo:acme/**",
    );
    expect(proof).toContain("not revoked (then or since)");
    expect(await explain.locator(".check-failed").count()).toBe(0);
    expect(await explain.locator('[data-check="expires"]').count()).toBe(2);
    expect(await explain.locator('[data-testid="explain-policy"]').textContent()).toContain(
      "baseline-permit",
    );

    // Why was this denied? From the keyboard: Tab to the row, Enter. The first failing hop with
    // every failed check and its evidence.
    await denyRow.focus();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-id"))).toBe(
      await denyRow.getAttribute("data-id"),
    );
    expect(
      await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle),
    ).not.toBe("none");
    await page.keyboard.press("Enter");
    await expect.poll(() => explain.getAttribute("data-outcome")).toBe("deny");
    expect(await explain.locator("h2").textContent()).toContain("Why was this denied?");
    const failing = explain.locator('[data-testid="proof-hop"]').last();
    expect(await failing.getAttribute("data-hop")).toBe("2");
    expect(await failing.locator('.check-failed[data-code="action_not_permitted"]').textContent()).toContain(
      "evidence:",
    );
    await screenshot(page, "inspector-explain.png");

    // Search with qualifiers; a bad one says what to fix.
    await page.fill("#search", "code:step_up_required agent:agent:tester");
    await page.press("#search", "Enter");
    await expect.poll(() => page.locator("#timeline tbody tr").count()).toBe(2);
    await page.fill("#search", "since:yesterday");
    await page.press("#search", "Enter");
    await expect.poll(() => page.locator("#search-error").textContent()).toContain("is not a time");

    // Exports of the filtered decisions: JSON Lines, and CSV with the formula defused.
    await page.fill("#search", "agent:agent:tester decision:deny");
    await page.press("#search", "Enter");
    await expect.poll(() => page.locator("#search-error").textContent()).toBe("");
    await expect.poll(() => page.locator("#timeline tbody tr").count()).toBe(2);
    const jsonl = await downloaded(page, () => page.click("#export-jsonl"));
    expect(jsonl.name).toBe(`decisions-${liveTask}.jsonl`);
    const lines = jsonl.text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { resource: string });
    expect(lines.map((line) => line.resource)).toEqual(["repo:acme/api/issues/4", FORMULA]);
    const csv = await downloaded(page, () => page.click("#export-csv"));
    const [header, , row, ...rest] = csv.text.trimEnd().split("\r\n");
    expect(header?.startsWith("id,at,kind,decision,")).toBe(true);
    expect(rest).toEqual([]);
    expect(row).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(row?.split(",").some((cell) => /^[=+\-@]/.test(cell))).toBe(false);
    await page.fill("#search", "");
    await page.press("#search", "Enter");

    // Approve one pending step-up and deny the other, each after its confirmation.
    const pending = page.locator("#approvals tbody tr[data-approval]");
    await expect.poll(() => pending.count()).toBe(2);
    const [first, second] = await pending.evaluateAll((rows) =>
      rows.map((r) => r.getAttribute("data-approval")),
    );
    await page.locator(`#approvals tr[data-approval="${first}"] button[data-action="approve"]`).click();
    await page.locator("#confirm[open]").waitFor();
    await page.click("#confirm-ok");
    await expect.poll(() => pending.count()).toBe(1);
    await page.locator(`#approvals tr[data-approval="${second}"] button[data-action="deny"]`).click();
    await page.locator("#confirm[open]").waitFor();
    await page.click("#confirm-ok");
    await expect.poll(() => pending.count()).toBe(0);
    const { store } = server as RunningServer;
    const decided = await store.listApprovals({});
    expect(Object.fromEntries(decided.map((a) => [a.id, a.status]))).toMatchObject({
      [first as string]: "approved",
      [second as string]: "denied",
    });

    await screenshot(page, "inspector-investigator.png");
    // Chromium logs the refused search's 400 itself; the page showed it (#search-error above).
    expect(errors).toEqual([
      "Failed to load resource: the server responded with a status of 400 (Bad Request)",
    ]);
    await page.close();
  });

  test("lists the tasks, draws each tree by state, shows a hop, and revokes it after confirmation", async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1400, height: 1100 } });
    page.setDefaultTimeout(5000);
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    const offOrigin: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith((server as RunningServer).url)) offOrigin.push(request.url());
    });

    // The token comes once in the fragment and leaves the address bar at once.
    await page.goto(`${(server as RunningServer).url}/inspect#token=${TOKEN}`);
    await page
      .locator(`#tasks tr[data-task="${liveTask}"]`)
      .waitFor()
      .catch((error: unknown) => {
        throw new Error(`the task list did not load (page errors: ${errors.join("; ")})`, { cause: error });
      });
    expect(new URL(page.url()).hash).toBe("");
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }
        ).sessionStorage.getItem("baton.operatorToken"),
      ),
    ).toBe(TOKEN);

    // The task list: the demo's completed task and the live one.
    await expect.poll(() => page.locator("#tasks tbody tr").count()).toBe(2);
    expect(await page.locator(`#tasks tr[data-task="${demoTask}"]`).getAttribute("data-status")).toBe(
      "completed",
    );
    const liveRow = page.locator(`#tasks tr[data-task="${liveTask}"]`);
    expect(await liveRow.getAttribute("data-status")).toBe("open");
    expect(await liveRow.locator('td[data-col="live"]').textContent()).toBe("4");

    // The demo's tree: planner → triager → notifier, all revoked by the end of the story.
    await page.locator(`#tasks tr[data-task="${demoTask}"]`).click();
    await expect.poll(async () => (await graphNodes(page)).length).toBe(3);
    const demoNodes = await graphNodes(page);
    expect(demoNodes.map((n) => n.state)).toEqual(["revoked", "revoked", "revoked"]);
    expect(demoNodes.map((n) => n.label.split("\n")[0])).toEqual([
      "agent:planner",
      "agent:triager",
      "agent:notifier",
    ]);
    // The timeline loads after the graph is drawn: wait for it.
    await expect.poll(() => page.locator("#timeline tbody tr").count()).toBeGreaterThan(10);
    // Every refusal of agent:notifier's chain is its own (proven by its proof), whichever tool or
    // the service reported it; the reporter has a column of its own.
    const notifierRows = await page
      .locator("#timeline tbody tr")
      .evaluateAll((rows) =>
        rows
          .filter((row) => (row.getAttribute("data-codes") ?? "").split(" ").includes("revalidation_due"))
          .map((row) => [
            row.querySelector('[data-testid="actor"]')?.textContent,
            row.querySelector('[data-testid="reporter"]')?.textContent,
          ]),
      );
    expect(notifierRows).toEqual([["agent:notifier", "audience:mail-tool"]]);

    // The decision timeline filters by reason code (a search qualifier).
    await page.fill("#search", "code:revoked");
    await page.press("#search", "Enter");
    await expect
      .poll(() =>
        page
          .locator("#timeline tbody tr")
          .evaluateAll((rows) =>
            rows.every((row) => (row.getAttribute("data-codes") ?? "").includes("revoked")),
          ),
      )
      .toBe(true);
    const codes = await page
      .locator("#timeline tbody tr")
      .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-codes") ?? ""));
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.every((c) => c.split(" ").includes("revoked"))).toBe(true);

    // The live task: one node per hop, coloured by state.
    await page.fill("#search", "");
    await liveRow.click();
    await expect.poll(async () => (await graphNodes(page)).length).toBe(4);
    const states = Object.fromEntries((await graphNodes(page)).map((n) => [n.id, n.state]));
    expect(states).toEqual({
      [dids.lead as string]: "live",
      [dids.coder as string]: "live",
      [dids.tester as string]: "revalidation_due",
      [dids.scribe as string]: "expired",
    });
    expect(await page.locator(`#hops tr[data-did="${dids.coder}"] td`).last().textContent()).toContain(
      "may delegate 3 → 2 more",
    );

    // Click the coder's hop on the canvas itself.
    const box = await page.locator("#graph").boundingBox();
    const position = await page.evaluate((did) => {
      const cy = (
        globalThis as unknown as {
          batonInspector: {
            cy: { getElementById(id: string): { renderedPosition(): { x: number; y: number } } };
          };
        }
      ).batonInspector.cy;
      return cy.getElementById(did).renderedPosition();
    }, dids.coder as string);
    await page.mouse.click((box?.x ?? 0) + position.x, (box?.y ?? 0) + position.y);
    const panel = page.locator("#hop");
    await expect.poll(() => panel.getAttribute("data-did")).toBe(dids.coder);
    await panel.locator('[data-testid="blast-radius"]').waitFor();
    expect(await panel.locator('[data-testid="versions"] tbody tr').count()).toBe(1);
    expect(await panel.locator('[data-testid="hop-decisions"] tr').count()).toBeGreaterThanOrEqual(1);
    expect(await panel.locator('[data-diff="narrowed"]').count()).toBe(1);
    expect(await panel.locator('[data-diff="removed"]').count()).toBe(1);
    expect(await panel.locator('[data-testid="blast-radius"]').textContent()).toContain(
      "cuts off 1 live hop(s) below it: agent:tester",
    );

    // Revoke it, after the confirmation dialog.
    await panel.locator("#revoke-hop").click();
    await page.locator("#confirm[open]").waitFor();
    await page.fill("#confirm-reason", "coder pushed to main");
    await page.click("#confirm-ok");
    await expect
      .poll(() => page.locator(`#hops tr[data-did="${dids.coder}"]`).getAttribute("data-state"))
      .toBe("revoked");
    expect(await page.locator(`#hops tr[data-did="${dids.tester}"]`).getAttribute("data-state")).toBe(
      "revoked",
    );
    const after = Object.fromEntries((await graphNodes(page)).map((n) => [n.id, n.state]));
    expect(after[dids.coder as string]).toBe("revoked");
    expect(after[dids.lead as string]).toBe("live");
    const { store } = server as RunningServer;
    expect(await store.getDelegation(dids.coder as string)).toMatchObject({
      status: "revoked",
      revokeReason: "coder pushed to main",
    });
    expect((await store.getDelegation(dids.tester as string))?.status).toBe("revoked");
    expect((await store.getDelegation(dids.lead as string))?.status).toBe("live");

    mkdirSync(resolve(SCREENSHOT, ".."), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
    expect(offOrigin).toEqual([]);
    await page.close();
  });

  test("never says a revoked hop expires, is usable from the keyboard, and fits a 375 px screen", async () => {
    // Runs after the coder's hop was revoked above.
    const { page, errors } = await openPage({ width: 375, height: 900 });
    const expires = await page
      .locator(`#hops tr[data-did="${dids.coder}"] td[data-col="expires"]`)
      .textContent();
    expect(expires).toMatch(/^revoked /);
    expect(expires).not.toContain("in ");
    expect(
      await page.locator(`#hops tr[data-did="${dids.coder}"] td[data-col="revalidate"]`).textContent(),
    ).toBe("");

    // The operator's denial of a step-up is not one more refusal of the tester's chain.
    expect(await page.locator(`#hops tr[data-did="${dids.tester}"]`).getAttribute("data-denials")).toBe("4");

    // Keyboard: Tab onto the coder's row and press Space; the hop panel opens on it.
    const coderRow = page.locator(`#hops tr[data-did="${dids.coder}"]`);
    await coderRow.focus();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-did"))).toBe(dids.coder);
    await page.keyboard.press(" ");
    await expect.poll(() => page.locator("#hop").getAttribute("data-did")).toBe(dids.coder);
    await page.locator('#hop [data-testid="revoked-note"]').waitFor();
    expect(await page.locator('#hop [data-testid="expiry-note"]').count()).toBe(0);
    expect(await page.locator("#hop").textContent()).not.toMatch(/expires in/);

    // Nothing overflows sideways at 375 px, and the hop panel's decisions are not clipped.
    const widths = await page.evaluate(() => {
      const panel = document.querySelector("#hop") as HTMLElement;
      const table = panel.querySelector('[data-testid="hop-decisions"]') as HTMLElement;
      return {
        page: document.documentElement.scrollWidth,
        viewport: document.documentElement.clientWidth,
        table: table.scrollWidth,
        panel: panel.clientWidth,
      };
    });
    expect(widths.page).toBeLessThanOrEqual(widths.viewport);
    expect(widths.table).toBeLessThanOrEqual(widths.panel);
    await screenshot(page, "inspector-narrow.png");
    expect(errors).toEqual([]);
    await page.close();
  });
});
