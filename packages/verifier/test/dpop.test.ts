/**
 * DPoP proof checks (RFC 9449) below the verifier: htu normalization, and the shape limits of a
 * proof. Every refusal is `pop_invalid`, and a refused proof never consumes its id.
 */

import { sha256Base64url } from "@baton/token";
import { describe, expect, it } from "vitest";
import { checkProof, normalizeHtu, type ProofExpectation } from "../src/dpop.ts";
import { ReplayCache } from "../src/replay-cache.ts";
import { carol, makeProof, NOW, type RawClaims, REQUEST_URL, randomId, signCompact } from "./fixtures.ts";

const CHAIN = "t0.t0.t0~t1.t1.t1";

function expectation(proof: string | undefined, replayCache = new ReplayCache(100, 90)): ProofExpectation {
  return {
    proof,
    method: "POST",
    url: REQUEST_URL,
    chain: CHAIN,
    thumbprint: carol.thumbprint,
    now: NOW,
    maxAgeSeconds: 60,
    skewSeconds: 30,
    replayCache,
    hop: 1,
  };
}

const codes = (proof: string | undefined, cache?: ReplayCache) =>
  checkProof(expectation(proof, cache)).map((reason) => [reason.hop, reason.code]);

describe("normalizeHtu", () => {
  it("lowercases scheme and host, drops the default port, query and fragment, resolves dot segments", () => {
    expect(normalizeHtu("HTTPS://Tools.Test:443/a/./b/../c?x=1#f")).toBe("https://tools.test/a/c");
    expect(normalizeHtu("http://tools.test:80/")).toBe("http://tools.test/");
    expect(normalizeHtu("http://tools.test:8080/x")).toBe("http://tools.test:8080/x");
  });

  it("refuses anything but an absolute http(s) URL", () => {
    for (const url of ["/relative", "ftp://tools.test/x", "javascript:alert(1)", "not a url", ""]) {
      expect(normalizeHtu(url)).toBeUndefined();
    }
  });
});

