import { verify } from "node:crypto";
import { ed25519PublicKeyObject, parseAgentJwk } from "@baton/token";
import { describe, expect, test } from "vitest";
import { AgentKeyPair } from "./agent-key.ts";

describe("AgentKeyPair", () => {
  test("generates a sound Ed25519 key whose thumbprint is the RFC 7638 one", async () => {
    const key = await AgentKeyPair.generate();
    const parsed = parseAgentJwk(key.publicJwk);
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && parsed.value.thumbprint).toBe(key.thumbprint);
  });

  test("round-trips through its private JWK", async () => {
    const key = await AgentKeyPair.generate();
    const loaded = await AgentKeyPair.fromJwk(key.toPrivateJwk());
    expect(loaded.publicJwk).toEqual(key.publicJwk);
    expect(loaded.thumbprint).toBe(key.thumbprint);
  });

  test("refuses a private JWK whose x does not match d, and anything that is not one", async () => {
    const alice = await AgentKeyPair.generate();
    const bob = await AgentKeyPair.generate();
    await expect(AgentKeyPair.fromJwk({ ...alice.toPrivateJwk(), x: bob.publicJwk.x })).rejects.toThrow(
      TypeError,
    );
    await expect(AgentKeyPair.fromJwk({ ...alice.publicJwk, d: "short" })).rejects.toThrow(TypeError);
    await expect(AgentKeyPair.fromJwk(alice.publicJwk as never)).rejects.toThrow(TypeError);
  });

  test("signs bytes that verify under its public key", async () => {
    const key = await AgentKeyPair.generate();
    const message = new TextEncoder().encode("hello");
    const signature = await key.sign(message);
    expect(verify(null, message, ed25519PublicKeyObject(key.publicJwk), signature)).toBe(true);
  });
});
