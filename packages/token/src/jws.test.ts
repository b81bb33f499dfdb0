import * as nodeCrypto from "node:crypto";
import { createPrivateKey, generateKeyPairSync, sign, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { fc, test } from "@fast-check/vitest";
import { CompactSign } from "jose";
import { describe, expect, it } from "vitest";
import { ed25519PublicJwk } from "./agent-key.ts";
import { decodeBase64url, encodeBase64url } from "./base64url.ts";
import { serializeClaims, type TokenClaims } from "./claims.ts";
import {
  type CryptoBackend,
  type NodeCryptoModule,
  nodeCryptoBackend,
  type SubtleEd25519,
  webCryptoBackend,
} from "./crypto-backend.ts";
import { ed25519PublicKeyObject } from "./jwks.ts";
import {
  DEFAULT_MAX_TOKEN_BYTES,
  type DecodedToken,
  decodeToken,
  hasValidSignature,
  hasValidSignatureAsync,
  parseTokenPayload,
  signToken,
  TOKEN_TYPE,
  verifyToken,
} from "./jws.ts";
import { RFC8032_VECTORS } from "./rfc8032-vectors.ts";
import {
  headerText,
  hex,
  mallory,
  mint,
  otherServiceKey,
  resolveKey,
  rootClaims,
  serviceKey,
  signCompact,
  vectorPath,
} from "./test-fixtures.ts";
import { Ed25519PublicKey, type VerificationKey } from "./verification-key.ts";

const signingKey = { kid: serviceKey.kid, privateKey: serviceKey.privateKey };
const claims = rootClaims();
const payloadText = serializeClaims(claims);
const token = (await mint(claims)).compact;

function b64(text: string): string {
  return encodeBase64url(new TextEncoder().encode(text));
}

function parts(compact: string): [string, string, string] {
  const [h = "", p = "", s = ""] = compact.split(".");
  return [h, p, s];
}

/** Flips the lowest of the trailing bits of a base64url text, so it decodes the same but is not canonical. */
function withTrailingBitSet(text: string): string {
  if (text.length % 4 === 0) throw new Error("no trailing bits to set");
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = alphabet.indexOf(text[text.length - 1] ?? "");
  return `${text.slice(0, -1)}${alphabet[last ^ 1]}`;
}

/** Pads JSON text with trailing spaces until its base64url has trailing bits. */
function withTrailingBits(json: string): string {
  let text = json;
  while (new TextEncoder().encode(text).length % 3 === 0) text += " ";
  return text;
}

function expectRefused(compact: string, code: string, claim?: string): void {
  const expected = claim === undefined ? { code } : { code, claim };
  expect(verifyToken(compact, resolveKey)).toMatchObject({ ok: false, error: expected });
}

describe("signToken and verifyToken", () => {
  it("round-trips claims through a real Ed25519 signature", () => {
    const verified = verifyToken(token, resolveKey);
    expect(verified).toMatchObject({
      ok: true,
      value: { compact: token, header: { alg: "Ed25519", typ: TOKEN_TYPE, kid: serviceKey.kid } },
    });
    if (verified.ok) expect(verified.value.claims).toEqual(claims);
  });

  it("writes exactly the fixed protected header", () => {
    const [header] = parts(token);
    expect(Buffer.from(header, "base64url").toString()).toBe(
      `{"alg":"Ed25519","typ":"baton+jwt","kid":"${serviceKey.kid}"}`,
    );
  });

  it("signs the claims in their one serialization", () => {
    const [, payload] = parts(token);
    expect(Buffer.from(payload, "base64url").toString()).toBe(payloadText);
  });

  it("verifies with a freshly generated key pair, and not with another", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const compact = await signToken(claims, { kid: "fresh", privateKey });
    expect(verifyToken(compact, (kid) => (kid === "fresh" ? publicKey : undefined)).ok).toBe(true);
    expect(verifyToken(compact, () => serviceKey.publicKey)).toMatchObject({
      ok: false,
      error: { code: "bad_signature" },
    });
  });

  it("signs a KeyObject through node:crypto, byte for byte the token jose writes", async () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const compact = await signToken(claims, { kid: "same", privateKey });
    const [header = "", payload = ""] = compact.split(".");
    const byJose = await new CompactSign(Buffer.from(payload, "base64url"))
      .setProtectedHeader({ alg: "Ed25519", typ: TOKEN_TYPE, kid: "same" })
      .sign(privateKey);
    expect(compact).toBe(byJose);
    expect(Buffer.from(header, "base64url").toString()).toBe(
      '{"alg":"Ed25519","typ":"baton+jwt","kid":"same"}',
    );
  });

  it("signs with a WebCrypto CryptoKey too", async () => {
    const pair = (await webcrypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ])) as webcrypto.CryptoKeyPair;
    const compact = await signToken(claims, { kid: "web", privateKey: pair.privateKey });
    const jwk = await webcrypto.subtle.exportKey("jwk", pair.publicKey);
    const publicKey = ed25519PublicKeyObject({ kty: "OKP", crv: "Ed25519", x: jwk.x ?? "" });
    expect(verifyToken(compact, () => publicKey).ok).toBe(true);
  });

  it("throws malformed, naming the claim, when asked to sign invalid claims", async () => {
    await expect(signToken({ ...claims, exp: claims.nbf }, signingKey)).rejects.toMatchObject({
      code: "malformed",
      claim: "exp",
    });
    await expect(signToken({ ...claims, sub: "mallory" }, signingKey)).rejects.toMatchObject({
      code: "malformed",
      claim: "sub",
    });
    await expect(
      signToken({ ...claims, cap: [{ act: "a..b", res: "r:x" }] }, signingKey),
    ).rejects.toMatchObject({
      code: "malformed",
      claim: "cap[0].act",
    });
    await expect(signToken({ ...claims, dlg: mallory.id }, signingKey)).rejects.toMatchObject({
      code: "malformed",
      claim: "dlg",
    });
  });

  it("refuses to sign claims whose token no verifier would accept for its size", async () => {
    const cap = Array.from({ length: 32 }, (_, i) => ({
      act: `a${i}.${"x".repeat(400)}`,
      res: `repo:${"y".repeat(400)}`,
    }));
    const big: TokenClaims = { ...claims, cap };
    await expect(signToken(big, signingKey)).rejects.toMatchObject({ code: "token_too_large" });
  });
});

