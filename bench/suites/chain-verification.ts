/**
 * The limit (one node:crypto Ed25519 verify of a token-sized message) and chain verification with
 * the verifier library at depths 1…16, cold and warm, with and without the revocation and proof
 * checks, each as a ratio to the pure signature cost.
 */
import { verify as verifyEd25519 } from "node:crypto";
import {
  createVerifier,
  memoryRevocations,
  ReplayCache,
  SignatureCache,
  staticKeys,
  verifyPresentation,
} from "@baton/verifier";
import {
  AUDIENCE,
  allLive,
  benchChain,
  DEFAULT_CALL,
  DEPTHS,
  freshProof,
  ISSUER,
  jwks,
  NOW,
  pureCoreEnvironment,
  REQUEST_URL,
  service,
} from "../lib/chains.ts";
import type { Section, TargetCheck } from "../lib/report.ts";
import {
  formatTime,
  measureAsync,
  measureSync,
  type Summary,
  TIMING_HEADERS,
  timingCells,
} from "../lib/stats.ts";

export interface ChainOptions {
  readonly quick: boolean;
}

/** The three check sets: signatures and links only, plus revocation, plus revocation and proof. */
export type Variant = "sig+links" | "+revocation" | "+revocation+proof";
const VARIANTS: readonly Variant[] = ["sig+links", "+revocation", "+revocation+proof"];

export interface ChainFigure {
  readonly depth: number;
  readonly variant: Variant;
  readonly cache: "cold" | "warm";
  /** Signature verifications a cold call does: depth, plus one for the proof when it is checked. */
  readonly signatures: number;
  readonly summary: Summary;
  /** The limit's median measured right before and right after this figure (the same round). */
  readonly roundLimitUs: number;
  /** Median cost ÷ (signatures × the limit's median of the same round). */
  readonly ratioToLimit: number;
}

export interface ChainResults {
  readonly limit: Summary;
  readonly limitMessageBytes: number;
  readonly figures: readonly ChainFigure[];
}

/** 10,000 revoked dids that none of the bench chains uses, so the lookups are real but all miss. */
function revocationSet() {
  const revocations = memoryRevocations();
  for (let i = 0; i < 10_000; i++) revocations.revoke(`revoked-${i.toString(36).padStart(22, "0")}`);
  return revocations;
}

/** Measures the limit: node:crypto Ed25519 verify of the signing input of a depth-5 leaf token. */
export function measureLimit(
  quick: boolean,
  samples = quick ? 2_000 : 20_000,
): { summary: Summary; bytes: number } {
  const leaf = benchChain(5).leaf.compact;
  const dot = leaf.lastIndexOf(".");
  const message = Buffer.from(leaf.slice(0, dot), "latin1");
  const signature = Buffer.from(leaf.slice(dot + 1), "base64url");
  const key = service.publicKey;
  const summary = measureSync(
    () => {
      if (!verifyEd25519(null, message, key, signature)) throw new Error("the limit's signature must verify");
    },
    { samples, warmup: Math.min(1_000, samples) },
  );
  return { summary, bytes: message.length };
}

export async function measureChains(options: ChainOptions): Promise<ChainResults> {
  const { summary: limit, bytes } = measureLimit(options.quick);
  const keys = staticKeys(jwks);
  const revocations = revocationSet();
  const figures: ChainFigure[] = [];
  const coldSamples = options.quick ? 60 : 600;
  const roundLimit = () => measureLimit(options.quick, options.quick ? 300 : 2_000).summary.medianUs;
  const warmSamples = options.quick ? 300 : 3_000;

  for (const depth of DEPTHS) {
    const chain = benchChain(depth);
    for (const variant of VARIANTS) {
      for (const cache of ["cold", "warm"] as const) {
        // The limit is measured again around every figure (limit, figure, limit, …), so that a
        // machine that slows down or speeds up moves both sides of the ratio alike.
        const before = roundLimit();
        const samples = cache === "cold" ? coldSamples : warmSamples;
        // Untimed calls first, enough for V8 to optimize the code as a long-running verifier has it
        // (the limit gets up to 1,000): a few dozen would time the interpreter instead.
        const warmup = Math.max(Math.floor(samples / 10), Math.ceil((options.quick ? 1_000 : 3_000) / depth));
        let summary: Summary;
        let denied = 0;
        if (variant === "+revocation+proof") {
          // The library as a tool server embeds it: createVerifier().verify, a fresh proof per call
          // (made before the timer starts), the signature cache emptied per call when cold.
          const verifier = createVerifier({
            issuer: ISSUER,
            audience: AUDIENCE,
            keys,
            revocations,
            clock: () => NOW,
            signatureCache: new SignatureCache(1_000),
            replayCache: new ReplayCache(1_000_000, 90),
          });
          summary = await measureAsync(
            async (proof: string) => {
              const decision = await verifier.verify({
                ...DEFAULT_CALL,
                chain: chain.chain,
                proof,
                method: "POST",
                url: REQUEST_URL,
                now: NOW,
              });
              if (decision.decision !== "allow") denied++;
            },
            {
              samples,
              warmup,
              prepare: () => {
                if (cache === "cold") verifier.signatureCache.clear();
                return freshProof(chain);
              },
            },
          );
        } else {
          // The pure core, without the proof check; "+revocation" asks a 10,000-entry revocation set.
          const signatureCache = new SignatureCache(1_000);
          const env = pureCoreEnvironment(
            signatureCache,
            variant === "+revocation"
              ? (hops) =>
                  hops.map(({ claims }) =>
                    revocations.isRevoked(claims.did)
                      ? { code: "revoked" as const, message: "revoked" }
                      : undefined,
                  )
              : allLive,
          );
          const presentation = { ...DEFAULT_CALL, chain: chain.chain, method: "POST", url: REQUEST_URL };
          summary = measureSync(
            () => {
              if (verifyPresentation(presentation, env).decision !== "allow") denied++;
            },
            { samples, warmup, prepare: () => (cache === "cold" ? signatureCache.clear() : undefined) },
          );
        }
        if (denied > 0) throw new Error(`depth ${depth} ${variant} ${cache}: ${denied} calls were denied`);
        const after = roundLimit();
        const roundLimitUs = (before + after) / 2;
        const signatures = depth + (variant === "+revocation+proof" ? 1 : 0);
        figures.push({
          depth,
          variant,
          cache,
          signatures,
          summary,
          roundLimitUs,
          ratioToLimit: summary.medianUs / (signatures * roundLimitUs),
        });
      }
    }
  }
  return { limit, limitMessageBytes: bytes, figures };
}

