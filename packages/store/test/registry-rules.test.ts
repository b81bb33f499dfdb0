import { generateKeyPairSync } from "node:crypto";
import { type Ed25519PublicJwk, jwkThumbprint } from "@baton/token";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  addSigningKeyFits,
  checkAddSigningKeyInput,
  checkRegisterAgentInput,
  checkRegisterAudienceInput,
  checkReplaceSigningKeyMaterialInput,
  checkRetireSigningKeyInput,
  checkSetSettingInput,
  keyMaterialChangeFits,
  MAX_KEY_MATERIAL_CHANGES,
  registerAgentFits,
  registerAudienceFits,
  retireSigningKeyFits,
  storedSigningKeyJwk,
} from "../src/registry-rules.ts";
import { NOT_AN_OBJECT, refusal, T0 } from "./refusal.ts";

function agentKey(): { jwk: Ed25519PublicJwk; jkt: string } {
  const { publicKey } = generateKeyPairSync("ed25519");
  const { x } = publicKey.export({ format: "jwk" });
  const jwk: Ed25519PublicJwk = { kty: "OKP", crv: "Ed25519", x: x ?? "" };
  return { jwk, jkt: jwkThumbprint(jwk) };
}

const key = agentKey();
const agentInput = { id: "agent:bob", jwk: { ...key.jwk, use: "sig" }, jkt: key.jkt, at: T0 };
const noClash = { idTaken: false, lookalike: undefined, keyHolder: undefined };

describe("registering an agent", () => {
  it("keeps only the key's thumbprint members and fills absent names with null", () => {
    expect(checkRegisterAgentInput(agentInput)).toEqual({
      id: "agent:bob",
      jwk: key.jwk,
      jkt: key.jkt,
      name: null,
      owner: null,
      at: T0,
      audit: null,
    });
  });

  it("refuses a jkt that is not the thumbprint of the jwk", () => {
    expect(refusal(() => checkRegisterAgentInput({ ...agentInput, jkt: agentKey().jkt }))).toEqual({
      code: "invalid",
      field: "agent.jkt",
      message: "agent.jkt: is not the RFC 7638 thumbprint of agent.jwk",
    });
  });

  it("refuses a jwk that is not an Ed25519 public key, naming agent.jwk", () => {
    expect(refusal(() => checkRegisterAgentInput({ ...agentInput, jwk: { kty: "RSA" } })).field).toBe(
      "agent.jwk",
    );
  });

  it.each(NOT_AN_OBJECT)("refuses %j in place of the input", (input) => {
    expect(refusal(() => checkRegisterAgentInput(input))).toMatchObject({ code: "invalid", field: "agent" });
  });

  it("refuses a taken id, then a look-alike id, then a key already in use, in that order", () => {
    const agent = checkRegisterAgentInput(agentInput);
    const all = { idTaken: true, lookalike: "agent:Bob", keyHolder: "agent:carol" };
    expect(refusal(() => registerAgentFits(agent, all))).toEqual({
      code: "conflict",
      field: "agent.id",
      message: "agent.id: agent agent:bob is already registered",
    });
    expect(refusal(() => registerAgentFits(agent, { ...all, idTaken: false }))).toEqual({
      code: "agent_id_lookalike",
      field: "agent.id",
      message:
        "agent.id: agent:bob differs from the registered agent agent:Bob only in case; use agent:Bob or a distinct name",
    });
    expect(refusal(() => registerAgentFits(agent, { ...noClash, keyHolder: "agent:carol" }))).toMatchObject({
      code: "agent_key_in_use",
      field: "agent.jwk",
    });
    expect(() => registerAgentFits(agent, noClash)).not.toThrow();
  });
});

describe("registering an audience", () => {
  const input = { id: "github-tools", secretHash: "h".repeat(32), at: T0 };

  it("accepts a new audience and refuses one already registered", () => {
    const audience = checkRegisterAudienceInput(input);
    expect(audience).toEqual({ ...input, name: null });
    expect(() => registerAudienceFits(audience, { idTaken: false })).not.toThrow();
    expect(refusal(() => registerAudienceFits(audience, { idTaken: true }))).toEqual({
      code: "conflict",
      field: "audience.id",
      message: "audience.id: audience github-tools is already registered",
    });
  });

  it("refuses a secret hash too short to be a hash", () => {
    expect(refusal(() => checkRegisterAudienceInput({ ...input, secretHash: "short" })).field).toBe(
      "audience.secretHash",
    );
  });
});

