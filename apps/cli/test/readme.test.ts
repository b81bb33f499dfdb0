/**
 * The root README's examples are real: the SDK and tool-server snippets are the files in
 * apps/cli/examples verbatim (this test fails when they diverge) and run here against a real
 * service, each tool server (Hono, node:http, Express) over real HTTP on loopback; every pnpm in
 * their code is the pinned `npx -y pnpm@…` (a fresh machine has no pnpm), and every
 * `node apps/cli/bin/baton.js` line names a command and options that exist.
 */
import { readFileSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { RunningServer } from "@baton/service";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { delegateAndCall } from "../examples/agent-sdk.ts";
import { createRepoTool as createHonoRepoTool } from "../examples/tool-server.ts";
import { createRepoTool as createExpressRepoTool } from "../examples/tool-server-express.ts";
import { createRepoTool as createNodeRepoTool } from "../examples/tool-server-node.ts";
import { EXIT_CODES } from "../src/exit-codes.ts";
import { baton, OPERATOR_TOKEN, startService, tempDir } from "./helpers.ts";

const ROOT = new URL("../../../", import.meta.url);
const readme = readFileSync(new URL("README.md", ROOT), "utf8");
const cliReadme = readFileSync(new URL("apps/cli/README.md", ROOT), "utf8");
/** How the READMEs run the CLI: the bin, from the repository root, with no pnpm in front. */
const BIN = "node apps/cli/bin/baton.js ";

/** The code in a Markdown text: fenced blocks and inline code spans. */
function codeOf(markdown: string): string[] {
  const fenced = [...markdown.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  const prose = markdown.replace(/```\w*\n[\s\S]*?```/g, "");
  const inline = [...prose.matchAll(/`([^`]+)`/g)].map((m) => (m[1] ?? "").replace(/\s*\n\s*/g, " "));
  return [...fenced, ...inline];
}

/** The fenced block that follows `<!-- example: <path>` in the README. */
function exampleBlock(path: string): string | undefined {
  const marker = readme.indexOf(`<!-- example: ${path}`);
  if (marker < 0) return undefined;
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(marker));
  return match?.[1];
}

/** Splits a shell line into words, honouring single and double quotes. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

describe("README examples", () => {
  test.each([
    "apps/cli/examples/agent-sdk.ts",
    "apps/cli/examples/tool-server.ts",
    "apps/cli/examples/tool-server-node.ts",
  ])("the README shows %s verbatim", (path) => {
    expect(exampleBlock(path)).toBe(readFileSync(fileURLToPath(new URL(path, ROOT)), "utf8"));
  });

  test("keeps the install-and-demo and install-and-test commands first", () => {
    const first = /```sh\n([^\n]*)\n([^\n]*)\n/.exec(readme);
    expect(first?.[1]).toMatch(/^npx -y pnpm@[\d.]+ install --frozen-lockfile && npx -y pnpm@[\d.]+ demo\b/);
    expect(first?.[2]).toMatch(/^npx -y pnpm@[\d.]+ install --frozen-lockfile && npx -y pnpm@[\d.]+ test\b/);
  });

  test("every pnpm in the READMEs' code is the pinned `npx -y pnpm@<packageManager version>`", () => {
    const pinned = JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")).packageManager as string;
    expect(pinned).toMatch(/^pnpm@\d+\.\d+\.\d+$/);
    for (const [name, text] of [
      ["README.md", readme],
      ["apps/cli/README.md", cliReadme],
    ] as const) {
      for (const code of codeOf(text)) {
        // `pnpm` as a command word (not pnpm-lock.yaml or pnpm-workspace.yaml) must be the pinned npx form.
        for (const match of code.matchAll(/(?<![\w@-])pnpm(?![\w.-])/g)) {
          const at = match.index ?? 0;
          const context = code.slice(Math.max(0, at - 7), at + pinned.length);
          expect({ name, context }).toEqual({ name, context: `npx -y ${pinned}` });
        }
      }
    }
  });

  test("every `node apps/cli/bin/baton.js` command in the README names a command and options that exist", async () => {
    const commands = codeOf(readme).flatMap(
      (code) =>
        code
          .replace(/"?\$\([^)]*\)"?/g, "X") // a command substitution stands for one argument
          .split(BIN)
          .slice(1)
          .map((rest) => rest.split(/[|>&#;\n]/)[0] ?? "")
          .filter((rest) => !rest.startsWith("<")), // `<command>` in prose is a placeholder
    );
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands) {
      const result = await baton([...words(command), "--help"]);
      expect({ command, code: result.code }).toEqual({ command, code: EXIT_CODES.ok });
    }
  });

  test("the first CLI session sets the operator token before the first command that needs it", () => {
    const session = /```sh\n(export BATON_OPERATOR_TOKEN=[\s\S]*?)```/.exec(readme)?.[1] ?? "";
    expect(session).toContain(`${BIN}serve`);
    expect(session).toContain(`${BIN}audiences add repo-tool`);
    expect(session.indexOf("audiences add repo-tool")).toBeLessThan(session.indexOf("--aud repo-tool"));
  });

  /** Starts an example tool server on loopback; it is built once its origin is known. */
  type StartTool = (
    serviceUrl: string,
    issuer: string,
  ) => Promise<{ server: Server; url: string; stop: () => void }>;

  /** Listens first, then builds: each example needs the tool's public origin when it is built. */
  async function listenThenBuild(
    listen: (handler: RequestListener) => Server,
    build: (origin: string) => Promise<{ listener: RequestListener; stop: () => void }>,
  ): Promise<{ server: Server; url: string; stop: () => void }> {
    let listener: RequestListener | undefined;
    const server = listen((req, res) =>
      listener === undefined ? res.writeHead(503).end() : listener(req, res),
    );
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const built = await build(url);
    listener = built.listener;
    return { server, url, stop: built.stop };
  }

  const nodeListen = (handler: RequestListener) => createServer(handler).listen(0, "127.0.0.1");
  const tools: [string, StartTool][] = [
    [
      "Hono (apps/cli/examples/tool-server.ts, on @hono/node-server)",
      async (serviceUrl, issuer) => {
        let app: Awaited<ReturnType<typeof createHonoRepoTool>>["app"] | undefined;
        const server = serve({
          fetch: (request) => app?.fetch(request) ?? new Response(null, { status: 503 }),
          hostname: "127.0.0.1",
          port: 0,
        }) as Server;
        await new Promise<void>((resolve) => server.once("listening", () => resolve()));
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const created = await createHonoRepoTool(serviceUrl, issuer, url);
        app = created.app;
        return { server, url, stop: created.stop };
      },
    ],
    [
      "node:http (apps/cli/examples/tool-server-node.ts)",
      (serviceUrl, issuer) =>
        listenThenBuild(nodeListen, (origin) => createNodeRepoTool(serviceUrl, issuer, origin)),
    ],
    [
      "Express (apps/cli/examples/tool-server-express.ts)",
      (serviceUrl, issuer) =>
        listenThenBuild(nodeListen, async (origin) => {
          const { app, stop } = await createExpressRepoTool(serviceUrl, issuer, origin);
          return { listener: app, stop };
        }),
    ],
  ];

  describe.each(tools)("run against a real service: %s", (_name, startTool) => {
    let temp: ReturnType<typeof tempDir>;
    let service: RunningServer;
    let tool: { server: Server; url: string; stop: () => void };

    beforeAll(async () => {
      temp = tempDir("baton-readme-");
      service = await startService(temp.dir);
      tool = await startTool(service.url, service.issuer);
    });

    afterAll(async () => {
      tool?.stop();
      await new Promise<void>((resolve) => {
        if (tool === undefined) return resolve();
        tool.server.closeAllConnections();
        tool.server.close(() => resolve());
      });
      await service?.close();
      temp?.remove();
    });

    test("the SDK example's sub-agent is allowed by the tool-server example", async () => {
      const response = await delegateAndCall(service.url, OPERATOR_TOKEN, tool.url);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ issues: [], for: "agent:coder" });
    });

    test("refuses a call without credentials with 401, a bare DPoP challenge and problem+json", async () => {
      const response = await fetch(`${tool.url}/repos/acme/web/issues`);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('DPoP algs="Ed25519 EdDSA"');
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ code: "malformed", status: 401, decision: "deny" });
    });

    test("refuses a request no gated route names with 403 unmapped_route", async () => {
      for (const [method, path] of [
        ["POST", "/repos/acme/web/issues"],
        ["GET", "/admin"],
      ] as const) {
        const response = await fetch(`${tool.url}${path}`, { method });
        expect(response.status, `${method} ${path}`).toBe(403);
        expect(response.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
        expect(await response.json()).toMatchObject({ code: "unmapped_route", reasons: [{ hop: null }] });
      }
    });

    test("refuses a percent-encoded path segment with 400 instead of decoding it into another repository", async () => {
      const response = await fetch(`${tool.url}/repos/acme/web%2F..%2Fapi/issues`);
      expect(response.status).toBe(400);
      expect(response.headers.get("www-authenticate")).toContain('error="invalid_request"');
      expect(await response.json()).toMatchObject({ code: "malformed" });
    });
  });
});