describe("decodeToken and verifyToken refuse", () => {
  describe("the algorithm", () => {
    it.each(["none", "HS256", "RS256", "ES256", "eddsa", "EDDSA", "ed25519", "ED25519", "Ed448", ""])(
      "alg %j as unsupported_alg",
      (alg) => {
        const compact = signCompact(
          JSON.stringify({ alg, typ: "baton+jwt", kid: serviceKey.kid }),
          payloadText,
        );
        expectRefused(compact, "unsupported_alg", "alg");
      },
    );

    /** @see issue 17: RFC 9864 deprecates EdDSA; a Baton token says Ed25519, however well it is signed. */
    it("alg EdDSA as unsupported_alg, though the Ed25519 signature is sound", () => {
      const compact = signCompact(
        JSON.stringify({ alg: "EdDSA", typ: "baton+jwt", kid: serviceKey.kid }),
        payloadText,
      );
      expectRefused(compact, "unsupported_alg", "alg");
    });

    it("a missing or non-string alg as unsupported_alg", () => {
      expectRefused(
        signCompact(JSON.stringify({ typ: "baton+jwt", kid: serviceKey.kid }), payloadText),
        "unsupported_alg",
      );
      expectRefused(
        signCompact(JSON.stringify({ alg: 1, typ: "baton+jwt", kid: serviceKey.kid }), payloadText),
        "unsupported_alg",
      );
      expectRefused(
        signCompact(JSON.stringify({ alg: null, typ: "baton+jwt", kid: serviceKey.kid }), payloadText),
        "unsupported_alg",
      );
    });

    it("alg none before looking at the signature at all", () => {
      const [, payload] = parts(token);
      expect(
        decodeToken(
          `${b64(JSON.stringify({ alg: "none", typ: "baton+jwt", kid: serviceKey.kid }))}.${payload}.AA`,
        ),
      ).toMatchObject({
        ok: false,
        error: { code: "unsupported_alg" },
      });
    });
  });

  describe("the type", () => {
    it.each([
      ["missing", undefined],
      ["JWT", "JWT"],
      ["BATON+JWT", "BATON+JWT"],
      ["application/baton+jwt", "application/baton+jwt"],
      ["dpop+jwt", "dpop+jwt"],
      ["a number", 1],
    ])("typ %s as bad_type", (_, typ) => {
      const compact = signCompact(JSON.stringify({ alg: "Ed25519", typ, kid: serviceKey.kid }), payloadText);
      expectRefused(compact, "bad_type", "typ");
    });
  });

  describe("header parameters", () => {
    it.each([
      ["jku", "https://evil.example/jwks.json"],
      ["x5u", "https://evil.example/cert.pem"],
      ["x5t", "abc"],
      ["b64", false],
      ["cty", "JWT"],
      ["ALG", "none"],
      ["Kid", "x"],
      ["__proto__", null],
    ])("an extra %s parameter as malformed, named", (name, value) => {
      const header = `{"alg":"Ed25519","typ":"baton+jwt","kid":"${serviceKey.kid}",${JSON.stringify(name)}:${JSON.stringify(value)}}`;
      expectRefused(signCompact(header, payloadText), "malformed", name);
    });

    it.each([
      ["jwk", { kty: "OKP", crv: "Ed25519", x: mallory.jwk.x }],
      ["x5c", ["MIIB"]],
      ["crit", ["b64"]],
      ["__proto__", {}],
    ])("an extra structured %s parameter as malformed (the header allows no nesting)", (name, value) => {
      const header = `{"alg":"Ed25519","typ":"baton+jwt","kid":"${serviceKey.kid}",${JSON.stringify(name)}:${JSON.stringify(value)}}`;
      expectRefused(signCompact(header, payloadText), "malformed");
      const flat = `{"alg":"Ed25519","typ":"baton+jwt","kid":"${serviceKey.kid}",${JSON.stringify(name)}:"x"}`;
      expectRefused(signCompact(flat, payloadText), "malformed", name);
    });

    it.each([
      ["missing", undefined],
      ["empty", ""],
      ["a path", "../../keys/service"],
      ["an absolute path", "/etc/passwd"],
      ["SQL", "1' OR '1'='1"],
      ["a URL", "https://evil.example/key"],
      ["over 64 characters", "k".repeat(65)],
      ["a number", 1],
      ["non-ASCII", "kïd"],
    ])("a kid that is %s as malformed", (_, kid) => {
      const compact = signCompact(JSON.stringify({ alg: "Ed25519", typ: "baton+jwt", kid }), payloadText);
      expectRefused(compact, "malformed", "kid");
    });

    it("an unknown kid as unknown_key", () => {
      expectRefused(signCompact(headerText("svc-unknown"), payloadText), "unknown_key", "kid");
    });

    it("a duplicate header parameter as malformed", () => {
      const header = `{"alg":"none","alg":"Ed25519","typ":"baton+jwt","kid":"${serviceKey.kid}"}`;
      expectRefused(signCompact(header, payloadText), "malformed", "header");
    });

    it("a nested header value as malformed", () => {
      const header = `{"alg":"Ed25519","typ":"baton+jwt","kid":{"id":"${serviceKey.kid}"}}`;
      expectRefused(signCompact(header, payloadText), "malformed", "header");
    });

    it("a header that is not a JSON object as malformed", () => {
      for (const header of ['["EdDSA"]', '"EdDSA"', "null", "{", `${headerText()} x`]) {
        expectRefused(signCompact(header, payloadText), "malformed", "header");
      }
    });
  });

  describe("the signature", () => {
    test.prop([fc.nat(), fc.integer({ min: 0, max: 7 })], { numRuns: 100 })(
      "any flipped bit in it as bad_signature",
      (at, bit) => {
        const [h, p, s] = parts(token);
        const bytes = decodeBase64url(s) ?? new Uint8Array();
        const flipped = new Uint8Array(bytes);
        const i = at % flipped.length;
        flipped[i] = (flipped[i] ?? 0) ^ (1 << bit);
        expectRefused(`${h}.${p}.${encodeBase64url(flipped)}`, "bad_signature");
      },
    );

    test.prop([fc.nat()], { numRuns: 100 })("any flipped bit in the payload as bad_signature", (at) => {
      const [h, p, s] = parts(token);
      const bytes = new Uint8Array(decodeBase64url(p) ?? new Uint8Array());
      const i = at % bytes.length;
      bytes[i] = (bytes[i] ?? 0) ^ 1; // stays ASCII, so the payload still decodes as UTF-8
      expectRefused(`${h}.${encodeBase64url(bytes)}.${s}`, "bad_signature");
    });

    it("a token signed by another known service key than its kid names as bad_signature", () => {
      expectRefused(
        signCompact(headerText(serviceKey.kid), payloadText, otherServiceKey.privateKey),
        "bad_signature",
      );
      expect(
        verifyToken(
          signCompact(headerText(otherServiceKey.kid), payloadText, otherServiceKey.privateKey),
          resolveKey,
        ).ok,
      ).toBe(true);
    });

    it("a token signed by an agent key as bad_signature", () => {
      expectRefused(signCompact(headerText(), payloadText, mallory.privateKey), "bad_signature");
    });

    it("a swapped payload as bad_signature", async () => {
      const other = (await mint(rootClaims({ sub: mallory.id, cnf: { jkt: mallory.thumbprint } }))).compact;
      const [h, , s] = parts(token);
      const [, p] = parts(other);
      expectRefused(`${h}.${p}.${s}`, "bad_signature");
    });

    it("a truncated or extended signature as malformed", () => {
      const [h, p, s] = parts(token);
      const bytes = decodeBase64url(s) ?? new Uint8Array();
      expectRefused(`${h}.${p}.${encodeBase64url(bytes.subarray(0, 63))}`, "malformed", "signature");
      expectRefused(`${h}.${p}.${encodeBase64url(bytes.subarray(0, 32))}`, "malformed", "signature");
      expectRefused(`${h}.${p}.${encodeBase64url(new Uint8Array([...bytes, 0]))}`, "malformed", "signature");
      expectRefused(`${h}.${p}.${s.slice(0, -1)}`, "malformed", "signature");
    });

    it("checks the signature before the claims", () => {
      const bad = signCompact(headerText(), serializeClaims({ ...claims, exp: claims.nbf }));
      expectRefused(bad, "malformed", "exp");
      const [h, p] = parts(bad);
      const [, , s] = parts(token);
      expectRefused(`${h}.${p}.${s}`, "bad_signature");
    });
  });

  describe("size and shape", () => {
    it("a token over 8 KiB as token_too_large, before decoding anything", () => {
      expect(DEFAULT_MAX_TOKEN_BYTES).toBe(8192);
      expectRefused("A".repeat(8193), "token_too_large");
      expectRefused(`${token}${" ".repeat(8192)}`, "token_too_large");
      expectRefused("A".repeat(8192), "malformed");
    });

    it("a token over a configured limit as token_too_large", () => {
      expect(decodeToken(token, { maxTokenBytes: token.length - 1 })).toMatchObject({
        ok: false,
        error: { code: "token_too_large" },
      });
      expect(decodeToken(token, { maxTokenBytes: token.length }).ok).toBe(true);
    });

    it.each([
      ["empty", ""],
      ["two parts", "a.b"],
      ["four parts", `${token}.x`],
      ["an empty part", `${parts(token)[0]}..${parts(token)[2]}`],
      ["padding", `${token}=`],
      ["whitespace", ` ${token}`],
      ["a trailing newline", `${token}\n`],
      ["standard base64 characters", token.replace(/-|_/, "+")],
      ["non-ASCII", `${token}é`],
      ["a chain separator", `${token}~${token}`],
    ])("a token with %s as malformed", (_, compact) => {
      if (compact === token) return; // no - or _ to replace: nothing to test
      expectRefused(compact, "malformed");
    });

    it("non-canonical base64url in the header as malformed", () => {
      const header = withTrailingBits(headerText());
      const compact = signCompact(header, payloadText);
      const [h, p, s] = parts(compact);
      expect(verifyToken(compact, resolveKey).ok).toBe(true);
      expectRefused(`${withTrailingBitSet(h)}.${p}.${s}`, "malformed", "header");
    });

    it("non-canonical base64url in the payload as malformed", () => {
      const compact = signCompact(headerText(), withTrailingBits(payloadText));
      const [h, p, s] = parts(compact);
      expect(verifyToken(compact, resolveKey).ok).toBe(true);
      expectRefused(`${h}.${withTrailingBitSet(p)}.${s}`, "malformed", "payload");
    });

    it("non-canonical base64url in the signature as malformed", () => {
      const [h, p, s] = parts(token);
      expect(s.length % 4).toBe(2);
      expectRefused(`${h}.${p}.${withTrailingBitSet(s)}`, "malformed", "signature");
    });

    it("invalid UTF-8 in the header or the payload as malformed", () => {
      const [h, p, s] = parts(token);
      const invalid = encodeBase64url(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
      expectRefused(`${invalid}.${p}.${s}`, "malformed", "header");
      expectRefused(`${h}.${invalid}.${s}`, "malformed", "payload");
    });

    it("a byte-order mark before the header or the payload JSON as malformed", () => {
      expectRefused(signCompact(`\ufeff${headerText()}`, payloadText), "malformed", "header");
      expectRefused(signCompact(headerText(), `\ufeff${payloadText}`), "malformed", "payload");
    });
  });

  describe("the claims, once signed", () => {
    it("duplicate claims as malformed", () => {
      expectRefused(
        signCompact(headerText(), `{"sub":"${mallory.id}",${payloadText.slice(1)}`),
        "malformed",
        "payload",
      );
      expectRefused(
        signCompact(headerText(), `{"\\u0073ub":"${mallory.id}",${payloadText.slice(1)}`),
        "malformed",
        "payload",
      );
    });

    it("a duplicate nested member as malformed", () => {
      const text = payloadText.replace('"cnf":{', `"cnf":{"jkt":"${mallory.thumbprint}",`);
      expect(text).not.toBe(payloadText);
      expectRefused(signCompact(headerText(), text), "malformed", "payload");
    });

    it("a payload that is not strict JSON as malformed", () => {
      for (const text of [
        "",
        "[]",
        "null",
        `${payloadText},`,
        payloadText.replace(/"exp":(\d+)/, '"exp":1e400'),
      ]) {
        expect(verifyToken(signCompact(headerText(), text), resolveKey)).toMatchObject({
          ok: false,
          error: { code: "malformed" },
        });
      }
    });

    it("a payload nested deeper than any claim needs as malformed", () => {
      const deep = payloadText.replace('"cnf":{', '"cnf":{"x":[[[[[[]]]]]],');
      expectRefused(signCompact(headerText(), deep), "malformed", "payload");
    });

    it("accepts the deepest nesting a claim needs (an in list of a limit)", () => {
      const limited = rootClaims({ cap: [{ act: "a", res: "r:x", lim: { n: { in: [1] } } }] });
      expect(verifyToken(signCompact(headerText(), serializeClaims(limited)), resolveKey).ok).toBe(true);
    });

    it("a string time as malformed, never compared", () => {
      const text = payloadText.replace(/"exp":(\d+)/, '"exp":"$1"');
      expectRefused(signCompact(headerText(), text), "malformed", "exp");
    });
  });
});

describe("parseTokenPayload", () => {
  it("parses the claims of a decoded token", () => {
    const decoded = decodeToken(token);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) expect(parseTokenPayload(decoded.value)).toEqual({ ok: true, value: claims });
  });
});

