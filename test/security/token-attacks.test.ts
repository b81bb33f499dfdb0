/**
 * Attack catalogue, part 1 (issue 9): JWT header, payload and signature attacks, presented to the
 * real service's `POST /v1/verify` over HTTP. Every forged token is signed with the service's own
 * private key (read from its SQLite file), so a refusal can only come from the check under attack.
 * Each attack expects one specific reason code on hop 0.
 */
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signCompact } from "../../packages/verifier/test/fixtures.ts";
import {
  type Agent,
  codesOf,
  rootClaims,
  type SecurityService,
  startSecurityService,
  T0,
  toolProof,
} from "./harness.ts";

let svc: SecurityService;
let alice: Agent;

beforeAll(async () => {
  svc = await startSecurityService({ BATON_MAX_TTL: "3600" });
  alice = await svc.registerAgent("alice");
});
afterAll(async () => {
  await svc?.close();
});

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/** Presents one token as a whole chain, with a good proof by alice; returns the first reason. */
async function present(token: string): Promise<{ codes: string[]; hop: number | null | undefined }> {
  const { status, body } = await svc.verify({ chain: token, proof: toolProof(alice.key, token, svc.now) });
  expect(status).toBe(200);
  expect(body.decision).toBe("deny");
  return { codes: codesOf(body), hop: body.reasons[0]?.hop };
}

/** A forged root whose header members are replaced by `header` (exact JSON text when a string). */
function withHeader(header: Record<string, unknown> | string, claims = rootClaims(svc, alice)): string {
  const { kid, privateKey } = svc.serviceKey();
  const value: Record<string, unknown> | string =
    typeof header === "string" ? header : { alg: "Ed25519", typ: "baton+jwt", kid, ...header };
  if (typeof value !== "string")
    for (const [name, member] of Object.entries(value)) if (member === undefined) delete value[name];
  return signCompact(value, claims, privateKey);
}

/** A forged root with exact payload text, signed with the service key under its real kid. */
function withPayload(payloadText: string): string {
  const { kid, privateKey } = svc.serviceKey();
  return signCompact({ alg: "Ed25519", typ: "baton+jwt", kid }, payloadText, privateKey);
}

function withClaims(overrides: Record<string, unknown>): string {
  const claims: Record<string, unknown> = { ...rootClaims(svc, alice), ...overrides };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return withPayload(JSON.stringify(claims));
}

describe("the control: a correctly forged root is refused only because the graph does not know it", () => {
  it("denies a well-formed service-signed root that was never issued with revoked", async () => {
    const { codes } = await present(withHeader({}));
    expect(codes).toEqual(["revoked"]);
  });
});

