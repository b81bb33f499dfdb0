/**
 * Writes Baton's conformance vectors: `pnpm vectors` (to vectors/baton-vectors.json) or
 * `tsx --conditions=source vectors/generate.ts <file>`. Keys, ids, clock and proofs are fixed, and
 * Ed25519 signatures are deterministic, so every run writes the same bytes.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildVectorFile } from "./vector-file.ts";

const defaultTarget = path.join(path.dirname(fileURLToPath(import.meta.url)), "baton-vectors.json");
const target = path.resolve(process.argv[2] ?? defaultTarget);
const text = await buildVectorFile();
writeFileSync(target, text);
process.stdout.write(`wrote ${target} (${Buffer.byteLength(text)} bytes)\n`);
