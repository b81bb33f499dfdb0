import { type KeyObject, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeBase64url } from "./base64url.ts";
import { importJwks, MAX_JWKS_KEYS } from "./jwks.ts";
import { headerText, otherServiceKey, serviceKey, signCompact } from "./test-fixtures.ts";

function publishedJwk(key: { kid: string; publicKey: KeyObject }) {
  const { x } = key.publicKey.export({ format: "jwk" });
  return { kty: "OKP", crv: "Ed25519", x, kid: key.kid, alg: "EdDSA", use: "sig" };
}

describe("importJwks", () => {
  it("imports every key by kid as a KeyObject that verifies the service's signatures", () => {
    const imported = importJwks({ keys: [publishedJwk(serviceKey), publishedJwk(otherServiceKey)] });
    expect(imported.ok).toBe(true);
    if (!imported.ok) return;
    expect([...imported.value.keys()]).toEqual([serviceKey.kid, otherServiceKey.kid]);
    const compact = signCompact(headerText(), "{}");
    const [h = "", p = "", s = ""] = compact.split(".");
    const key = imported.value.get(serviceKey.kid);
    expect(key).toBeDefined();
    if (key) expect(verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, "base64url"))).toBe(true);
  });

  it("accepts an empty key set", () => {
    expect(importJwks({ keys: [] })).toMatchObject({ ok: true });
  });

  it.each([
    ["not an object", "keys"],
    ["null", null],
    ["without keys", {}],
    ["with keys not an array", { keys: {} }],
  ])("refuses a JWKS that is %s", (_, value) => {
    expect(importJwks(value)).toMatchObject({ ok: false, error: { code: "malformed", claim: "keys" } });
  });

  it("refuses more keys than the limit", () => {
    const keys = Array.from({ length: MAX_JWKS_KEYS + 1 }, (_, i) => ({
      ...publishedJwk(serviceKey),
      kid: `k${i}`,
    }));
    expect(importJwks({ keys })).toMatchObject({ ok: false, error: { code: "malformed" } });
    expect(importJwks({ keys: keys.slice(0, MAX_JWKS_KEYS) }).ok).toBe(true);
  });

  it("refuses a key without a usable kid, or a kid twice", () => {
    const jwk = publishedJwk(serviceKey);
    for (const kid of [undefined, "", "../k", 1, "k".repeat(65)]) {
      expect(importJwks({ keys: [{ ...jwk, kid }] })).toMatchObject({
        ok: false,
        error: { code: "malformed" },
      });
    }
    expect(importJwks({ keys: [jwk, jwk] })).toMatchObject({ ok: false, error: { code: "malformed" } });
    expect(importJwks({ keys: [null] })).toMatchObject({ ok: false, error: { code: "malformed" } });
  });

  it("refuses the whole set when one key is unsound", () => {
    const lowOrder = { ...publishedJwk(serviceKey), kid: "bad", x: encodeBase64url(new Uint8Array(32)) };
    expect(importJwks({ keys: [publishedJwk(serviceKey), lowOrder] })).toMatchObject({
      ok: false,
      error: { code: "malformed", claim: "keys[1]" },
    });
    const privateKey = { ...publishedJwk(serviceKey), d: "AAAA" };
    expect(importJwks({ keys: [privateKey] })).toMatchObject({ ok: false, error: { code: "malformed" } });
  });
});
