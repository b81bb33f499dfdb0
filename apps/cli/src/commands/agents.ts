/** `baton agents add|list|disable`: register, list and shut out agents. */
import { readFileSync, writeFileSync } from "node:fs";
import { AgentKeyPair } from "@baton/client";
import type { AgentRecord } from "@baton/store";
import type { Ed25519PublicJwk } from "@baton/token";
import { usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import type { CommandContext } from "../command-context.ts";
import { isoTime } from "../describe.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { printable, printableOrEmpty } from "../printable.ts";
import { formatTable } from "../table.ts";

function readPublicJwk(ctx: CommandContext, file: string): Ed25519PublicJwk {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(ctx.path(file), "utf8"));
  } catch (error) {
    throw usageError(`--jwk ${file}: could not read a JSON key (${(error as Error).message})`);
  }
  const jwk = parsed as Partial<Ed25519PublicJwk>;
  if (jwk?.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
    throw usageError(`--jwk ${file} must hold an Ed25519 JWK {"kty":"OKP","crv":"Ed25519","x":…}`);
  }
  // Only the public half is ever sent, even when the file is the agent's private JWK.
  return { kty: "OKP", crv: "Ed25519", x: jwk.x };
}

function oneId(ctx: CommandContext, what: string): string {
  const [id, ...rest] = ctx.args.positionals;
  if (id === undefined || rest.length > 0) throw usageError(`give exactly one ${what}`);
  return id;
}

export const agentsAdd: Command = {
  name: "agents add",
  summary: "register an agent and its Ed25519 public key",
  usage: "<agent-id> (--jwk <file> | --generate-key <file>) [--name <text>] [--owner <text>]",
  options: {
    jwk: { type: "string" },
    "generate-key": { type: "string" },
    name: { type: "string" },
    owner: { type: "string" },
  },
  help: [
    "--jwk reads the agent's public JWK (a private JWK is accepted; only its public half is sent).",
    "--generate-key makes a new key pair, writes the private JWK to <file> (mode 600) and registers it.",
  ],
  async run(ctx) {
    ctx.refuseDatabaseWrite("agents add");
    const id = oneId(ctx, "agent id (agent:name or a SPIFFE ID)");
    const jwkFile = ctx.string("jwk");
    const generateFile = ctx.string("generate-key");
    if ((jwkFile === undefined) === (generateFile === undefined)) {
      throw usageError("give exactly one of --jwk <file> or --generate-key <file>");
    }
    let jwk: Ed25519PublicJwk;
    if (generateFile !== undefined) {
      const pair = await AgentKeyPair.generate();
      writeFileSync(ctx.path(generateFile), `${JSON.stringify(pair.toPrivateJwk())}\n`, {
        mode: 0o600,
        flag: "wx",
      });
      jwk = pair.publicJwk;
    } else {
      jwk = readPublicJwk(ctx, jwkFile as string);
    }
    const name = ctx.string("name");
    const owner = ctx.string("owner");
    const registered = await ctx.operator().registerAgent({
      id,
      jwk,
      ...(name === undefined ? {} : { name }),
      ...(owner === undefined ? {} : { owner }),
    });
    if (ctx.json) ctx.printJson(registered);
    else ctx.print(`registered ${printable(registered.id)} (key thumbprint ${printable(registered.jkt)})`);
    return EXIT_CODES.ok;
  },
};

export const agentsList: Command = {
  name: "agents list",
  summary: "list registered agents",
  usage: "",
  options: {},
  async run(ctx) {
    let agents: readonly AgentRecord[];
    if (ctx.usesDatabase()) {
      const store = ctx.openDatabase();
      try {
        agents = store.listAgents();
      } finally {
        store.close();
      }
    } else {
      agents = (await ctx.operator().request<{ items: AgentRecord[] }>("GET", "/v1/agents")).items;
    }
    if (ctx.json) {
      ctx.printJson({ items: agents });
      return EXIT_CODES.ok;
    }
    const rows = agents.map((agent) => [
      printable(agent.id),
      agent.status === "active" ? ctx.style.green("active") : ctx.style.red("disabled"),
      printableOrEmpty(agent.name),
      printableOrEmpty(agent.owner),
      isoTime(agent.createdAt),
      printable(agent.jkt),
    ]);
    ctx.print(...formatTable(["AGENT", "STATUS", "NAME", "OWNER", "REGISTERED", "KEY THUMBPRINT"], rows));
    return EXIT_CODES.ok;
  },
};

export const agentsDisable: Command = {
  name: "agents disable",
  summary: "disable an agent for good and revoke every delegation it holds or made",
  usage: "<agent-id> [--reason <text>]",
  options: { reason: { type: "string" } },
  async run(ctx) {
    ctx.refuseDatabaseWrite("agents disable");
    const id = oneId(ctx, "agent id");
    const result = await ctx
      .operator()
      .disableAgent(id, ctx.string("reason") ?? "disabled with baton agents disable");
    if (ctx.json) ctx.printJson(result);
    else
      ctx.print(
        `disabled ${printable(id)}; revoked ${result.revoked.length} delegation(s)`,
        ...result.revoked.map((did) => `  ${printable(did)}`),
      );
    return EXIT_CODES.ok;
  },
};
