/**
 * What a hop costs in bytes, with and without the Token Status List `status` claim (issue 17).
 * The tokens come from the real token service (createApp over an in-memory SQLite store, driven
 * in-process by the client SDK), so whatever the service puts in a token (its kid, its alg, the
 * claim's URI) is what is measured. Also: the signed status list itself, empty and with bits set.
 *
 *   node --conditions=source --import tsx bench/suites/hop-bytes.ts [--out=bench/results/hop-bytes.md]
 *
 * Reports (never asserts) whether a hop with three capabilities is within 1 KiB (DESIGN.md: "keep a
 * hop ≤ 1 KiB with three capabilities, so a depth-8 chain fits an 8 KiB header").
 */
import { writeFileSync } from "node:fs";
import { AgentKeyPair, BatonAgent, BatonOperator } from "@baton/client";
import { createApp, loadConfig, prepareStore } from "@baton/service";
import { STATUS_LIST_SIZE } from "@baton/store";
import { openSqliteStore } from "@baton/store-sqlite";
import { compressStatusList, packStatusBits } from "@baton/token";
import pino from "pino";

/** A public issuer of ordinary length: the status claim's URI repeats it in every token. */
const ISSUER = "https://baton.example.com";
const OPERATOR_TOKEN = "bench-operator-token-0123456789abcdef";
const NOW = 1_767_225_600;
const DEPTH = 8;
const HOP_LIMIT = 1024;

type Caps = { act: string; res: string; lim?: Record<string, { max: number }> }[];

/** Capability sets measured: one, three plain ones, three with one argument limit. */
const CAP_SETS: readonly (readonly [string, Caps, boolean])[] = [
  ["1 capability", [{ act: "repo.issues.read", res: "repo:acme/web/**" }], false],
  [
    "3 capabilities",
    [
      { act: "repo.issues.read", res: "repo:acme/web/**" },
      { act: "repo.issues.comment", res: "repo:acme/web/**" },
      { act: "repo.pulls.read", res: "repo:acme/web/**" },
    ],
    true,
  ],
  [
    "3 capabilities, longer, one limit",
    [
      { act: "github.issues.create", res: "repo:acme/web/issues/**" },
      { act: "github.issues.comment", res: "repo:acme/web/issues/**" },
      { act: "payments.refund", res: "account:acme/billing/**", lim: { amount: { max: 100 } } },
    ],
    false,
  ],
];

interface ChainBytes {
  /** Bytes of each token, root first. */
  readonly tokens: number[];
  /**
   * Bytes of each token had its status entry been the widest a list gives (index 65,535; a fresh
   * service hands out indexes 0, 1, 2 …, and most tokens of a busy one carry five digits).
   */
  readonly widestIndexTokens: number[];
  /** The `kid` of the hops' protected header. */
  readonly kid: string;
  /** The protected header of the hops, as issued (base64url characters). */
  readonly headerPart: number;
  /** `Authorization: DPoP <chain>` as a header line, in bytes. */
  readonly header: number;
}

/** Issues a root grant and DEPTH - 1 hops, each carrying `caps`, from a fresh in-process service. */
async function issueChain(statusLists: boolean, caps: Caps): Promise<ChainBytes> {
  const config = loadConfig({
    BATON_DB: ":memory:",
    BATON_OPERATOR_TOKEN: OPERATOR_TOKEN,
    BATON_STATUS_LISTS: statusLists ? "on" : "off",
    BATON_ISSUER: ISSUER,
    BATON_LOG_LEVEL: "silent",
  });
  const store = openSqliteStore({ path: ":memory:" });
  try {
    const { signingKeys } = await prepareStore(store, config, NOW);
    const app = createApp({
      store,
      config: { ...config, issuer: ISSUER },
      clock: () => NOW,
      signingKeys,
      logger: pino({ level: "silent" }),
    });
    const inProcess: typeof fetch = async (input, init) => app.request(input, init);
    const operator = new BatonOperator({ serviceUrl: ISSUER, token: OPERATOR_TOKEN, fetch: inProcess });
    const names = Array.from({ length: DEPTH }, (_, i) => `agent:worker-${i}`);
    const keys: AgentKeyPair[] = [];
    for (const id of names) {
      const key = await AgentKeyPair.generate();
      keys.push(key);
      await operator.registerAgent({ id, jwk: key.publicJwk });
    }
    await operator.registerAudience({ id: "github-tools" });
    const granted = await operator.grant({
      agent: names[0] as string,
      task: { intent: "triage and refund" },
      cap: caps,
      aud: ["github-tools"],
      mdp: DEPTH,
    });
    let chain = granted.chain;
    for (let i = 1; i < DEPTH; i++) {
      const holder = new BatonAgent({
        id: names[i - 1] as string,
        key: keys[i - 1] as AgentKeyPair,
        chain,
        serviceUrl: ISSUER,
        fetch: inProcess,
        clock: () => NOW,
      });
      chain = (await holder.delegate({ to: names[i] as string, cap: caps })).chain;
    }
    const parts = chain.split("~");
    const tokens = parts.map((token) => new TextEncoder().encode(token).byteLength);
    const widestIndexTokens = parts.map((token) => {
      const [header, payload, signature] = token.split(".") as [string, string, string];
      const json = Buffer.from(payload, "base64url")
        .toString()
        .replace(/"idx":\d+/, `"idx":${STATUS_LIST_SIZE - 1}`);
      return `${header}.${Buffer.from(json).toString("base64url")}.${signature}`.length;
    });
    const headerPart = (parts[1] ?? "").indexOf(".");
    const kid = (
      JSON.parse(Buffer.from((parts[1] ?? "").slice(0, headerPart), "base64url").toString()) as {
        kid: string;
      }
    ).kid;
    return { tokens, widestIndexTokens, kid, headerPart, header: `Authorization: DPoP ${chain}`.length };
  } finally {
    await store.close();
  }
}

