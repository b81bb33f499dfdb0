/**
 * `baton inspect <chain|->`: decode every hop of a chain, say what narrowed at each hop, and
 * re-authorize the chain offline against the service's JWKS (a file or a URL), printing the
 * decision and its reasons. With `--revocations` (or `--url`), the revocation feed is read too.
 */
import { readFileSync } from "node:fs";
import {
  type ChainToken,
  DEFAULT_MAX_CHAIN_LENGTH,
  DEFAULT_MAX_TOKEN_BYTES,
  decodeChain,
  decodeToken,
  isChainScheme,
  type KeyResolver,
  parseAuthorization,
  parseTokenPayload,
  type TokenHeader,
} from "@baton/token";
import { authenticateChain, followRevocationFeed, type Reason, staticKeys } from "@baton/verifier";
import { describeNarrowing } from "../chain-narrowing.ts";
import { CliError, usageError } from "../cli-error.ts";
import type { Command } from "../command.ts";
import type { CommandContext } from "../command-context.ts";
import { describeCapabilities, isoTime, relativeTime } from "../describe.ts";
import { EXIT_CODES } from "../exit-codes.ts";
import { printable } from "../printable.ts";
import { batonCommand } from "../self-command.ts";

async function readChain(ctx: CommandContext): Promise<string> {
  const [given, ...rest] = ctx.args.positionals;
  if (given === undefined || rest.length > 0)
    throw usageError("give one chain (t0~t1~…), or - to read it from stdin");
  let text = given;
  if (given === "-") {
    if (ctx.io.readStdin === undefined) throw usageError("no standard input to read the chain from");
    // On a terminal nothing was piped in: reading would wait for a paste the user did not plan.
    if (ctx.io.stdinIsTTY === true) {
      const cmd = batonCommand(ctx.io.cwd);
      throw usageError(
        `\`inspect -\` reads the chain from standard input, and that is a terminal: pipe the chain in, e.g. \`node -p "require('./grant.json').chain" | ${cmd} inspect - --url <service>\` (after \`${cmd} grant … --json > grant.json\`), or give the chain itself instead of -`,
      );
    }
    text = await ctx.io.readStdin();
    if (text.trim() === "")
      throw usageError("standard input was empty: pipe a chain (t0~t1~…) into `inspect -`");
  }
  // Accept a pasted header value (read by the one Authorization parser) as well as the bare chain.
  const value = text.trim().replace(/^authorization:\s*/i, "");
  const header = parseAuthorization(value);
  return header.ok && isChainScheme(header.value.scheme) ? header.value.credentials : value;
}

async function loadJwks(ctx: CommandContext, where: string): Promise<unknown> {
  if (/^https?:\/\//.test(where)) {
    let response: Response;
    try {
      response = await (ctx.io.fetch ?? fetch)(where);
    } catch {
      throw new CliError("unreachable", `could not fetch the JWKS at ${where}`, EXIT_CODES.unavailable);
    }
    if (!response.ok)
      throw new CliError("unreachable", `${where} answered ${response.status}`, EXIT_CODES.unavailable);
    return response.json();
  }
  try {
    return JSON.parse(readFileSync(ctx.path(where), "utf8"));
  } catch (error) {
    throw usageError(`--jwks ${where}: could not read a JSON JWKS (${(error as Error).message})`);
  }
}