describe("JWT header attacks", () => {
  it("refuses alg none with an empty signature as malformed", async () => {
    const token = `${b64(JSON.stringify({ alg: "none", typ: "baton+jwt", kid: svc.serviceKey().kid }))}.${b64(JSON.stringify(rootClaims(svc, alice)))}.`;
    expect((await present(token)).codes).toEqual(["malformed"]);
  });

  it("refuses alg none carrying a real signature with unsupported_alg", async () => {
    expect((await present(withHeader({ alg: "none" }))).codes).toEqual(["unsupported_alg"]);
  });

  it("refuses HS256 keyed with the service's public key (key confusion) with unsupported_alg", async () => {
    const kid = svc.serviceKey().kid;
    const publicX = svc.signingKeys.jwks(svc.now).keys.find((key) => key.kid === kid)?.x ?? "";
    const input = `${b64(JSON.stringify({ alg: "HS256", typ: "baton+jwt", kid }))}.${b64(JSON.stringify(rootClaims(svc, alice)))}`;
    // HS256 yields 32 bytes; pad to 64 so the length check cannot be what refuses it.
    const mac = createHmac("sha256", publicX).update(input).digest();
    const token = `${input}.${Buffer.concat([mac, mac]).toString("base64url")}`;
    expect((await present(token)).codes).toEqual(["unsupported_alg"]);
  });

  it("refuses RS256 with unsupported_alg", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const kid = svc.serviceKey().kid;
    const input = `${b64(JSON.stringify({ alg: "RS256", typ: "baton+jwt", kid }))}.${b64(JSON.stringify(rootClaims(svc, alice)))}`;
    const signature = sign("sha256", Buffer.from(input), rsa.privateKey).subarray(0, 64);
    expect((await present(`${input}.${signature.toString("base64url")}`)).codes).toEqual(["unsupported_alg"]);
  });

  /** @see issue 17: RFC 9864 deprecates EdDSA; a Baton token signed soundly under it is still refused. */
  it("refuses the deprecated alg EdDSA over a real service signature with unsupported_alg", async () => {
    expect((await present(withHeader({ alg: "EdDSA" }))).codes).toEqual(["unsupported_alg"]);
  });

  it.each([["eddsa"], ["EDDSA"], ["ed25519"], ["ED25519"], ["ES256"]])(
    "refuses the alg spelling %s with unsupported_alg",
    async (alg) => {
      expect((await present(withHeader({ alg }))).codes).toEqual(["unsupported_alg"]);
    },
  );

  it.each([["JWT"], ["BATON+JWT"], ["baton+JWT"], ["dpop+jwt"], ["application/baton+jwt"]])(
    "refuses typ %s with bad_type",
    async (typ) => {
      expect((await present(withHeader({ typ }))).codes).toEqual(["bad_type"]);
    },
  );

  it("refuses a header without typ with bad_type", async () => {
    expect((await present(withHeader({ typ: undefined }))).codes).toEqual(["bad_type"]);
  });

  it.each([
    ["a path", "../../../etc/passwd"],
    ["an SQL string", "' OR '1'='1' --"],
    ["a URL", "https://attacker.test/key.json"],
    ["an empty string", ""],
    ["a number", 1],
  ])("refuses a kid that is %s as malformed", async (_what, kid) => {
    expect((await present(withHeader({ kid }))).codes).toEqual(["malformed"]);
  });

  it("refuses a well-formed kid that names no service key with unknown_key", async () => {
    expect((await present(withHeader({ kid: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }))).codes).toEqual(
      ["unknown_key"],
    );
  });

  it.each([
    ["jku", "https://attacker.test/jwks.json"],
    ["jwk", { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }],
    ["x5u", "https://attacker.test/cert.pem"],
    ["x5c", ["MIIBszCCAVmgAwIBAgIUQ"]],
    ["crit", ["b64"]],
    ["b64", false],
    ["Kid", "case-variant-of-kid"],
    ["ALG", "Ed25519"],
    ["zip", "DEF"],
  ])("refuses a header carrying %s as malformed", async (name, value) => {
    expect((await present(withHeader({ [name]: value }))).codes).toEqual(["malformed"]);
  });

  it("refuses a header with a duplicate alg (Ed25519, then none) as malformed", async () => {
    const kid = svc.serviceKey().kid;
    const text = `{"alg":"Ed25519","typ":"baton+jwt","kid":"${kid}","alg":"none"}`;
    expect((await present(withHeader(text))).codes).toEqual(["malformed"]);
  });

  it("refuses a header whose alg is duplicated only after unescaping as malformed", async () => {
    const kid = svc.serviceKey().kid;
    const text = `{"alg":"Ed25519","typ":"baton+jwt","kid":"${kid}","\\u0061lg":"none"}`;
    expect((await present(withHeader(text))).codes).toEqual(["malformed"]);
  });

  it("refuses a header that is a JSON array as malformed", async () => {
    expect((await present(withHeader('["Ed25519"]'))).codes).toEqual(["malformed"]);
  });
});

