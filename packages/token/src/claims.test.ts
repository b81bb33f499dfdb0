import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { encodeBase64url } from "./base64url.ts";
import {
  CLAIM_LIMITS,
  isAgentId,
  isAudience,
  isDelegationId,
  isTaskId,
  parseClaims,
  serializeClaims,
} from "./claims.ts";
import { randomDelegationId, randomId } from "./digest.ts";
import { alice, bob, claimsJson, hopClaims, NOW, rootClaims } from "./test-fixtures.ts";

const root = claimsJson(rootClaims());
const hop = claimsJson(hopClaims({ compact: "parent.compact.token", claims: rootClaims() }, bob));

function without(payload: Record<string, unknown>, name: string): Record<string, unknown> {
  const copy = { ...payload };
  delete copy[name];
  return copy;
}

function expectMalformed(payload: unknown, claim: string): void {
  expect(parseClaims(payload)).toMatchObject({ ok: false, error: { code: "malformed", claim } });
}

const REQUIRED = ["iss", "sub", "jti", "did", "dpt", "mdp", "tsk", "cap", "aud", "iat", "exp", "rvl", "cnf"];

describe("parseClaims", () => {
  it("parses a valid root grant", () => {
    const result = parseClaims(root);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // The serialized form leaves out an nbf equal to iat; parsing reads it back.
    expect(result.value).toEqual({ ...root, nbf: root.iat });
    expect(result.value).not.toHaveProperty("dlg");
    expect(result.value).not.toHaveProperty("apv");
  });

  it("parses a valid delegation hop", () => {
    const result = parseClaims(hop);
    expect(result).toMatchObject({ ok: true, value: { dpt: 1, dlg: alice.id, sub: bob.id } });
    if (result.ok) expect(result.value).toEqual({ ...hop, nbf: hop.iat });
  });

  it("parses a root that carries approvals", () => {
    expect(parseClaims({ ...root, apv: ["appr_1", "appr-2"] })).toMatchObject({
      ok: true,
      value: { apv: ["appr_1", "appr-2"] },
    });
  });

  it("refuses a payload that is not a JSON object", () => {
    for (const payload of [null, [], "claims", 1, true, undefined]) expectMalformed(payload, "payload");
  });

  it.each(REQUIRED)("refuses a root without %s", (name) => {
    expectMalformed(without(root, name), name);
  });

  it.each(REQUIRED)("refuses a hop without %s", (name) => {
    expectMalformed(without(hop, name), name);
  });

  it.each(["dlg", "par", "prf"])("refuses a root grant that carries %s", (name) => {
    expectMalformed({ ...root, [name]: hop[name] }, name);
  });

  it.each(["dlg", "par", "prf"])("refuses a hop without %s", (name) => {
    expectMalformed(without(hop, name), name);
  });

  it.each(["dlg", "par", "prf"])("refuses a root grant whose %s is null rather than absent", (name) => {
    expectMalformed({ ...root, [name]: null }, name);
  });

  it("refuses an unknown claim, named", () => {
    expectMalformed({ ...root, admin: true }, "admin");
    expectMalformed({ ...root, act: "x" }, "act");
    expectMalformed({ ...root, SUB: "agent:mallory" }, "SUB");
  });

  it("refuses __proto__ as an unknown claim", () => {
    const payload = Object.create(null) as Record<string, unknown>;
    Object.assign(payload, root);
    Object.defineProperty(payload, "__proto__", { value: { sub: "agent:mallory" }, enumerable: true });
    expectMalformed(payload, "__proto__");
    expectMalformed(JSON.parse(`{"__proto__":1,${JSON.stringify(root).slice(1)}`), "__proto__");
  });

  describe("iss", () => {
    it.each([
      ["a number", 1],
      ["not a URL", "baton"],
      ["another scheme", "ftp://baton.example"],
      ["a URL with a space", "https://baton example"],
      ["a URL with non-ASCII", "https://bаton.example"],
      ["empty", ""],
      ["over 256 characters", `https://${"a".repeat(249)}`],
    ])("refuses an iss that is %s", (_, iss) => {
      expectMalformed({ ...root, iss }, "iss");
    });

    it("accepts an iss of exactly 256 characters", () => {
      expect(parseClaims({ ...root, iss: `https://${"a".repeat(248)}` }).ok).toBe(true);
    });
  });

  describe("agent ids (sub, dlg)", () => {
    const bad: [string, unknown][] = [
      ["a number", 42],
      ["an array", ["agent:alice"]],
      ["a bare name", "alice"],
      ["an empty name", "agent:"],
      ["a Cyrillic look-alike letter", "agent:аlice"],
      ["a fullwidth letter", "agent:ａlice"],
      ["an accented letter", "agent:alicé"],
      ["a decomposed accent (NFD)", "agent:alice\u0301"],
      ["a zero-width space", "agent:ali\u200bce"],
      ["whitespace", "agent:alice "],
      ["a trailing newline", "agent:alice\n"],
      ["a slash", "agent:alice/bob"],
      ["a leading dot", "agent:.alice"],
      ["an upper-case prefix", "Agent:alice"],
      ["a SPIFFE ID with a .. segment", "spiffe://acme.example/ns/../admin"],
      ["a SPIFFE ID with a . segment", "spiffe://acme.example/./admin"],
      ["a SPIFFE ID with an empty segment", "spiffe://acme.example//admin"],
      ["a SPIFFE ID without a path", "spiffe://acme.example"],
      ["a SPIFFE ID with an upper-case trust domain", "spiffe://ACME.example/a"],
      ["a SPIFFE ID with a percent escape", "spiffe://acme.example/a%2Fb"],
      ["over 255 characters", `agent:${"a".repeat(250)}`],
    ];

    it.each(bad)("refuses a sub that is %s", (_, sub) => {
      expectMalformed({ ...root, sub }, "sub");
    });

    it.each(bad)("refuses a dlg that is %s", (_, dlg) => {
      expectMalformed({ ...hop, dlg }, "dlg");
    });

    it("accepts agent names and SPIFFE IDs", () => {
      for (const id of [
        "agent:alice",
        "agent:a",
        "agent:A9._-x",
        "spiffe://acme.example/ns/prod/sa/planner",
      ]) {
        expect(isAgentId(id)).toBe(true);
      }
      expect(isAgentId(`agent:${"a".repeat(249)}`)).toBe(true);
    });
  });

  describe("random ids (jti, did, par)", () => {
    const sixteen = randomId();
    const bad: [string, unknown][] = [
      ["a number", 1],
      ["too short (15 bytes)", sixteen.slice(0, 20)],
      ["too long (17 bytes)", `${sixteen}AA`],
      ["not canonical (trailing bits)", `${sixteen.slice(0, 21)}${sixteen.endsWith("B") ? "C" : "B"}`],
      ["padded", `${sixteen}==`],
      ["standard base64", `${sixteen.slice(0, 20)}+/`],
      ["empty", ""],
    ];
    for (const name of ["jti", "did"]) {
      it.each(bad)(`refuses a ${name} that is %s`, (_, value) => {
        expectMalformed({ ...root, [name]: value }, name);
      });
    }
    it.each(bad)("refuses a par that is %s", (_, par) => {
      expectMalformed({ ...hop, par }, "par");
    });

    it("accepts a did and a par of 12 bytes, as issued now, and of 16, as issued before", () => {
      const twelve = randomDelegationId();
      expect(twelve).toHaveLength(16);
      for (const did of [twelve, sixteen]) {
        expect(parseClaims({ ...root, did })).toMatchObject({ ok: true, value: { did } });
        expect(parseClaims({ ...hop, did, par: did })).toMatchObject({ ok: true, value: { did, par: did } });
      }
    });

    it("refuses a jti of 12 bytes: a token version id stays 128-bit", () => {
      expectMalformed({ ...root, jti: randomDelegationId() }, "jti");
    });

    test.prop([fc.uint8Array({ minLength: 0, maxLength: 24 })])(
      "takes a did of n random bytes exactly when n is 12 or 16",
      (bytes) => {
        const did = encodeBase64url(bytes);
        const expected = bytes.length === 12 || bytes.length === 16;
        expect(isDelegationId(did)).toBe(expected);
        expect(parseClaims({ ...root, did }).ok).toBe(expected);
        expect(parseClaims({ ...hop, par: did }).ok).toBe(expected);
      },
    );
  });

  describe("prf", () => {
    it.each([
      ["a number", 1],
      ["16 bytes", randomId()],
      ["hex", "a".repeat(64)],
      ["padded", `${"A".repeat(43)}=`],
    ])("refuses a prf that is %s", (_, prf) => {
      expectMalformed({ ...hop, prf }, "prf");
    });
  });

  describe("counts (dpt, mdp)", () => {
    const bad: [string, unknown][] = [
      ["negative", -1],
      ["a float", 1.5],
      ["a string", "1"],
      ["an array", [1]],
      ["null", null],
      ["a boolean", true],
      ["over the limit", CLAIM_LIMITS.maxDepth + 1],
      ["huge", 1e300],
    ];
    it.each(bad)("refuses a dpt that is %s", (_, dpt) => {
      expectMalformed({ ...hop, dpt }, "dpt");
    });
    it.each(bad)("refuses an mdp that is %s", (_, mdp) => {
      expectMalformed({ ...root, mdp }, "mdp");
    });
    it("accepts mdp 0 and mdp at the limit", () => {
      expect(parseClaims({ ...root, mdp: 0 }).ok).toBe(true);
      expect(parseClaims({ ...root, mdp: CLAIM_LIMITS.maxDepth }).ok).toBe(true);
    });
  });

  describe("tsk", () => {
    it.each([
      ["a number", 42],
      ["empty", ""],
      ["non-ASCII", "tâche-42"],
      ["a Cyrillic look-alike", "tаsk-42"],
      ["a fullwidth digit", "task-４2"],
      ["whitespace", "task 42"],
      ["a slash", "task/42"],
      ["a leading dash", "-task"],
      ["over 128 characters", "t".repeat(129)],
    ])("refuses a tsk that is %s", (_, tsk) => {
      expectMalformed({ ...root, tsk }, "tsk");
    });

    it("accepts a task id of exactly 128 characters", () => {
      expect(isTaskId("t".repeat(128))).toBe(true);
      expect(isTaskId("ticket:JIRA-1.2_x")).toBe(true);
    });
  });

  describe("cap", () => {
    it.each([
      ["not an array", { act: "a", res: "r:x" }],
      ["empty", []],
      [
        "over the limit",
        Array.from({ length: CLAIM_LIMITS.maxCapabilities + 1 }, (_, i) => ({ act: `a${i}`, res: "r:x" })),
      ],
      ["null", null],
    ])("refuses a cap that is %s", (_, cap) => {
      expectMalformed({ ...root, cap }, "cap");
    });

    it("accepts exactly the limit of capabilities", () => {
      const cap = Array.from({ length: CLAIM_LIMITS.maxCapabilities }, (_, i) => ({
        act: `a${i}`,
        res: "r:x",
      }));
      expect(parseClaims({ ...root, cap }).ok).toBe(true);
    });

    it("names the capability member at fault", () => {
      expectMalformed(
        {
          ...root,
          cap: [
            { act: "a", res: "r:x" },
            { act: "a..b", res: "r:x" },
          ],
        },
        "cap[1].act",
      );
      expectMalformed({ ...root, cap: [{ act: "a", res: "r:x/../y" }] }, "cap[0].res");
      expectMalformed(
        { ...root, cap: [{ act: "a", res: "r:x", lim: { n: { max: "5" } } }] },
        "cap[0].lim.n.max",
      );
      expectMalformed({ ...root, cap: [{ act: "a", res: "r:x", extra: 1 }] }, "cap[0].extra");
      expectMalformed({ ...root, cap: ["a"] }, "cap[0]");
    });
  });

  describe("aud", () => {
    it.each([
      ["not an array", "tools.example"],
      ["empty", []],
      ["over the limit", Array.from({ length: CLAIM_LIMITS.maxAudiences + 1 }, (_, i) => `tool${i}.example`)],
      ["holding a duplicate", ["tools.example", "tools.example"]],
      ["holding * twice", ["*", "*"]],
      ["holding an empty name", [""]],
      ["holding a number", [1]],
      ["holding **", ["**"]],
      ["holding a name with a space", ["tools example"]],
      ["holding a non-ASCII name", ["tооls.example"]],
      ["holding an over-long name", [`a${"b".repeat(256)}`]],
    ])("refuses an aud that is %s", (_, aud) => {
      expectMalformed({ ...root, aud }, "aud");
    });

    it("accepts * as an audience", () => {
      expect(parseClaims({ ...root, aud: ["*"] })).toMatchObject({ ok: true, value: { aud: ["*"] } });
      expect(isAudience("*")).toBe(true);
      expect(isAudience("https://tools.example/mcp")).toBe(true);
    });
  });

  describe("times (iat, nbf, exp, rvl)", () => {
    const bad: [string, unknown][] = [
      ["negative", -1],
      ["a float", NOW + 0.5],
      ["a string", String(NOW)],
      ["an array", [NOW]],
      ["an object", { t: NOW }],
      ["null", null],
      ["a boolean", true],
      ["beyond 2^40", 2 ** 40 + 1],
      ["beyond the safe integers", 2 ** 53 + 2],
      ["huge", 1e300],
    ];
    for (const name of ["iat", "nbf", "exp", "rvl"]) {
      it.each(bad)(`refuses an ${name} that is %s`, (_, value) => {
        expectMalformed({ ...root, [name]: value }, name);
      });
    }

    it("accepts times up to 2^40", () => {
      expect(parseClaims({ ...root, exp: 2 ** 40, rvl: 2 ** 40 }).ok).toBe(true);
      expect(parseClaims({ ...root, iat: 0, nbf: 0 }).ok).toBe(true);
    });

    it("reads an absent nbf as iat, and serializes an nbf equal to iat by leaving it out", () => {
      const { nbf: _nbf, ...withoutNbf } = root as Record<string, unknown>;
      const parsed = parseClaims(withoutNbf);
      expect(parsed.ok && parsed.value.nbf).toBe((root as { iat: number }).iat);
      if (!parsed.ok) return;
      expect(JSON.parse(serializeClaims(parsed.value))).not.toHaveProperty("nbf");
      const later = { ...parsed.value, nbf: parsed.value.iat + 60 };
      expect(JSON.parse(serializeClaims(later)).nbf).toBe(parsed.value.iat + 60);
    });

    it("refuses nbf before iat", () => {
      expectMalformed({ ...root, iat: NOW, nbf: NOW - 1 }, "nbf");
    });

    it("refuses exp at or before nbf", () => {
      expectMalformed({ ...root, nbf: NOW, iat: NOW, exp: NOW, rvl: NOW }, "exp");
      expectMalformed({ ...root, nbf: NOW, iat: NOW, exp: NOW - 1, rvl: NOW - 1 }, "exp");
    });

    it("refuses rvl after exp", () => {
      expectMalformed({ ...root, rvl: (root.exp as number) + 1 }, "rvl");
    });

    it("refuses rvl at or before nbf", () => {
      expectMalformed({ ...root, rvl: root.nbf }, "rvl");
    });

    it("accepts rvl equal to exp", () => {
      expect(parseClaims({ ...root, rvl: root.exp }).ok).toBe(true);
    });
  });

  describe("cnf", () => {
    const jkt = (root.cnf as { jkt: string }).jkt;
    it.each([
      ["not an object", jkt],
      ["an array", [jkt]],
      ["null", null],
      ["empty", {}],
      ["carrying an extra member", { jkt, jwk: { kty: "OKP" } }],
      ["carrying only another member", { kid: "x" }],
      ["a jkt that is not a string", { jkt: 1 }],
    ])("refuses a cnf that is %s", (_, cnf) => {
      expectMalformed({ ...root, cnf }, "cnf");
    });

    it.each([
      ["too short", jkt.slice(0, 42)],
      ["hex", "a".repeat(64)],
      ["padded", `${jkt}=`],
    ])("refuses a cnf.jkt that is %s", (_, value) => {
      expectMalformed({ ...root, cnf: { jkt: value } }, "cnf.jkt");
    });
  });

  describe("apv", () => {
    it.each([
      ["not an array", "appr_1"],
      ["empty", []],
      ["over the limit", Array.from({ length: CLAIM_LIMITS.maxApprovals + 1 }, (_, i) => `appr_${i}`)],
      ["holding a duplicate", ["appr_1", "appr_1"]],
      ["holding a number", [1]],
      ["holding an empty id", [""]],
      ["holding an id with a dot", ["appr.1"]],
      ["holding an over-long id", ["a".repeat(65)]],
      ["null", null],
    ])("refuses an apv that is %s", (_, apv) => {
      expectMalformed({ ...root, apv }, "apv");
    });
  });

  test.prop([fc.constantFrom(...REQUIRED, "nbf", "dlg", "par", "prf", "apv"), fc.anything()], {
    numRuns: 300,
  })(
    "never throws on a claim replaced by an arbitrary value, and refuses only with malformed",
    (name, value) => {
      const result = parseClaims({ ...hop, [name]: value });
      if (!result.ok) expect(result.error).toMatchObject({ code: "malformed" });
    },
  );
});