/** A signed-list payload size: the `lst` of `size` entries with `set` of them set at random. */
async function lstBytes(size: number, set: number): Promise<number> {
  const indexes = new Set<number>();
  while (indexes.size < set) indexes.add(Math.floor(Math.random() * size));
  return (await compressStatusList(packStatusBits(size, indexes))).length;
}

/** Measures and renders the bytes table, saying whether a three-capability hop is within 1 KiB. */
export async function measureHopBytes(): Promise<string> {
  const rows: string[] = [];
  let worstThreeCapHop = 0;
  let widestIndexThreeCapHop = 0;
  let headerPart = 0;
  let kid = "";
  for (const [label, caps, bounded] of CAP_SETS) {
    const without = await issueChain(false, caps);
    const withStatus = await issueChain(true, caps);
    const hop = (bytes: ChainBytes) => median(bytes.tokens.slice(1));
    if (bounded) {
      worstThreeCapHop = Math.max(...withStatus.tokens.slice(1));
      widestIndexThreeCapHop = Math.max(...withStatus.widestIndexTokens.slice(1));
    }
    headerPart = withStatus.headerPart;
    kid = withStatus.kid;
    const widest = median(withStatus.widestIndexTokens.slice(1));
    rows.push(
      `| ${label} | ${hop(without)} | ${hop(withStatus)} | ${widest} | +${widest - hop(without)} | ${without.header} | ${withStatus.header} |`,
    );
  }
  const lists: string[] = [];
  for (const [label, set] of [
    ["empty", 0],
    ["100 set (0.15 %)", 100],
    ["6,554 set (10 %)", 6554],
    ["32,768 set (50 %)", 32_768],
  ] as const) {
    lists.push(`| ${label} | ${await lstBytes(65_536, set)} |`);
  }
  const ok = widestIndexThreeCapHop <= HOP_LIMIT;
  const markdown = [
    "## Hop bytes, with and without the status claim",
    "",
    `Tokens issued by the token service itself (issuer \`${ISSUER}\`, audience \`github-tools\`, agent ids \`agent:worker-N\`, generated task ids): a root grant and ${DEPTH - 1} hops, each hop with the same capabilities as its parent. The status claim is \`{"status_list":{"idx":N,"uri":"${ISSUER}/v1/status-lists/0"}}\`. Every hop's protected header is \`{"alg":"Ed25519","typ":"baton+jwt","kid":"${kid}"}\` (a kid of ${kid.length} characters): ${headerPart} base64url characters. A fresh service numbers its status entries from 0, so the hops measured carry a one-digit \`idx\`; "hop + status, widest idx" is the same hop re-encoded with idx ${STATUS_LIST_SIZE - 1}, as most tokens of a busy service carry (same header and signature lengths: only the payload's length changes).`,
    "",
    "| capabilities | hop (B) | hop + status (B) | hop + status, widest idx (B) | status costs (widest) | depth-8 header (B) | depth-8 header + status (B) |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Largest hop with three (plain) capabilities and the status claim: **${widestIndexThreeCapHop} B** at the widest idx, ${worstThreeCapHop} B as issued here (limit ${HOP_LIMIT} B): ${ok ? "within" : "OVER"} the limit.`,
    "",
    "## A signed status list (65,536 entries, 1 bit each)",
    "",
    "`lst` length in characters for a list with that many entries set at random (a served list adds its header, the other claims and a signature: about 250 B more).",
    "",
    "| entries set | lst (characters) |",
    "|---|---:|",
    ...lists,
    "",
  ].join("\n");
  return markdown;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv.find((arg) => arg.startsWith("--out="))?.slice("--out=".length);
  const markdown = await measureHopBytes();
  process.stdout.write(`${markdown}\n`);
  if (out !== undefined) writeFileSync(out, `${markdown}\n`);
}