describe("setting a value", () => {
  it("checks the name, the value and the time, in that order", () => {
    expect(checkSetSettingInput("feed.epoch", "v", T0)).toEqual({ key: "feed.epoch", value: "v", at: T0 });
    expect(refusal(() => checkSetSettingInput("Bad Key", 1, "x")).field).toBe("key");
    expect(refusal(() => checkSetSettingInput("ok", 1, "x")).field).toBe("value");
    expect(refusal(() => checkSetSettingInput("ok", "v", "x")).field).toBe("at");
  });

  test.prop([fc.string().filter((s) => !/^[a-z0-9][a-z0-9_.:-]{0,63}$/.test(s))])(
    "refuses any name outside [a-z0-9][a-z0-9_.:-]{0,63}",
    (name) => {
      expect(refusal(() => checkSetSettingInput(name, "v", T0))).toMatchObject({
        code: "invalid",
        field: "key",
      });
    },
  );
});

describe("signing keys", () => {
  function serviceKey(kid: string) {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const { x } = publicKey.export({ format: "jwk" });
    return {
      kid,
      publicJwk: { kty: "OKP", crv: "Ed25519", x, kid, alg: "Ed25519", use: "sig" },
      privateKeyPkcs8: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
      createdAt: T0,
    };
  }

  it("refuses a public JWK that names another kid", () => {
    const input = serviceKey("k1");
    expect(refusal(() => checkAddSigningKeyInput({ ...input, kid: "k2" }))).toEqual({
      code: "invalid",
      field: "key.publicJwk",
      message: 'key.publicJwk: must carry kid equal to key.kid, alg "Ed25519" and use "sig"',
    });
  });

  /** @see issue 17: RFC 9864 names the algorithm Ed25519; keys written before say EdDSA. */
  it("takes a public JWK saying Ed25519 or the deprecated EdDSA, and keeps it saying Ed25519", () => {
    for (const alg of ["Ed25519", "EdDSA"]) {
      const input = serviceKey("k1");
      const key = checkAddSigningKeyInput({ ...input, publicJwk: { ...input.publicJwk, alg } });
      expect(key.publicJwk.alg).toBe("Ed25519");
    }
    for (const alg of ["ed25519", "ES256", undefined]) {
      const input = serviceKey("k1");
      expect(
        refusal(() => checkAddSigningKeyInput({ ...input, publicJwk: { ...input.publicJwk, alg } })),
      ).toMatchObject({
        code: "invalid",
        field: "key.publicJwk",
      });
    }
  });

  /** @see issue 17 */
  it("reads a public JWK stored with alg EdDSA as Ed25519, members otherwise as stored", () => {
    const { publicJwk } = serviceKey("k1");
    const stored = JSON.stringify({ ...publicJwk, alg: "EdDSA" });
    expect(storedSigningKeyJwk(stored)).toEqual({ ...publicJwk, alg: "Ed25519" });
    expect(storedSigningKeyJwk(JSON.stringify(publicJwk))).toEqual(publicJwk);
  });

  it("refuses a kid that already names a key", () => {
    const key = checkAddSigningKeyInput(serviceKey("k1"));
    expect(() => addSigningKeyFits(key, { kidTaken: false })).not.toThrow();
    expect(refusal(() => addSigningKeyFits(key, { kidTaken: true }))).toEqual({
      code: "conflict",
      field: "key.kid",
      message: "key.kid: signing key k1 already exists",
    });
  });

  it("retires a live key, and refuses a missing one", () => {
    const retirement = checkRetireSigningKeyInput("k1", T0);
    expect(() => retireSigningKeyFits(retirement, { key: { retiredAt: null } })).not.toThrow();
    expect(refusal(() => retireSigningKeyFits(retirement, { key: undefined }))).toEqual({
      code: "not_found",
      field: "kid",
      message: "kid: no signing key k1",
    });
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 })])(
    "never re-dates or re-activates a retired key, whenever it was retired",
    (retiredAt, at) => {
      const retirement = checkRetireSigningKeyInput("k1", at);
      expect(refusal(() => retireSigningKeyFits(retirement, { key: { retiredAt } }))).toEqual({
        code: "conflict",
        field: "kid",
        message: "kid: signing key k1 is already retired",
      });
    },
  );

  it("refuses more key material changes than one call takes", () => {
    const change = { kid: "k1", from: "AAAA", to: "BBBB" };
    expect(checkReplaceSigningKeyMaterialInput([change])).toEqual([change]);
    expect(
      refusal(() => checkReplaceSigningKeyMaterialInput(Array(MAX_KEY_MATERIAL_CHANGES + 1).fill(change))),
    ).toEqual({
      code: "invalid",
      field: "changes",
      message: "changes: must be an array of at most 10000 changes",
    });
    expect(
      refusal(() => checkReplaceSigningKeyMaterialInput([change, { ...change, to: "not base64!" }])).field,
    ).toBe("changes[1].to");
  });

  it("refuses a change to a key that no longer holds the material it replaces", () => {
    expect(
      refusal(() => keyMaterialChangeFits({ kid: "k1", from: "AAAA", to: "BBBB" }, { holdsFrom: false })),
    ).toEqual({
      code: "conflict",
      field: "changes",
      message: "changes: signing key k1 is missing or changed meanwhile",
    });
  });
});
