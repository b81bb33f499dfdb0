import { describe, expect, it } from "vitest";
import { type CompactJwsRules, decodeCompactJws, type JwsRefusal } from "./compact-jws.ts";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");
const signature = Buffer.alloc(64, 7).toString("base64url");
const compact = (header: string, payload = "{}") => `${b64(header)}.${b64(payload)}.${signature}`;

const rules: CompactJwsRules<JwsRefusal | string> = {
  maxBytes: 512,
  maxHeaderDepth: 1,
  headerMembers: ["alg", "typ"],
  signatureBytes: 64,
  refuse: (refusal) => refusal,
  checkHeader: (header) => (header.alg === "EdDSA" ? undefined : "alg"),
};
const refusal = (text: string) => {
  const decoded = decodeCompactJws(text, rules);
  return decoded.ok ? "accepted" : decoded.error;
};

describe("decodeCompactJws", () => {
  it("splits a compact JWS, keeping the exact signing input and the payload text", () => {
    const text = compact('{"alg":"EdDSA","typ":"x"}', '{"a":1}');
    const decoded = decodeCompactJws(text, rules);
    expect(decoded.ok && decoded.value.signingInput).toBe(text.slice(0, text.lastIndexOf(".")));
    expect(decoded.ok && decoded.value.payloadText).toBe('{"a":1}');
    expect(decoded.ok && decoded.value.header).toEqual({ alg: "EdDSA", typ: "x" });
  });

  it("refuses a header that starts with a byte-order mark instead of dropping it", () => {
    expect(refusal(compact('\uFEFF{"alg":"EdDSA"}'))).toMatchObject({ problem: "malformed", part: "header" });
  });

  it("keeps a payload's byte-order mark in the text, so strict JSON refuses it", () => {
    const decoded = decodeCompactJws(compact('{"alg":"EdDSA"}', '\uFEFF{"a":1}'), rules);
    expect(decoded.ok && decoded.value.payloadText.startsWith("\uFEFF")).toBe(true);
  });

  it("refuses a repeated header member, and a member the caller did not name", () => {
    expect(refusal(compact('{"alg":"EdDSA","alg":"EdDSA"}'))).toMatchObject({ part: "header" });
    expect(refusal(compact('{"alg":"EdDSA","jku":"https://evil.test"}'))).toMatchObject({
      part: "header",
      member: "jku",
    });
  });

  it("runs the caller's header rules before it looks at the signature", () => {
    expect(refusal(`${b64('{"alg":"none"}')}.${b64("{}")}.AA`)).toBe("alg");
  });

  it("checks the size before anything else, then the shape and the canonical encoding", () => {
    expect(refusal("x".repeat(513))).toMatchObject({ problem: "too_large" });
    expect(refusal("a.b")).toMatchObject({ part: "compact" });
    expect(refusal(`${compact('{"alg":"EdDSA"}')}=`)).toMatchObject({ part: "compact" });
    expect(refusal(`${b64('{"alg":"EdDSA"}')}.${b64("{}")}.${signature.slice(0, -2)}`)).toMatchObject({
      part: "signature",
    });
  });
});
