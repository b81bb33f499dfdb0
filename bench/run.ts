/**
 * `pnpm bench`: runs every figure and writes bench/results/latest.md and latest.json.
 *
 *   pnpm bench                      # full run (a few minutes; seeds a 1M-delegation graph)
 *   pnpm bench --quick              # smoke test (< 60 s): few samples, 10k graph only
 *   pnpm bench --only=chain,peers   # some sections: limit/chain, peers, policy, service, graph
 *   pnpm bench --graph-sizes=10000,100000 --cascade-sizes=1000,10000
 *   pnpm bench --out=bench/results/other   # write other.md / other.json instead of latest.*
 *   pnpm bench --postgres=postgres://…      # also the service and graph figures on PostgreSQL
 *                                           # (or BATON_BENCH_POSTGRES_URL; a role that may CREATE DATABASE)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { describePostgres, serverVersion } from "./lib/postgres.ts";
import { machineInfo, type RunReport, renderMarkdown, type Section } from "./lib/report.ts";
import { chainSection, limitSection, measureChains } from "./suites/chain-verification.ts";
import { fiveHopFloorSection, measureFiveHopFloor } from "./suites/five-hop-floor.ts";
import { graphSection, measureCascades, measureWalks } from "./suites/graph.ts";
import { measurePeers, peersSection } from "./suites/peers.ts";
import { measurePolicy, policySection } from "./suites/policy.ts";
import { measureService, serviceSection } from "./suites/service-http.ts";

const SECTIONS = ["chain", "peers", "policy", "service", "graph"] as const;
type SectionName = (typeof SECTIONS)[number];

interface Options {
  readonly quick: boolean;
  readonly only: ReadonlySet<SectionName>;
  readonly graphSizes: readonly number[];
  readonly cascadeSizes: readonly number[];
  readonly out: string;
  /** A PostgreSQL server to measure beside SQLite (a role that may CREATE DATABASE). */
  readonly postgresUrl: string | undefined;
}

function parseSizes(value: string, flag: string): number[] {
  const sizes = value.split(",").map((part) => Number(part.replaceAll("_", "")));
  if (sizes.some((size) => !Number.isSafeInteger(size) || size < 1))
    throw new Error(`${flag}: expected positive integers`);
  return sizes;
}

function parseArgs(argv: readonly string[]): Options {
  const quick = argv.includes("--quick");
  const value = (flag: string) => argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  const only = value("--only");
  const selected = only === undefined ? [...SECTIONS] : only.split(",");
  for (const name of selected) {
    if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: unknown section ${name}`);
  }
  for (const arg of argv) {
    if (!["--quick"].includes(arg) && !/^--(only|graph-sizes|cascade-sizes|out|postgres)=/.test(arg)) {
      throw new Error(`unknown argument ${arg}`);
    }
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  return {
    quick,
    only: new Set(selected as SectionName[]),
    graphSizes: parseSizes(
      value("--graph-sizes") ?? (quick ? "10000" : "10000,100000,1000000"),
      "--graph-sizes",
    ),
    cascadeSizes: parseSizes(
      value("--cascade-sizes") ?? (quick ? "1000,10000" : "1000,10000,100000"),
      "--cascade-sizes",
    ),
    out: path.resolve(value("--out") ?? path.join(here, "results", "latest")),
    postgresUrl: value("--postgres") ?? (process.env.BATON_BENCH_POSTGRES_URL || undefined),
  };
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const machine = machineInfo();
  const sections: Section[] = [];
  const skipped: string[] = [];
  log(
    `${options.quick ? "quick" : "full"} run on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}`,
  );
  const { postgresUrl } = options;
  let postgres: string | undefined;
  if (postgresUrl !== undefined) {
    postgres = `${await serverVersion(postgresUrl)} at ${describePostgres(postgresUrl)}`;
    log(`PostgreSQL ${postgres}`);
  } else if (options.only.has("service") || options.only.has("graph")) {
    skipped.push(
      "PostgreSQL figures (service, graph): no server given; pass `--postgres=URL` or set `BATON_BENCH_POSTGRES_URL` (a role that may CREATE DATABASE; `scripts/postgres-ci.sh` starts one).",
    );
  }

  let chains: Awaited<ReturnType<typeof measureChains>> | undefined;
  if (options.only.has("chain") || options.only.has("peers")) {
    log("limit and chain verification…");
    chains = await measureChains({ quick: options.quick });
    sections.push(limitSection(chains));
    if (options.only.has("chain")) {
      sections.push(chainSection(chains));
      log("the cold 5-hop chain beside its floor (interleaved)…");
      sections.push(fiveHopFloorSection(measureFiveHopFloor(options.quick)));
    }
  }
  if (options.only.has("peers") && chains !== undefined) {
    log("peers (jose, Biscuit, ucanto)…");
    const peers = await measurePeers(options.quick);
    const at5 = (variant: string) =>
      chains?.figures.find((f) => f.depth === 5 && f.cache === "cold" && f.variant === variant);
    const reference = [at5("sig+links"), at5("+revocation+proof")].flatMap((f) =>
      f === undefined
        ? []
        : [{ label: `Baton depth 5, cold, ${f.variant}`, summary: f.summary, signatures: f.signatures }],
    );
    sections.push(peersSection(peers, reference, chains.limit.medianUs));
    for (const peer of peers) if (peer.summary === undefined) skipped.push(`${peer.name}: ${peer.error}`);
  }
  if (options.only.has("policy")) {
    log("policy evaluation…");
    sections.push(policySection(measurePolicy(options.quick)));
  }
  if (options.only.has("service")) {
    log("service over HTTP (child process + autocannon)…");
    sections.push(serviceSection(await measureService(options.quick, postgresUrl, log)));
  }
  if (options.only.has("graph")) {
    const walks = await measureWalks(options.graphSizes, options.quick, { postgresUrl }, log);
    const cascades = await measureCascades(options.cascadeSizes, options.quick, { postgresUrl }, log);
    sections.push(graphSection(walks, cascades));
  }

  const report: RunReport = {
    date: new Date().toISOString(),
    mode: options.quick ? "quick" : "full",
    durationSeconds: (performance.now() - started) / 1000,
    machine,
    loadAverageAtEnd: machineInfo().loadAverage,
    // The command as typed, with a --postgres URL's password hidden.
    command: `pnpm bench ${process.argv
      .slice(2)
      .map((a) => (a.startsWith("--postgres=") ? `--postgres=${describePostgres(a.slice(11))}` : a))
      .join(" ")}`.trim(),
    postgres,
    sections,
    skipped,
  };
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(`${options.out}.md`, renderMarkdown(report));
  writeFileSync(`${options.out}.json`, `${JSON.stringify(report, null, 2)}\n`);
  log(
    `wrote ${path.relative(process.cwd(), options.out)}.md and .json in ${report.durationSeconds.toFixed(0)} s`,
  );
}

await main();