describe("payload attacks", () => {
  it("refuses duplicate sub claims as malformed", async () => {
    const claims = JSON.stringify(rootClaims(svc, alice));
    const text = `${claims.slice(0, -1)},"sub":"agent:mallory"}`;
    expect((await present(withPayload(text))).codes).toEqual(["malformed"]);
  });

  it("refuses a sub duplicated only after unescaping as malformed", async () => {
    const claims = JSON.stringify(rootClaims(svc, alice));
    const text = `${claims.slice(0, -1)},"\\u0073ub":"agent:mallory"}`;
    expect((await present(withPayload(text))).codes).toEqual(["malformed"]);
  });

  it("refuses a duplicate key nested inside cnf as malformed", async () => {
    const claims = JSON.stringify({ ...rootClaims(svc, alice), cnf: { jkt: "X" } });
    const text = claims.replace('{"jkt":"X"}', `{"jkt":"${alice.key.thumbprint}","jkt":"${"A".repeat(43)}"}`);
    expect((await present(withPayload(text))).codes).toEqual(["malformed"]);
  });

  it.each([
    ["a float exp", { exp: T0 + 3600.5 }],
    ["a string exp", { exp: "9999999999" }],
    ["an array exp", { exp: [9_999_999_999] }],
    ["a huge exp (2^53)", { exp: 2 ** 53 }],
    ["an exp beyond 2^40", { exp: 2 ** 40 + 1 }],
    ["a negative iat", { iat: -1, nbf: -1 }],
    ["a null nbf", { nbf: null }],
    ["a boolean dpt", { dpt: false }],
    ["a negative mdp", { mdp: -1 }],
    ["a float mdp", { mdp: 1.5 }],
  ])("refuses %s as malformed", async (_what, overrides) => {
    expect((await present(withClaims(overrides))).codes).toEqual(["malformed"]);
  });

  it("refuses a time that overflows to infinity (1e400) as malformed", async () => {
    const claims = JSON.stringify(rootClaims(svc, alice));
    const text = claims.replace(/"exp":\d+/, '"exp":1e400');
    expect((await present(withPayload(text))).codes).toEqual(["malformed"]);
  });

  it.each([
    ["iss"],
    ["sub"],
    ["jti"],
    ["did"],
    ["dpt"],
    ["mdp"],
    ["tsk"],
    ["cap"],
    ["aud"],
    ["iat"],
    ["exp"],
    ["rvl"],
    ["cnf"],
  ])("refuses a root without %s as malformed", async (claim) => {
    expect((await present(withClaims({ [claim]: undefined }))).codes).toEqual(["malformed"]);
  });

  it("refuses an unknown claim as malformed", async () => {
    expect((await present(withClaims({ adm: true }))).codes).toEqual(["malformed"]);
  });

  it("refuses a __proto__ claim as malformed", async () => {
    const claims = JSON.stringify(rootClaims(svc, alice));
    const text = `${claims.slice(0, -1)},"__proto__":{"admin":true}}`;
    expect((await present(withPayload(text))).codes).toEqual(["malformed"]);
  });

  it.each([
    ["a Cyrillic look-alike in sub", { sub: "agent:\u0430lice" }],
    ["a non-NFC (decomposed) sub", { sub: "agent:e\u0301lise" }],
    ["a fullwidth colon in sub", { sub: "agent\uff1aalice" }],
    ["a zero-width joiner in tsk", { tsk: "task\u200d-1" }],
    ["a look-alike slash in a resource", { cap: [{ act: "repo.issues.*", res: "repo:acme\u2215web/**" }] }],
    ["an NFD resource", { cap: [{ act: "repo.issues.*", res: "repo:acme/cafe\u0301/**" }] }],
  ])("refuses %s as malformed", async (_what, overrides) => {
    expect((await present(withClaims(overrides))).codes).toEqual(["malformed"]);
  });

  it("refuses 33 capabilities (over the limit of 32) as malformed", async () => {
    const cap = Array.from({ length: 33 }, (_, i) => ({ act: `repo.a${i}`, res: "repo:acme/web/**" }));
    expect((await present(withClaims({ cap }))).codes).toEqual(["malformed"]);
  });

  it("refuses 17 audiences (over the limit of 16) as malformed", async () => {
    const aud = Array.from({ length: 17 }, (_, i) => `tool-${i}`);
    expect((await present(withClaims({ aud }))).codes).toEqual(["malformed"]);
  });

  it("refuses an empty cap array as malformed", async () => {
    expect((await present(withClaims({ cap: [] }))).codes).toEqual(["malformed"]);
  });

  it("refuses a token over 8 KiB with token_too_large before reading it", async () => {
    const token = withClaims({ tsk: "t".repeat(9000) });
    expect((await present(token)).codes).toEqual(["token_too_large"]);
  });

  it("refuses a payload with a UTF-8 byte-order mark as malformed", async () => {
    expect((await present(withPayload(`\ufeff${JSON.stringify(rootClaims(svc, alice))}`))).codes).toEqual([
      "malformed",
    ]);
  });

  it("refuses a root carrying dlg, par and prf (a hop disguised as a root) with a chain code", async () => {
    const { codes } = await present(
      withClaims({ dlg: "agent:mallory", par: "A".repeat(22), prf: "A".repeat(43) }),
    );
    expect(codes[0]).toMatch(/^(malformed|chain_broken)$/);
  });
});