describe("serializeClaims", () => {
  it("writes claims in one fixed order, leaving out absent ones (and an nbf that would only repeat iat)", () => {
    const base = rootClaims();
    const text = serializeClaims({ ...base, nbf: base.iat + 1 });
    expect(Object.keys(JSON.parse(text))).toEqual([
      "iss",
      "sub",
      "jti",
      "did",
      "dpt",
      "mdp",
      "tsk",
      "cap",
      "aud",
      "iat",
      "nbf",
      "exp",
      "rvl",
      "cnf",
    ]);
    const hopText = serializeClaims(hopClaims({ compact: "p", claims: rootClaims() }, bob, { apv: ["a1"] }));
    // This hop's nbf equals its iat, so it is left out.
    expect(Object.keys(JSON.parse(hopText))).toEqual([
      "iss",
      "sub",
      "dlg",
      "jti",
      "did",
      "par",
      "prf",
      "dpt",
      "mdp",
      "tsk",
      "cap",
      "aud",
      "iat",
      "exp",
      "rvl",
      "cnf",
      "apv",
    ]);
  });

  it("gives equal bytes for equal claims whatever the member order of the input", () => {
    const claims = rootClaims();
    const reordered = Object.fromEntries(Object.entries(claimsJson(claims)).reverse());
    const parsed = parseClaims(reordered);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(serializeClaims(parsed.value)).toBe(serializeClaims(claims));
  });

  it("round-trips through parseClaims", () => {
    for (const claims of [rootClaims(), hopClaims({ compact: "p", claims: rootClaims() }, bob)]) {
      expect(parseClaims(JSON.parse(serializeClaims(claims)))).toEqual({ ok: true, value: claims });
    }
  });
});
