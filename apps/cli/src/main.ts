#!/usr/bin/env node
/**
 * `baton`: the command for operators and investigators. For now it has the in-memory demo; the
 * service-backed commands arrive with the token service.
 */
import { runInMemoryDemo } from "./in-memory-demo.ts";

const USAGE = `usage: baton <command>

commands:
  demo     mint a root grant and a two-hop chain in memory, verify it, and print each hop
  help     show this help`;

async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case "demo": {
      const failures = await runInMemoryDemo((line) => process.stdout.write(`${line}\n`));
      return failures === 0 ? 0 : 1;
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`baton: unknown command ${JSON.stringify(command)}\n${USAGE}\n`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