describe("signature attacks", () => {
  function split(token: string): [string, string, Buffer] {
    const [header = "", payload = "", signature = ""] = token.split(".");
    return [header, payload, Buffer.from(signature, "base64url")];
  }

  it("refuses a truncated signature (63 bytes) as malformed", async () => {
    const [header, payload, signature] = split(withHeader({}));
    const token = `${header}.${payload}.${signature.subarray(0, 63).toString("base64url")}`;
    expect((await present(token)).codes).toEqual(["malformed"]);
  });

  it("refuses a signature with one flipped bit with bad_signature", async () => {
    const [header, payload, signature] = split(withHeader({}));
    signature[10] = (signature[10] ?? 0) ^ 1;
    expect((await present(`${header}.${payload}.${signature.toString("base64url")}`)).codes).toEqual([
      "bad_signature",
    ]);
  });

  it("refuses a non-canonical S (S + L, the malleated twin of a good signature) with bad_signature", async () => {
    const [header, payload, signature] = split(withHeader({}));
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const s = BigInt(`0x${Buffer.from(signature.subarray(32)).reverse().toString("hex")}`);
    const malleated = s + L;
    expect(malleated < 2n ** 256n).toBe(true);
    const bytes = Buffer.from(malleated.toString(16).padStart(64, "0"), "hex").reverse();
    const token = `${header}.${payload}.${Buffer.concat([signature.subarray(0, 32), bytes]).toString("base64url")}`;
    expect((await present(token)).codes).toEqual(["bad_signature"]);
  });

  it("refuses a signature with non-canonical base64url (non-zero trailing bits) as malformed", async () => {
    const token = withHeader({});
    const last = token.at(-1) ?? "A";
    // 64 bytes end in a character carrying 4 unused bits; flip one of them.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const twin = alphabet[alphabet.indexOf(last) ^ 1] ?? "B";
    expect((await present(`${token.slice(0, -1)}${twin}`)).codes).toEqual(["malformed"]);
  });

  it("refuses a token signed by an attacker's key under the service's kid with bad_signature", async () => {
    const attacker = generateKeyPairSync("ed25519");
    const token = signCompact(
      { alg: "Ed25519", typ: "baton+jwt", kid: svc.serviceKey().kid },
      rootClaims(svc, alice),
      attacker.privateKey,
    );
    expect((await present(token)).codes).toEqual(["bad_signature"]);
  });

  it("refuses a signature by a retired key once the key is no longer published with unknown_key", async () => {
    const old = svc.serviceKey();
    const issued = await svc.grant(alice, { ttl: 600 });
    await svc.signingKeys.rotate(svc.now);
    // Still published: a token the old key signed keeps verifying until it would have expired.
    const live = await svc.verify({ chain: issued.chain, proofBy: alice.key });
    expect(live.body.decision).toBe("allow");
    svc.now += 3600 + 30; // max TTL + clock skew after retirement
    const forged = signCompact(
      { alg: "Ed25519", typ: "baton+jwt", kid: old.kid },
      rootClaims(svc, alice),
      old.privateKey,
    );
    expect((await present(forged)).codes).toEqual(["unknown_key"]);
    const published = svc.signingKeys.jwks(svc.now).keys.map((key) => key.kid);
    expect(published).not.toContain(old.kid);
  });

  it("refuses to register an agent key of small order (the identity point) with 400", async () => {
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    const response = await svc.op("POST", "/v1/agents", {
      id: "agent:small-order",
      jwk: { kty: "OKP", crv: "Ed25519", x: identity.toString("base64url") },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe("invalid_request");
  });
});