describe("checkProof", () => {
  it("accepts a good proof once", () => {
    const cache = new ReplayCache(100, 90);
    const proof = makeProof({ key: carol, chain: CHAIN });
    expect(codes(proof, cache)).toEqual([]);
    expect(codes(proof, cache)).toEqual([[1, "pop_replayed"]]);
  });

  /** @see issue 17: RFC 9864 names the algorithm Ed25519 and deprecates EdDSA; proofs may say either. */
  it("accepts a proof whose alg is Ed25519 or the deprecated EdDSA, with an OKP Ed25519 jwk", () => {
    for (const alg of ["Ed25519", "EdDSA"]) {
      expect(codes(makeProof({ key: carol, chain: CHAIN, header: { alg } })), alg).toEqual([]);
    }
  });

  it("refuses proofs of the wrong shape (pop_invalid)", () => {
    const variants: { claims?: RawClaims; header?: RawClaims }[] = [
      { claims: { jti: "short" } },
      { claims: { jti: 42 } },
      { claims: { jti: undefined } },
      { claims: { iat: NOW + 0.5 } },
      { claims: { iat: String(NOW) } },
      { claims: { iat: undefined } },
      { claims: { htm: undefined } },
      { claims: { htu: undefined } },
      { claims: { htu: "/repos/acme/web/issues" } },
      { claims: { extra: true } },
      { claims: { ath: 42 } },
      { header: { typ: "DPOP+JWT" } },
      { header: { x5c: ["AAAA"] } },
      { header: { alg: "ES256" } },
      { header: { alg: "ed25519" } },
      { header: { alg: "none" } },
      { header: { alg: undefined } },
    ];
    for (const variant of variants) {
      const proof = makeProof({ key: carol, chain: CHAIN, ...variant });
      expect(codes(proof), JSON.stringify(variant)).toEqual([[1, "pop_invalid"]]);
    }
  });

  it("refuses text that is not a compact JWS, or an oversized one (pop_invalid)", () => {
    const good = makeProof({ key: carol, chain: CHAIN });
    const huge = makeProof({ key: carol, chain: CHAIN, claims: { nonce: "n".repeat(2048) } });
    for (const proof of ["x", "a.b", `${good}.x`, `${good}=`, huge, good.replace(".", ". ")]) {
      expect(codes(proof)).toEqual([[1, "pop_invalid"]]);
    }
  });

  it("refuses a signed proof whose header or payload starts with a byte-order mark, as a token would be (pop_invalid)", () => {
    const header = JSON.stringify({ typ: "dpop+jwt", alg: "Ed25519", jwk: carol.jwk });
    const claims = () =>
      JSON.stringify({
        jti: randomId(),
        htm: "POST",
        htu: REQUEST_URL,
        iat: NOW,
        ath: sha256Base64url(CHAIN),
      });
    expect(codes(signCompact(header, claims(), carol.privateKey))).toEqual([]);
    expect(codes(signCompact(`\uFEFF${header}`, claims(), carol.privateKey))).toEqual([[1, "pop_invalid"]]);
    expect(codes(signCompact(header, `\uFEFF${claims()}`, carol.privateKey))).toEqual([[1, "pop_invalid"]]);
  });

  it("refuses a proof whose jwk carries more than kty, crv and x, even members an agent key may have (pop_invalid)", () => {
    const claims = () =>
      JSON.stringify({
        jti: randomId(),
        htm: "POST",
        htu: REQUEST_URL,
        iat: NOW,
        ath: sha256Base64url(CHAIN),
      });
    for (const extra of [
      { kid: "k1" },
      { alg: "Ed25519" },
      { use: "sig" },
      { d: carol.jwk.x },
      { ext: true },
    ]) {
      const header = JSON.stringify({ typ: "dpop+jwt", alg: "Ed25519", jwk: { ...carol.jwk, ...extra } });
      expect(codes(signCompact(header, claims(), carol.privateKey))).toEqual([[1, "pop_invalid"]]);
    }
  });

  it("refuses a signed proof whose header or payload repeats a member (pop_invalid)", () => {
    const jwk = JSON.stringify(carol.jwk);
    const header = `{"typ":"dpop+jwt","alg":"Ed25519","alg":"Ed25519","jwk":${jwk}}`;
    const claims = `{"jti":"${randomId()}","htm":"POST","htm":"POST","htu":"${REQUEST_URL}","iat":${NOW},"ath":"${sha256Base64url(CHAIN)}"}`;
    expect(codes(signCompact(header, claims.replace(',"htm":"POST"', ""), carol.privateKey))).toEqual([
      [1, "pop_invalid"],
    ]);
    expect(codes(signCompact(header.replace(',"alg":"Ed25519"', ""), claims, carol.privateKey))).toEqual([
      [1, "pop_invalid"],
    ]);
  });

  it("reports every failed claim of a signed proof together, and keeps its id unused", () => {
    const cache = new ReplayCache(100, 90);
    const jti = randomId();
    const wrong = makeProof({
      key: carol,
      chain: "other",
      method: "GET",
      url: "https://evil.test/",
      iat: NOW - 600,
      jti,
    });
    expect(codes(wrong, cache)).toEqual([
      [1, "pop_invalid"],
      [1, "pop_invalid"],
      [1, "pop_invalid"],
      [1, "pop_invalid"],
    ]);
    expect(cache.size).toBe(0);
    expect(codes(makeProof({ key: carol, chain: CHAIN, jti }), cache)).toEqual([]);
  });
});

describe("checkProof for a chain sent as a token exchange's subject_token", () => {
  const asSubjectToken = (proof: string) =>
    checkProof({ ...expectation(proof), chainSentAs: "subject_token" }).map((reason) => [
      reason.hop,
      reason.code,
    ]);

  it("accepts a proof without ath, as RFC 9449 §5 has an OAuth client send to a token endpoint", () => {
    expect(asSubjectToken(makeProof({ key: carol, chain: CHAIN, claims: { ath: undefined } }))).toEqual([]);
  });

  it("still checks an ath that is there against the chain", () => {
    expect(asSubjectToken(makeProof({ key: carol, chain: CHAIN }))).toEqual([]);
    expect(asSubjectToken(makeProof({ key: carol, chain: "another chain" }))).toEqual([[1, "pop_invalid"]]);
    expect(asSubjectToken(makeProof({ key: carol, chain: CHAIN, claims: { ath: null } }))).toEqual([
      [1, "pop_invalid"],
    ]);
  });

  it("requires ath when the chain is the access token, as before", () => {
    expect(codes(makeProof({ key: carol, chain: CHAIN, claims: { ath: undefined } }))).toEqual([
      [1, "pop_invalid"],
    ]);
  });
});

describe("checkProof's algorithm names", () => {
  it("accepts Ed25519 (RFC 9864) and the EdDSA it deprecates, nothing else", () => {
    for (const alg of ["Ed25519", "EdDSA"]) {
      expect(codes(makeProof({ key: carol, chain: CHAIN, header: { alg } })), alg).toEqual([]);
    }
    for (const alg of ["ed25519", "ES256", "none"]) {
      expect(codes(makeProof({ key: carol, chain: CHAIN, header: { alg } })), alg).toEqual([
        [1, "pop_invalid"],
      ]);
    }
  });
});
