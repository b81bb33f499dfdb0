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

describe("remembering accepted headers", () => {
  const remembering = () => {
    const acceptedHeaders = new Map();
    const checked: string[] = [];
    const withMemory: CompactJwsRules<JwsRefusal | string> = {
      ...rules,
      acceptedHeaders,
      checkHeader: (header) => {
        checked.push(String(header.alg));
        return rules.checkHeader?.(header);
      },
    };
    const decode = (text: string) => {
      const decoded = decodeCompactJws(text, withMemory);
      return decoded.ok ? decoded.value.header : decoded.error;
    };
    return { acceptedHeaders, checked, decode };
  };

  it("checks an accepted header once and then knows it by its exact text", () => {
    const { acceptedHeaders, checked, decode } = remembering();
    const text = compact('{"alg":"EdDSA","typ":"x"}');
    expect(decode(text)).toEqual({ alg: "EdDSA", typ: "x" });
    expect(decode(compact('{"alg":"EdDSA","typ":"x"}', '{"b":2}'))).toEqual({ alg: "EdDSA", typ: "x" });
    expect(checked).toEqual(["EdDSA"]);
    expect(acceptedHeaders.size).toBe(1);
  });

  it("never remembers a refused header: it is refused every time", () => {
    const { acceptedHeaders, decode } = remembering();
    const refused = compact('{"alg":"none","typ":"x"}');
    expect(decode(refused)).toBe("alg");
    expect(decode(refused)).toBe("alg");
    expect(decode(compact('{"alg":"EdDSA","alg":"EdDSA"}'))).toMatchObject({ part: "header" });
    expect(decode(compact('{"alg":"EdDSA","alg":"EdDSA"}'))).toMatchObject({ part: "header" });
    expect(acceptedHeaders.size).toBe(0);
  });

  it("still checks the rest of a token whose header it knows", () => {
    const { decode } = remembering();
    decode(compact('{"alg":"EdDSA"}'));
    const short = `${b64('{"alg":"EdDSA"}')}.${b64("{}")}.${Buffer.alloc(63).toString("base64url")}`;
    expect(decode(short)).toMatchObject({ part: "signature" });
    expect(decode(`${b64('{"alg":"EdDSA"}')}.${b64("{}")}`)).toMatchObject({ part: "compact" });
  });

  it("tells apart headers that differ only in spelling", () => {
    const { decode } = remembering();
    decode(compact('{"alg":"EdDSA"}'));
    expect(decode(compact('{"alg":"EdDSA" }'))).toEqual({ alg: "EdDSA" });
    expect(decode(compact('{"alg":"EdDSB"}'))).toBe("alg");
  });
});
