import type { KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeBase64url } from "./base64url.ts";
import { importJwks, MAX_JWKS_KEYS } from "./jwks.ts";
import { decodeToken, hasValidSignature } from "./jws.ts";
import { headerText, otherServiceKey, serviceKey, signCompact, unwrap } from "./test-fixtures.ts";

function publishedJwk(key: { kid: string; publicKey: KeyObject }) {
  const { x } = key.publicKey.export({ format: "jwk" });
  return { kty: "OKP", crv: "Ed25519", x, kid: key.kid, alg: "Ed25519", use: "sig" };
}

describe("importJwks", () => {
  it("imports every key by kid as a key that verifies the service's signatures, and only its own", () => {
    const imported = importJwks({ keys: [publishedJwk(serviceKey), publishedJwk(otherServiceKey)] });
    expect(imported.ok).toBe(true);
    if (!imported.ok) return;
    expect([...imported.value.keys()]).toEqual([serviceKey.kid, otherServiceKey.kid]);
    const decoded = unwrap(decodeToken(signCompact(headerText(), "{}")));
    const key = imported.value.get(serviceKey.kid);
    const other = imported.value.get(otherServiceKey.kid);
    expect(key).toBeDefined();
    expect(other).toBeDefined();
    if (key) expect(hasValidSignature(decoded, key)).toBe(true);
    if (other) expect(hasValidSignature(decoded, other)).toBe(false);
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
