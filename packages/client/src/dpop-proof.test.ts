import { verify } from "node:crypto";
import { decodeBase64url, ed25519PublicKeyObject, sha256Base64url } from "@baton/token";
import { describe, expect, test } from "vitest";
import { AgentKeyPair } from "./agent-key.ts";
import { createDpopProof } from "./dpop-proof.ts";

function decodePart(part: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(decodeBase64url(part))) as Record<string, unknown>;
}

describe("createDpopProof", () => {
  test("signs an RFC 9449 proof bound to the method, URL without query, time and chain", async () => {
    const key = await AgentKeyPair.generate();
    const proof = await createDpopProof(key, {
      method: "post",
      url: "https://Tools.example:443/repos/acme?x=1#frag",
      chain: "a.b.c~d.e.f",
      now: 1_767_225_600,
    });
    const [header = "", payload = "", signature = ""] = proof.split(".");
    expect(decodePart(header)).toEqual({ typ: "dpop+jwt", alg: "Ed25519", jwk: key.publicJwk });
    const claims = decodePart(payload);
    expect(claims).toMatchObject({
      htm: "POST",
      htu: "https://tools.example/repos/acme",
      iat: 1_767_225_600,
      ath: sha256Base64url("a.b.c~d.e.f"),
    });
    expect(String(claims.jti)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const valid = verify(
      null,
      Buffer.from(`${header}.${payload}`),
      ed25519PublicKeyObject(key.publicJwk),
      decodeBase64url(signature) as Uint8Array,
    );
    expect(valid).toBe(true);
  });

  test("uses a fresh jti for every proof", async () => {
    const key = await AgentKeyPair.generate();
    const options = { method: "GET", url: "http://127.0.0.1/x", chain: "a.b.c", now: 1 };
    const first = decodePart((await createDpopProof(key, options)).split(".")[1] ?? "");
    const second = decodePart((await createDpopProof(key, options)).split(".")[1] ?? "");
    expect(first.jti).not.toBe(second.jti);
  });
});