// ---------------------------------------------------------------------------------------------
// The signature layer against published vectors, through both crypto backends: node:crypto with
// KeyObjects (Node, Bun, Deno) and WebCrypto with CryptoKeys (workers). A signature that is not 64
// bytes never gets that far (decodeToken refuses it).

const BACKENDS: readonly (readonly [string, CryptoBackend])[] = [
  ["node:crypto", nodeCryptoBackend(nodeCrypto as unknown as NodeCryptoModule)],
  ["WebCrypto", webCryptoBackend(webcrypto.subtle as unknown as SubtleEd25519)],
];

function detachedToken(message: Uint8Array, signature: Uint8Array): DecodedToken {
  return {
    compact: "",
    header: { alg: "Ed25519", typ: TOKEN_TYPE, kid: "vector" },
    signingInput: Buffer.from(message).toString("latin1"),
    signature,
    payloadText: "",
  };
}

async function verifyDetached(
  backend: CryptoBackend,
  publicKey: VerificationKey,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<"valid" | "invalid" | "refused"> {
  const decoded = decodeBase64url(encodeBase64url(signature));
  if (decoded === undefined || decoded.byteLength !== 64) return "refused";
  const token = detachedToken(message, decoded);
  const check = { key: publicKey, message: token.signingInput, signature: token.signature };
  return (await backend.verify(check)) ? "valid" : "invalid";
}

describe.each(BACKENDS)("RFC 8032 §7.1 Ed25519 test vectors with %s", (_, backend) => {
  it.each(RFC8032_VECTORS.map((vector) => [vector.name, vector] as const))(
    "%s signs and verifies",
    async (_, vector) => {
      const publicJwk = ed25519PublicJwk(hex(vector.publicKey));
      const privateKey = createPrivateKey({
        key: { ...publicJwk, d: encodeBase64url(hex(vector.secretKey)) },
        format: "jwk",
      });
      const message = hex(vector.message);
      expect(Buffer.from(sign(null, message, privateKey)).toString("hex")).toBe(vector.signature);

      for (const publicKey of [Ed25519PublicKey.fromJwk(publicJwk), ed25519PublicKeyObject(publicJwk)]) {
        expect(await verifyDetached(backend, publicKey, message, hex(vector.signature))).toBe("valid");
        const tampered = hex(vector.signature);
        tampered[0] = (tampered[0] ?? 0) ^ 1;
        expect(await verifyDetached(backend, publicKey, message, tampered)).toBe("invalid");
      }
    },
  );

  it("has the 1023-byte message of TEST 1024", () => {
    expect(hex(RFC8032_VECTORS[3]?.message ?? "").byteLength).toBe(1023);
  });
});

describe("hasValidSignature and hasValidSignatureAsync", () => {
  it("agree with each other on a good and a tampered token signature", async () => {
    const decoded = decodeToken(token);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const x = serviceKey.publicKey.export({ format: "jwk" }).x ?? "";
    const key = Ed25519PublicKey.fromJwk({ kty: "OKP", crv: "Ed25519", x });
    expect(hasValidSignature(decoded.value, key)).toBe(true);
    expect(await hasValidSignatureAsync(decoded.value, key)).toBe(true);
    const tampered = { ...decoded.value, signingInput: `${decoded.value.signingInput}A` };
    expect(hasValidSignature(tampered, key)).toBe(false);
    expect(await hasValidSignatureAsync(tampered, serviceKey.publicKey)).toBe(false);
  });
});

interface WycheproofFile {
  readonly numberOfTests: number;
  readonly testGroups: readonly {
    readonly publicKeyJwk: { readonly x: string };
    readonly publicKey: { readonly pk: string };
    readonly tests: readonly {
      readonly tcId: number;
      readonly msg: string;
      readonly sig: string;
      readonly result: string;
      readonly comment: string;
    }[];
  }[];
}

describe.each(BACKENDS)("Wycheproof Ed25519 verification cases with %s", (_, backend) => {
  const wycheproof = JSON.parse(
    readFileSync(vectorPath("wycheproof-ed25519_test.json"), "utf8"),
  ) as WycheproofFile;
  const cases = wycheproof.testGroups.flatMap((group) => group.tests.map((test) => ({ group, test })));

  it("has all 151 cases, each valid or invalid", () => {
    expect(cases).toHaveLength(151);
    expect(wycheproof.numberOfTests).toBe(151);
    for (const { test } of cases) expect(["valid", "invalid"]).toContain(test.result);
  });

  it("agrees with every case: valid verifies; invalid does not, or is refused as not 64 bytes", async () => {
    const disagreements = [];
    for (const { group, test } of cases) {
      expect(encodeBase64url(hex(group.publicKey.pk))).toBe(group.publicKeyJwk.x);
      const publicKey = Ed25519PublicKey.fromJwk({ kty: "OKP", crv: "Ed25519", x: group.publicKeyJwk.x });
      const outcome = await verifyDetached(backend, publicKey, hex(test.msg), hex(test.sig));
      const agrees = test.result === "valid" ? outcome === "valid" : outcome !== "valid";
      if (!agrees)
        disagreements.push({ tcId: test.tcId, comment: test.comment, expected: test.result, outcome });
    }
    expect(disagreements).toEqual([]);
  });
});
