import { createPublicKey, generateKeyPairSync, verify, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { Point } from "@noble/ed25519";
import { describe, expect, it, vi } from "vitest";
import {
  type Ed25519PublicJwk,
  ed25519KeyProblem,
  ed25519PublicJwk,
  jwkThumbprint,
  parseAgentJwk,
} from "./agent-key.ts";
import { decodeBase64url, encodeBase64url } from "./base64url.ts";
import { type SubtleEd25519, webCryptoBackend } from "./crypto-backend.ts";
import { alice, hex, vectorPath } from "./test-fixtures.ts";
import { Ed25519PublicKey } from "./verification-key.ts";

/** RFC 8032 §7.1 TEST 1 public key, whose thumbprint RFC 8037 §A.3 gives. */
const RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

interface CctvVector {
  readonly number: number;
  readonly key: string;
  readonly sig: string;
  readonly msg: string;
  readonly flags: readonly string[] | null;
}

/** C2SP/CCTV ed25519vectors.json: edge cases of the public key A and of R, with flags. */
const cctv = JSON.parse(readFileSync(vectorPath("cctv-ed25519vectors.json"), "utf8")) as CctvVector[];
const PUBLIC_KEY_FLAGS = ["low_order_A", "non_canonical_A", "low_order_component_A"];
const keyFlags = (vector: CctvVector) =>
  (vector.flags ?? []).filter((flag) => PUBLIC_KEY_FLAGS.includes(flag));
const unsoundKeys = cctv.filter((vector) => keyFlags(vector).length > 0);
const soundKeys = cctv.filter((vector) => keyFlags(vector).length === 0);

describe("jwkThumbprint", () => {
  it("matches the RFC 8037 §A.3 known answer", () => {
    expect(jwkThumbprint({ kty: "OKP", crv: "Ed25519", x: RFC8037_X })).toBe(RFC8037_THUMBPRINT);
  });

  it("is what parseAgentJwk reports, whatever optional members the JWK carries", () => {
    const parsed = parseAgentJwk({
      x: RFC8037_X,
      use: "sig",
      crv: "Ed25519",
      kid: "k1",
      kty: "OKP",
      alg: "EdDSA",
    });
    expect(parsed).toMatchObject({
      ok: true,
      value: { thumbprint: RFC8037_THUMBPRINT, jwk: { kty: "OKP", crv: "Ed25519", x: RFC8037_X } },
    });
    if (parsed.ok) expect(Object.keys(parsed.value.jwk).sort()).toEqual(["crv", "kty", "x"]);
  });
});

describe("parseAgentJwk", () => {
  const valid = { kty: "OKP", crv: "Ed25519", x: RFC8037_X };

  it("accepts a sound Ed25519 public key", () => {
    const parsed = parseAgentJwk(valid);
    expect(parsed.ok).toBe(true);
    if (parsed.ok)
      expect(parsed.value.publicKey).toEqual(
        hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
      );
    expect(parseAgentJwk(alice.jwk)).toMatchObject({ ok: true, value: { thumbprint: alice.thumbprint } });
  });

  it("refuses a private key", () => {
    expect(
      parseAgentJwk({ ...valid, d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A" }, "jwk"),
    ).toMatchObject({
      ok: false,
      error: { code: "malformed", claim: "jwk" },
    });
    expect(parseAgentJwk({ ...valid, d: "" })).toMatchObject({ ok: false, error: { code: "malformed" } });
  });

  it.each([
    ["kty EC", { ...valid, kty: "EC" }],
    ["kty oct", { kty: "oct", k: "c2VjcmV0" }],
    ["crv X25519", { ...valid, crv: "X25519" }],
    ["crv Ed448", { ...valid, crv: "Ed448" }],
    ["a lower-case crv", { ...valid, crv: "ed25519" }],
    ["no kty", { crv: "Ed25519", x: RFC8037_X }],
    ["no x", { kty: "OKP", crv: "Ed25519" }],
    ["a numeric x", { ...valid, x: 1 }],
  ])("refuses a JWK with %s", (_, jwk) => {
    expect(parseAgentJwk(jwk)).toMatchObject({ ok: false, error: { code: "malformed", claim: "jwk" } });
  });

  it.each([
    ["padding", `${RFC8037_X}=`],
    ["standard base64", Buffer.from(RFC8037_X, "base64url").toString("base64")],
    ["non-zero trailing bits", `${RFC8037_X.slice(0, 42)}p`],
    ["31 bytes", encodeBase64url(new Uint8Array(31).fill(1))],
    ["33 bytes", encodeBase64url(new Uint8Array(33).fill(1))],
    ["an empty string", ""],
  ])("refuses an x with %s", (_, x) => {
    expect(parseAgentJwk({ ...valid, x })).toMatchObject({ ok: false, error: { code: "malformed" } });
  });

  it.each([
    ["x5c", ["MIIB"]],
    ["key_ops", ["verify"]],
    ["ext", true],
    ["y", RFC8037_X],
    ["jku", "https://evil.example/jwks"],
  ])("refuses an extra member %s", (member, value) => {
    expect(parseAgentJwk({ ...valid, [member]: value })).toMatchObject({
      ok: false,
      error: { code: "malformed" },
    });
  });

  it.each([
    ["use enc", { use: "enc" }],
    ["alg RS256", { alg: "RS256" }],
    ["a numeric kid", { kid: 7 }],
    ["an over-long kid", { kid: "k".repeat(129) }],
  ])("refuses an optional member with a bad value: %s", (_, extra) => {
    expect(parseAgentJwk({ ...valid, ...extra })).toMatchObject({ ok: false, error: { code: "malformed" } });
  });

  /** @see the Object.prototype member regression: such members were accepted, or threw. */
  it.each([
    "constructor",
    "toString",
    "hasOwnProperty",
    "valueOf",
    "isPrototypeOf",
    "__proto__",
    "toLocaleString",
  ])("refuses an extra member named like an Object.prototype member (%s) without throwing", (member) => {
    const jwk = JSON.parse(`{"kty":"OKP","crv":"Ed25519","x":"${RFC8037_X}","${member}":{}}`) as unknown;
    expect(parseAgentJwk(jwk)).toMatchObject({ ok: false, error: { code: "malformed" } });
  });

  it("refuses what is not an object", () => {
    for (const value of [null, "jwk", 1, [valid]]) {
      expect(parseAgentJwk(value, "cnf.jwk")).toMatchObject({
        ok: false,
        error: { code: "malformed", claim: "cnf.jwk" },
      });
    }
  });

  it("refuses the all-zero key (a low-order point)", () => {
    expect(parseAgentJwk({ ...valid, x: encodeBase64url(new Uint8Array(32)) })).toMatchObject({
      ok: false,
      error: { code: "malformed" },
    });
  });

  it("round-trips with ed25519PublicJwk", () => {
    const bytes = decodeBase64url(RFC8037_X);
    expect(bytes).toBeDefined();
    if (bytes) expect(ed25519PublicJwk(bytes)).toEqual(valid);
  });
});

describe("ed25519KeyProblem", () => {
  it("refuses a key that is not 32 bytes", () => {
    expect(ed25519KeyProblem(new Uint8Array(31))).toBeTypeOf("string");
    expect(ed25519KeyProblem(new Uint8Array(33))).toBeTypeOf("string");
    expect(ed25519KeyProblem(new Uint8Array(0))).toBeTypeOf("string");
  });

  it("accepts freshly generated keys and the RFC 8032 test keys", () => {
    expect(ed25519KeyProblem(decodeBase64url(alice.jwk.x) ?? new Uint8Array())).toBeUndefined();
    for (const key of [
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
      "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
      "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
      "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
    ]) {
      expect(ed25519KeyProblem(hex(key))).toBeUndefined();
    }
  });

  it("refuses a y coordinate that is not reduced mod p (non-canonical encoding)", () => {
    // y = p = 2^255 - 19 encodes the same point as y = 0, but is not its canonical encoding.
    const p = hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    expect(ed25519KeyProblem(p)).toBeTypeOf("string");
  });

  describe("against the C2SP/CCTV Ed25519 edge cases", () => {
    it("reads the vectors and knows every flag they use", () => {
      expect(cctv.length).toBe(914);
      const flags = new Set(cctv.flatMap((vector) => vector.flags ?? []));
      expect([...flags].sort()).toEqual([
        "low_order_A",
        "low_order_R",
        "low_order_component_A",
        "low_order_component_R",
        "low_order_residue",
        "non_canonical_A",
        "non_canonical_R",
        "reencoded_k",
      ]);
      expect(unsoundKeys.length).toBeGreaterThan(800);
      expect(soundKeys.length).toBeGreaterThan(0);
    });

    it("refuses every public key flagged low-order, non-canonical or with a low-order component", () => {
      const accepted = unsoundKeys.filter((vector) => ed25519KeyProblem(hex(vector.key)) === undefined);
      expect(accepted.map((vector) => [vector.number, keyFlags(vector)])).toEqual([]);
    });

    it("accepts every public key with no flag on A", () => {
      const refused = soundKeys.filter((vector) => ed25519KeyProblem(hex(vector.key)) !== undefined);
      expect(refused.map((vector) => vector.number)).toEqual([]);
    });

    it("refuses every key node:crypto would verify a vector under while the key is flagged", () => {
      // This is why the check exists: OpenSSL verifies these signatures, and a low-order key
      // verifies signatures that anyone can forge.
      const acceptedByNode = unsoundKeys.filter((vector) => {
        try {
          const key = createPublicKey({
            key: { kty: "OKP", crv: "Ed25519", x: encodeBase64url(hex(vector.key)) },
            format: "jwk",
          });
          return verify(null, Buffer.from(vector.msg), key, hex(vector.sig));
        } catch {
          return false;
        }
      });
      const lowOrderAccepted = acceptedByNode.filter((vector) => vector.flags?.includes("low_order_A"));
      // OpenSSL 3.0 (Node 20) verifies under low-order keys; 3.5 (Node 22, 24) refuses them itself,
      // so there the loops below find nothing to check and Baton's refusal is a second line.
      if (process.versions.openssl.startsWith("3.0.")) expect(lowOrderAccepted.length).toBeGreaterThan(0);
      for (const vector of acceptedByNode) expect(ed25519KeyProblem(hex(vector.key))).toBeTypeOf("string");
      for (const vector of acceptedByNode) {
        const jwk: Ed25519PublicJwk = ed25519PublicJwk(hex(vector.key));
        expect(parseAgentJwk(jwk)).toMatchObject({ ok: false, error: { code: "malformed" } });
      }
    });

    it("refuses every key WebCrypto (the workers' backend) would verify a vector under while the key is flagged", async () => {
      const webCrypto = webCryptoBackend(webcrypto.subtle as unknown as SubtleEd25519);
      const acceptedByWebCrypto: CctvVector[] = [];
      for (const vector of unsoundKeys) {
        const key = Ed25519PublicKey.fromJwk(ed25519PublicJwk(hex(vector.key)));
        const check = { key, message: vector.msg, signature: hex(vector.sig) };
        if (await webCrypto.verify(check).catch(() => false)) acceptedByWebCrypto.push(vector);
      }
      const lowOrderAccepted = acceptedByWebCrypto.filter((vector) => vector.flags?.includes("low_order_A"));
      if (process.versions.openssl.startsWith("3.0.")) expect(lowOrderAccepted.length).toBeGreaterThan(0);
      for (const vector of acceptedByWebCrypto) {
        expect(parseAgentJwk(ed25519PublicJwk(hex(vector.key)))).toMatchObject({
          ok: false,
          error: { code: "malformed" },
        });
      }
    });
  });
});

describe("parseAgentJwk's memory of key verdicts", () => {
  const jwkOf = (hexKey: string) => ({ kty: "OKP", crv: "Ed25519", x: encodeBase64url(hex(hexKey)) });

  it("runs the point checks once per key, however often the key is presented", () => {
    const fresh = generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x as string;
    const decode = vi.spyOn(Point, "fromBytes");
    try {
      for (let i = 0; i < 5; i++)
        expect(parseAgentJwk({ kty: "OKP", crv: "Ed25519", x: fresh }).ok).toBe(true);
      expect(decode).toHaveBeenCalledTimes(1);
    } finally {
      decode.mockRestore();
    }
  });

  it("keeps refusing an unsound key on every presentation, and keeps accepting a sound one after eviction", () => {
    const lowOrder = unsoundKeys.find((vector) => keyFlags(vector).includes("low_order_A"));
    expect(lowOrder).toBeDefined();
    for (let i = 0; i < 3; i++) expect(parseAgentJwk(jwkOf((lowOrder as CctvVector).key)).ok).toBe(false);
    const sound = alice.jwk;
    expect(parseAgentJwk(sound).ok).toBe(true);
    // Push the first verdicts out of the bounded memory with 5,000 other (unsound, cheap) keys.
    for (let i = 0; i < 5000; i++) {
      const bytes = new Uint8Array(32).fill(0xff);
      bytes[0] = i & 0xff;
      bytes[1] = (i >> 8) & 0xff;
      parseAgentJwk({ kty: "OKP", crv: "Ed25519", x: encodeBase64url(bytes) });
    }
    expect(parseAgentJwk(sound).ok).toBe(true);
    expect(parseAgentJwk(jwkOf((lowOrder as CctvVector).key)).ok).toBe(false);
  });
});
