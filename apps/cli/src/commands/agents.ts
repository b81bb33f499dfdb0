/** `baton agents add|list|disable`: register, list and shut out agents. */
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { AgentKeyPair } from "@baton/client";
import type { AgentRecord } from "@baton/store";
import type { Ed25519PublicJwk } from "@baton/token";
import { CliError, usageError } from "../cli-error.ts";
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

/** Refuses, before anything is registered, a key file that exists or could not be created. */
function checkKeyFileWritable(given: string, file: string): void {
  if (existsSync(file)) {
    throw usageError(
      `--generate-key ${given}: the file already exists and is never overwritten; register the key it holds with --jwk ${given}, or name a new file`,
    );
  }
  const dir = dirname(file);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw usageError(
      `--generate-key ${given}: cannot create a file in ${dir} (missing or not writable); create the directory with \`mkdir -p ${dir}\`, or name another file`,
    );
  }
}

/**
 * Writes the agent's private JWK, owner-only. `wx` still refuses a file that appeared since the
 * check before registering: the agent is registered by then, so the message says how to recover.
 */
function writePrivateKey(file: string, pair: AgentKeyPair, agent: string): void {
  try {
    writeFileSync(file, `${JSON.stringify(pair.toPrivateJwk())}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    throw new CliError(
      "key_not_written",
      `registered ${agent}, but could not write its private key to ${file} (${(error as Error).message}); the key is lost: disable the agent with \`baton agents disable ${agent}\` and register a new one`,
      EXIT_CODES.refused,
    );
  }
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
    "--generate-key makes a new key pair, registers it, then writes the private JWK to <file> (mode 600);",
    "  an existing <file> is refused before anything is sent, so a refused registration can be run again.",
  ],
  async run(ctx) {
    ctx.refuseDatabaseWrite("agents add");
    const id = oneId(ctx, "agent id (agent:name or a SPIFFE ID)");
    const jwkFile = ctx.string("jwk");
    const generateFile = ctx.string("generate-key");
    if ((jwkFile === undefined) === (generateFile === undefined)) {
      throw usageError("give exactly one of --jwk <file> or --generate-key <file>");
    }
    // The private key is written only once the service has accepted the agent, so a refused
    // registration leaves no file behind and the same command can simply be run again.
    let pair: AgentKeyPair | undefined;
    let keyFile: string | undefined;
    let jwk: Ed25519PublicJwk;
    if (generateFile !== undefined) {
      keyFile = ctx.path(generateFile);
      checkKeyFileWritable(generateFile, keyFile);
      pair = await AgentKeyPair.generate();
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
    if (pair !== undefined && keyFile !== undefined) writePrivateKey(keyFile, pair, registered.id);
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
      const store = await ctx.openDatabase();
      try {
        agents = await store.listAgents();
      } finally {
        await store.close();
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