function find(results: ChainResults, depth: number, variant: Variant, cache: "cold" | "warm"): ChainFigure {
  const figure = results.figures.find((f) => f.depth === depth && f.variant === variant && f.cache === cache);
  if (figure === undefined) throw new Error(`no figure for depth ${depth} ${variant} ${cache}`);
  return figure;
}

/** The limit as its own section. */
export function limitSection(results: ChainResults): Section {
  return {
    id: "limit",
    title: "The limit: one Ed25519 verification",
    intro: `node:crypto \`verify(null, message, KeyObject, signature)\` of a ${results.limitMessageBytes}-byte signing input (a depth-5 leaf token's header.payload), one call at a time on one core. Every chain figure below is divided by this median.`,
    headers: ["figure", ...TIMING_HEADERS],
    rows: [["Ed25519 verify (node:crypto, cached KeyObject)", ...timingCells(results.limit)]],
    notes: [],
    targets: [],
    data: { limit: results.limit, messageBytes: results.limitMessageBytes },
  };
}

export function chainSection(results: ChainResults): Section {
  const rows = results.figures.map((f) => [
    String(f.depth),
    f.variant,
    f.cache,
    ...timingCells(f.summary),
    `${f.signatures} × ${formatTime(f.roundLimitUs)}`,
    `${f.ratioToLimit.toFixed(2)}×`,
  ]);
  const targets: TargetCheck[] = [];
  const coldMisses: string[] = [];
  for (const f of results.figures) {
    if (f.cache === "cold" && f.ratioToLimit > 1.3)
      coldMisses.push(`depth ${f.depth} ${f.variant}: ${f.ratioToLimit.toFixed(2)}×`);
  }
  for (const variant of VARIANTS) {
    const worst = results.figures
      .filter((f) => f.cache === "cold" && f.variant === variant)
      .reduce((a, b) => (b.ratioToLimit > a.ratioToLimit ? b : a));
    targets.push({
      target: `cold ≤ 1.3 × pure signature cost, every depth (${variant})`,
      measured: `worst ${worst.ratioToLimit.toFixed(2)}× at depth ${worst.depth}`,
      met: results.figures
        .filter((f) => f.cache === "cold" && f.variant === variant)
        .every((f) => f.ratioToLimit <= 1.3),
    });
  }
  for (const variant of VARIANTS) {
    const cold = find(results, 5, variant, "cold");
    const warm = find(results, 5, variant, "warm");
    const speedup = cold.summary.medianUs / warm.summary.medianUs;
    targets.push({
      target: `warm ≥ 3× faster than cold at depth 5 (${variant})`,
      measured: `${speedup.toFixed(1)}× (${formatTime(cold.summary.medianUs)} → ${formatTime(warm.summary.medianUs)})`,
      met: speedup >= 3,
    });
  }
  return {
    id: "chain",
    title: "Chain verification with the verifier library",
    intro:
      "Depth d = d tokens (root + d − 1 hops). sig+links: the pure core `verifyPresentation` with `skipProof` and every hop live (decode, Ed25519, strict claims, links, attenuation, time, scope). +revocation: the same, asking a 10,000-entry revocation set for every hop. +revocation+proof: `createVerifier(...).verify()` as a tool server runs it, with a fresh DPoP proof per call (minted outside the timer). Cold: the signature cache is emptied before each call (outside the timer); warm: ancestors cached by exact bytes. Every call is checked to be `allow`.",
    headers: ["depth", "checks", "cache", ...TIMING_HEADERS, "signature cost", "ratio"],
    rows,
    notes: [
      "ratio = median ÷ (k × the limit's median in the same round: measured right before and right after the figure, and averaged), where k = d signature verifications, plus 1 for the DPoP proof in the +revocation+proof variant. A warm call still verifies the proof, so its ratio is against the same k and shows how much of the cold cost the cache removed.",
      ...(coldMisses.length > 0
        ? [`Cold figures above 1.3×: ${coldMisses.join("; ")}. See the profile notes in bench/README.md.`]
        : []),
    ],
    targets,
    data: results,
  };
}