function parseAt(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (/^\d{1,12}$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw usageError("--at must be seconds since the epoch or an ISO-8601 time");
  return Math.floor(ms / 1000);
}

/** The delegation ids among `hops` that the service's revocation feed lists as revoked. */
async function revokedAmong(
  ctx: CommandContext,
  feedUrl: string,
  hops: readonly DecodedHop[],
): Promise<string[]> {
  const feed = followRevocationFeed({
    url: feedUrl,
    ...(ctx.io.fetch === undefined ? {} : { fetch: ctx.io.fetch }),
  });
  try {
    await feed.syncOnce();
  } catch (error) {
    throw new CliError(
      "unreachable",
      `could not read the revocation feed at ${feedUrl}: ${(error as Error).message}`,
      EXIT_CODES.unavailable,
    );
  }
  return hops.flatMap((hop) =>
    hop.claims !== undefined && feed.isRevoked(hop.claims.did) ? [hop.claims.did] : [],
  );
}

interface DecodedHop {
  readonly hop: number;
  readonly bytes: number;
  readonly header?: TokenHeader;
  readonly claims?: ChainToken["claims"];
  readonly error?: { code: string; message: string };
}

export const inspect: Command = {
  name: "inspect",
  summary: "decode a chain hop by hop, show what narrowed, and verify it offline against a JWKS",
  usage:
    "<chain|-> [--jwks <file|url>] [--revocations <url>] [--url <service>] [--issuer <url>] [--at <time>]",
  options: {
    jwks: { type: "string" },
    revocations: { type: "string" },
    issuer: { type: "string" },
    at: { type: "string" },
    skew: { type: "string" },
  },
  help: [
    "--url <service> is short for --jwks <service>/.well-known/jwks.json --revocations <service>/v1/revocations.",
    "Without --jwks, signatures are not checked: only links, attenuation, issuer and time (exit 0 unless those fail).",
    "--issuer defaults to the root token's iss; --at (seconds or ISO-8601) checks the chain at another time.",
    "Exit code 1 when the chain is denied.",
  ],
  async run(ctx) {
    const text = await readChain(ctx);
    const url = ctx.string("url")?.replace(/\/+$/, "");
    const jwksWhere = ctx.string("jwks") ?? (url === undefined ? undefined : `${url}/.well-known/jwks.json`);
    const feedUrl = ctx.string("revocations") ?? (url === undefined ? undefined : `${url}/v1/revocations`);
    const now = parseAt(ctx.string("at"), ctx.now());
    const skew = ctx.integer("skew", 0, 600) ?? 30;
    const { style } = ctx;

    const split = decodeChain(text);
    const hops: DecodedHop[] = [];
    if (split.ok) {
      for (const [hop, compact] of split.value.entries()) {
        const decoded = decodeToken(compact);
        if (!decoded.ok) {
          hops.push({ hop, bytes: compact.length, error: decoded.error.toJSON() });
          continue;
        }
        const claims = parseTokenPayload(decoded.value);
        hops.push(
          claims.ok
            ? { hop, bytes: compact.length, header: decoded.value.header, claims: claims.value }
            : { hop, bytes: compact.length, header: decoded.value.header, error: claims.error.toJSON() },
        );
      }
    }

    let reasons: Reason[];
    let verified: "signatures" | "structure";
    let revocationsChecked = false;
    if (!split.ok) {
      reasons = [{ hop: split.error.hop ?? null, code: split.error.code, message: split.error.message }];
      verified = "structure";
    } else {
      // One walker for both modes: the verifier's own, with the library's limits. Without a JWKS
      // it runs structure-only (signatures unchecked, every other rule applied).
      let resolveKey: KeyResolver = () => undefined;
      const revoked = new Set<string>();
      if (jwksWhere !== undefined) {
        let keys: ReturnType<typeof staticKeys>;
        try {
          keys = staticKeys(await loadJwks(ctx, jwksWhere));
        } catch (error) {
          if (error instanceof CliError) throw error;
          throw usageError(`${jwksWhere} is not a valid JWKS: ${(error as Error).message}`);
        }
        resolveKey = (kid) => keys.resolve(kid);
        if (feedUrl !== undefined) {
          for (const did of await revokedAmong(ctx, feedUrl, hops)) revoked.add(did);
          revocationsChecked = true;
        }
      }
      const result = authenticateChain(text, {
        now,
        issuer: ctx.string("issuer") ?? hops[0]?.claims?.iss ?? "",
        resolveKey,
        signatures: jwksWhere === undefined ? "unchecked" : "verify",
        status: (walked) =>
          walked.map(({ claims }) =>
            revoked.has(claims.did)
              ? { code: "revoked" as const, message: `delegation ${claims.did} is revoked` }
              : undefined,
          ),
        clockSkewSeconds: skew,
        maxChainLength: DEFAULT_MAX_CHAIN_LENGTH,
        maxTokenBytes: DEFAULT_MAX_TOKEN_BYTES,
      });
      reasons = result.ok ? [] : [...result.reasons];
      verified = jwksWhere === undefined ? "structure" : "signatures";
    }
    const decision = reasons.length === 0 ? "allow" : "deny";
    // Offline inspection checks no DPoP proof: the actor is only what the leaf claims.
    const actor = { agent: hops.at(-1)?.claims?.sub ?? null, proven: false };

    if (ctx.json) {
      ctx.printJson({
        hops: hops.map((h, i) => {
          const parent = hops[i - 1]?.claims;
          return {
            ...h,
            narrowing:
              parent === undefined || h.claims === undefined ? [] : describeNarrowing(parent, h.claims),
          };
        }),
        verification: { checked: verified, revocationsChecked, at: now, decision, reasons, actor },
      });
      return decision === "allow" ? EXIT_CODES.ok : EXIT_CODES.failed;
    }

    ctx.print(`${hops.length} token(s), ${text.length} bytes`);
    for (const [i, h] of hops.entries()) {
      const c = h.claims;
      if (c === undefined) {
        ctx.print(`hop ${h.hop}: ${style.red(printable(`${h.error?.code}: ${h.error?.message}`))}`);
        continue;
      }
      ctx.print(
        `${style.bold(`hop ${h.hop}`)}: ${printable(c.dlg ?? "operator")} → ${style.bold(printable(c.sub))}  ${style.dim(printable(`did ${c.did} · jti ${c.jti} · kid ${h.header?.kid} · ${h.bytes} bytes`))}`,
        `   can: ${describeCapabilities(c.cap)}`,
        `   for: ${printable(c.aud.join(", "))}   task ${printable(c.tsk)}`,
        `   expires ${isoTime(c.exp)} (${relativeTime(c.exp, now)}), revalidate by ${isoTime(c.rvl)} (${relativeTime(c.rvl, now)}), may delegate ${c.mdp} more`,
      );
      const parent = hops[i - 1]?.claims;
      if (parent !== undefined) {
        for (const change of describeNarrowing(parent, c)) {
          ctx.print(`   ${change.widening ? style.red(`✗ ${change.text}`) : `↓ ${change.text}`}`);
        }
      }
    }
    const checked =
      verified === "signatures"
        ? `signatures checked against ${jwksWhere}; revocations ${revocationsChecked ? `checked against ${feedUrl}` : "not checked (pass --revocations or --url)"}`
        : jwksWhere === undefined
          ? "signatures NOT checked (pass --jwks <file|url> or --url)"
          : "signatures NOT checked: the chain could not be split into tokens";
    ctx.print("", style.dim(`${checked}; at ${isoTime(now)}`));
    ctx.print(`actor: ${printable(actor.agent ?? "-")} (unproven: inspect checks no DPoP proof)`);
    if (decision === "allow")
      ctx.print(style.green(`decision: allow${verified === "structure" ? " (structure only)" : ""}`));
    else {
      ctx.print(style.red("decision: deny"));
      for (const reason of reasons)
        ctx.print(
          `  ${style.bold(printable(reason.code))}${reason.hop === null ? "" : ` at hop ${reason.hop}`}: ${printable(reason.message)}`,
        );
    }
    return decision === "allow" ? EXIT_CODES.ok : EXIT_CODES.failed;
  },
};
