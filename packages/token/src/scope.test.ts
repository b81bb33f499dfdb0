import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  allows,
  allowsAction,
  type Call,
  type Capability,
  capsCover,
  covers,
  MAX_LIMIT_VALUES,
  MAX_LIMITS_PER_CAPABILITY,
  MAX_PATTERN_LENGTH,
  parseCall,
  parseCapability,
} from "./scope.ts";
import { unwrap } from "./test-fixtures.ts";

function cap(act: string, res: string, lim?: unknown): Capability {
  return unwrap(parseCapability(lim === undefined ? { act, res } : { act, res, lim }));
}

function expectMalformed(value: unknown, claim: string): void {
  expect(parseCapability(value)).toMatchObject({ ok: false, error: { code: "malformed", claim } });
}

describe("parseCapability", () => {
  it("refuses an empty lim object, the second spelling of no limits", () => {
    const parsed = parseCapability({ act: "a", res: "repo:x", lim: {} });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect([parsed.error.code, parsed.error.claim]).toEqual(["malformed", "cap.lim"]);
  });

  describe("action patterns", () => {
    it.each([
      "a",
      "github.issues.create",
      "a.*",
      "github.issues.*",
      "*",
      "A-b_c.D9",
      "x".repeat(MAX_PATTERN_LENGTH),
    ])("accepts %s", (act) => {
      expect(parseCapability({ act, res: "repo:x" })).toEqual({ ok: true, value: { act, res: "repo:x" } });
    });

    it.each([
      ["empty", ""],
      ["an empty segment", "a..b"],
      ["a leading dot", ".a"],
      ["a trailing dot", "a."],
      ["a wildcard in the middle", "a.*.b"],
      ["a leading wildcard", "*.a"],
      ["a partial wildcard", "a*"],
      ["a partial wildcard segment", "a.b*"],
      ["a wildcard prefix in a segment", "a.*b"],
      ["a double wildcard", "**"],
      ["a double wildcard segment", "a.**"],
      ["a bare dot and wildcard", ".*"],
      ["two wildcards", "*.*"],
      ["a space", "a b"],
      ["a tab", "a\tb"],
      ["a newline", "a.b\n"],
      ["a NUL", "a\u0000b"],
      ["a slash", "a/b"],
      ["a colon", "mail:send"],
      ["a percent escape", "a%2Eb"],
      ["a backslash", "a\\b"],
      ["a fullwidth letter", "ｍail.send"],
      ["a one-dot leader instead of a dot", "mail\u2024send"],
      ["a fullwidth full stop", "mail\uff0esend"],
      ["a Cyrillic look-alike", "mаil.send"],
      ["a zero-width joiner", "mail\u200d.send"],
      ["over 512 characters", "x".repeat(MAX_PATTERN_LENGTH + 1)],
    ])("refuses an action with %s", (_, act) => {
      expectMalformed({ act, res: "repo:x" }, "cap.act");
    });

    it("refuses a non-string action", () => {
      expectMalformed({ act: 1, res: "repo:x" }, "cap.act");
      expectMalformed({ act: ["a"], res: "repo:x" }, "cap.act");
      expectMalformed({ res: "repo:x" }, "cap.act");
    });
  });

  describe("resource patterns", () => {
    it.each([
      ["a one-segment literal", "repo:acme"],
      ["a literal", "repo:acme/web/issues/42"],
      ["P/**", "repo:acme/**"],
      ["scheme:**", "repo:**"],
      ["**", "**"],
      ["a scheme with + and -", "a+b-c:x"],
      ["every allowed path character", "repo:a-._~:@+=,!Z9"],
      ["a colon in the path", "repo:a:b"],
      ["a segment of three dots", "repo:..."],
      ["exactly 512 characters", `repo:${"x".repeat(MAX_PATTERN_LENGTH - 5)}`],
    ])("accepts a resource that is %s", (_, res) => {
      expect(parseCapability({ act: "a", res })).toEqual({ ok: true, value: { act: "a", res } });
    });

    it.each([
      ["empty", ""],
      ["no scheme", "acme/web"],
      ["an empty scheme", ":acme"],
      ["an upper-case scheme", "Repo:acme"],
      ["a scheme starting with a digit", "1repo:acme"],
      ["an empty path", "repo:"],
      ["an empty segment", "repo:acme//web"],
      ["a leading slash", "repo:/acme"],
      ["a trailing slash", "repo:acme/web/"],
      ["a . segment", "repo:acme/./web"],
      ["a .. segment", "repo:acme/../admin"],
      ["a leading .. segment", "repo:../admin"],
      ["only ..", "repo:.."],
      ["only .", "repo:."],
      ["a percent-encoded slash", "repo:acme%2Fadmin"],
      ["a lower-case percent-encoded slash", "repo:acme%2fadmin"],
      ["percent-encoded dots", "repo:acme/%2e%2e/admin"],
      ["a bare percent", "repo:100%"],
      ["a backslash", "repo:acme\\admin"],
      ["a space", "repo:acme web"],
      ["a tab", "repo:acme\tweb"],
      ["a newline", "repo:acme\nweb"],
      ["a NUL", "repo:acme\u0000"],
      ["a DEL", "repo:acme\u007f"],
      ["a division slash (U+2215)", "repo:acme\u2215admin"],
      ["a fullwidth slash", "repo:acme\uff0fadmin"],
      ["a fraction slash", "repo:acme\u2044admin"],
      ["a one-dot leader", "repo:acme/\u2024\u2024/admin"],
      ["a fullwidth letter", "repo:ａcme"],
      ["an NFC accented letter", "repo:caf\u00e9"],
      ["an NFD accented letter", "repo:cafe\u0301"],
      ["a query string", "repo:acme?x=1"],
      ["a fragment", "repo:acme#x"],
      ["a partial wildcard", "repo:acme*"],
      ["a partial double wildcard", "repo:**x"],
      ["a partial double wildcard at the end", "repo:acme/a**"],
      ["a wildcard in the middle", "repo:acme/**/web"],
      ["a single-star segment", "repo:acme/*"],
      ["a single star path", "repo:*"],
      ["a triple star", "repo:acme/***"],
      ["a trailing slash after **", "repo:acme/**/"],
      ["a bare single star", "*"],
      ["over 512 characters", `repo:${"x".repeat(MAX_PATTERN_LENGTH - 4)}`],
    ])("refuses a resource with %s", (_, res) => {
      expectMalformed({ act: "a", res }, "cap.res");
    });

    it("refuses a non-string resource", () => {
      expectMalformed({ act: "a", res: null }, "cap.res");
      expectMalformed({ act: "a" }, "cap.res");
    });
  });

  describe("shape", () => {
    it("refuses a capability that is not an object", () => {
      for (const value of [null, "a", 1, [], [{ act: "a", res: "r:x" }]]) expectMalformed(value, "cap");
    });

    it("refuses an unknown member, named", () => {
      expectMalformed({ act: "a", res: "r:x", scope: "admin" }, "cap.scope");
      expectMalformed({ act: "a", res: "r:x", Act: "b" }, "cap.Act");
    });

    it("uses the claim path it is given", () => {
      expect(parseCapability({ act: "", res: "r:x" }, "cap[3]")).toMatchObject({
        error: { claim: "cap[3].act" },
      });
    });
  });

  describe("limits", () => {
    it("accepts max, min and in, and keeps them", () => {
      const lim = {
        amount: { max: 100, min: 0 },
        region: { in: ["eu", "us"] },
        count: { in: [1, 2] },
        _x: { min: -1.5 },
      };
      expect(parseCapability({ act: "a", res: "r:x", lim })).toEqual({
        ok: true,
        value: { act: "a", res: "r:x", lim },
      });
    });

    it("accepts min equal to max", () => {
      expect(parseCapability({ act: "a", res: "r:x", lim: { n: { min: 3, max: 3 } } }).ok).toBe(true);
    });

    it.each([
      ["an array", [{ max: 1 }]],
      ["null", null],
      ["a number", 5],
      [
        "too many arguments",
        Object.fromEntries(
          Array.from({ length: MAX_LIMITS_PER_CAPABILITY + 1 }, (_, i) => [`a${i}`, { max: 1 }]),
        ),
      ],
      ["an argument name starting with a digit", { "1a": { max: 1 } }],
      ["an argument name with a dash", { "a-b": { max: 1 } }],
      ["an argument name with a dot", { "a.b": { max: 1 } }],
      ["an empty argument name", { "": { max: 1 } }],
      ["a non-ASCII argument name", { ámount: { max: 1 } }],
      ["an over-long argument name", { ["a".repeat(65)]: { max: 1 } }],
    ])("refuses a lim that is %s", (_, lim) => {
      expectMalformed({ act: "a", res: "r:x", lim }, "cap.lim");
    });

    it("accepts exactly the limit of arguments", () => {
      const lim = Object.fromEntries(
        Array.from({ length: MAX_LIMITS_PER_CAPABILITY }, (_, i) => [`a${i}`, { max: 1 }]),
      );
      expect(parseCapability({ act: "a", res: "r:x", lim }).ok).toBe(true);
    });

    it.each([
      ["not an object", 5],
      ["an array", [5]],
      ["null", null],
      ["empty", {}],
      ["min above max", { min: 5, max: 4 }],
    ])("refuses an argument limit that is %s", (_, limit) => {
      expectMalformed({ act: "a", res: "r:x", lim: { n: limit } }, "cap.lim.n");
    });

    it("refuses an unknown constraint, named", () => {
      expectMalformed({ act: "a", res: "r:x", lim: { n: { max: 1, regex: ".*" } } }, "cap.lim.n.regex");
      expectMalformed({ act: "a", res: "r:x", lim: { n: { Max: 1 } } }, "cap.lim.n.Max");
      expectMalformed(
        { act: "a", res: "r:x", lim: { n: { __proto__: null, constructor: 1 } } },
        "cap.lim.n.constructor",
      );
    });

    it.each([
      ["a string", "5"],
      ["null", null],
      ["an array", [5]],
      ["infinite", Number.POSITIVE_INFINITY],
      ["NaN", Number.NaN],
    ])("refuses a max or min that is %s", (_, bound) => {
      expectMalformed({ act: "a", res: "r:x", lim: { n: { max: bound } } }, "cap.lim.n.max");
      expectMalformed({ act: "a", res: "r:x", lim: { n: { min: bound } } }, "cap.lim.n.min");
    });

    it.each([
      ["not an array", "eu"],
      ["empty", []],
      ["too long", Array.from({ length: MAX_LIMIT_VALUES + 1 }, (_, i) => i)],
      ["holding duplicates", ["eu", "eu"]],
      ["holding duplicate numbers", [1, 1]],
      ["holding 0 and -0", [0, -0]],
      ["holding null", [null]],
      ["holding a boolean", [true]],
      ["holding an object", [{}]],
      ["holding an array", [["eu"]]],
      ["holding an infinite number", [Number.POSITIVE_INFINITY]],
      ["holding an over-long string", ["x".repeat(257)]],
      ["holding a lone surrogate", ["\ud800"]],
    ])("refuses an in that is %s", (_, values) => {
      expectMalformed({ act: "a", res: "r:x", lim: { n: { in: values } } }, "cap.lim.n.in");
    });

    it("accepts an in of exactly the limit, and keeps 1 and '1' apart", () => {
      const values = Array.from({ length: MAX_LIMIT_VALUES }, (_, i) => i);
      expect(parseCapability({ act: "a", res: "r:x", lim: { n: { in: values } } }).ok).toBe(true);
      expect(parseCapability({ act: "a", res: "r:x", lim: { n: { in: [1, "1"] } } }).ok).toBe(true);
    });

    /** @see the __proto__ limit regression: a limit must never be silently dropped. */
    it("refuses __proto__ as an argument name rather than silently dropping its limit", () => {
      const lim = JSON.parse('{"__proto__":{"max":1}}') as unknown;
      expectMalformed({ act: "pay.send", res: "acct:ops", lim }, "cap.lim");
    });
  });
});

describe("parseCall", () => {
  it("accepts a concrete call", () => {
    const call = { action: "github.issues.create", resource: "repo:acme/web/issues/42", args: { n: 1 } };
    expect(parseCall(call)).toEqual({ ok: true, value: call });
  });

  it("refuses wildcards in a concrete call", () => {
    expect(parseCall({ action: "*", resource: "repo:x" })).toMatchObject({
      ok: false,
      error: { code: "malformed", claim: "action" },
    });
    expect(parseCall({ action: "a.*", resource: "repo:x" })).toMatchObject({
      ok: false,
      error: { claim: "action" },
    });
    expect(parseCall({ action: "a", resource: "**" })).toMatchObject({
      ok: false,
      error: { code: "malformed", claim: "resource" },
    });
    expect(parseCall({ action: "a", resource: "repo:**" })).toMatchObject({
      ok: false,
      error: { claim: "resource" },
    });
    expect(parseCall({ action: "a", resource: "repo:x/**" })).toMatchObject({
      ok: false,
      error: { claim: "resource" },
    });
  });

  it("refuses a call whose action or resource is not a string, without throwing", () => {
    const notStrings = [
      { action: 1, resource: "repo:x" },
      { action: "a", resource: null },
      { action: ["a"], resource: "repo:x" },
      { resource: "repo:x" },
    ] as unknown as Call[];
    for (const call of notStrings) {
      expect(parseCall(call)).toMatchObject({ ok: false, error: { code: "malformed" } });
      expect(allows([cap("*", "**")], call)).toBe(false);
    }
  });

  it("refuses a non-canonical call", () => {
    expect(parseCall({ action: "a", resource: "repo:x/../y" })).toMatchObject({
      ok: false,
      error: { claim: "resource" },
    });
    expect(parseCall({ action: "a..b", resource: "repo:x" })).toMatchObject({
      ok: false,
      error: { claim: "action" },
    });
  });
});

describe("covers", () => {
  describe("actions", () => {
    it("lets * cover every action pattern", () => {
      for (const act of ["*", "a", "a.b", "a.*", "a.b.*"])
        expect(covers(cap("*", "**"), cap(act, "**"))).toBe(true);
    });

    it("lets p.* cover one or more segments under p, and never p itself", () => {
      const parent = cap("mail.*", "**");
      for (const act of ["mail.send", "mail.send.bulk", "mail.send.*", "mail.*"]) {
        expect(covers(parent, cap(act, "**"))).toBe(true);
      }
      for (const act of ["mail", "mailx.send", "mai.send", "*", "send.mail", "Mail.send"]) {
        expect(covers(parent, cap(act, "**"))).toBe(false);
      }
    });

    it("lets a literal cover only itself", () => {
      const parent = cap("mail.send", "**");
      expect(covers(parent, cap("mail.send", "**"))).toBe(true);
      for (const act of ["mail", "mail.send.bulk", "mail.*", "mail.send.*", "*", "Mail.send", "mail.Send"]) {
        expect(covers(parent, cap(act, "**"))).toBe(false);
      }
    });
  });

  describe("resources", () => {
    it("lets ** cover every resource pattern", () => {
      for (const res of ["**", "repo:**", "repo:a", "repo:a/**", "mail:x/y"])
        expect(covers(cap("a", "**"), cap("a", res))).toBe(true);
    });

    it("lets scheme:** cover every path of that scheme only", () => {
      const parent = cap("a", "repo:**");
      for (const res of ["repo:**", "repo:a", "repo:a/b", "repo:a/**"])
        expect(covers(parent, cap("a", res))).toBe(true);
      for (const res of ["**", "mail:a", "mail:**", "repox:a", "rep:a"])
        expect(covers(parent, cap("a", res))).toBe(false);
    });

    it("lets P/** cover one or more segments under P, and never P itself", () => {
      const parent = cap("a", "repo:acme/**");
      for (const res of ["repo:acme/web", "repo:acme/web/issues/42", "repo:acme/web/**", "repo:acme/**"]) {
        expect(covers(parent, cap("a", res))).toBe(true);
      }
      for (const res of [
        "repo:acme",
        "repo:acmex/web",
        "repo:acm/web",
        "repo:**",
        "**",
        "mail:acme/web",
        "repo:Acme/web",
      ]) {
        expect(covers(parent, cap("a", res))).toBe(false);
      }
    });

    it("lets a literal cover only itself, case-sensitively", () => {
      const parent = cap("a", "repo:acme/web");
      expect(covers(parent, cap("a", "repo:acme/web"))).toBe(true);
      for (const res of [
        "repo:acme",
        "repo:acme/web/x",
        "repo:acme/web/**",
        "repo:ACME/web",
        "repo:acme/Web",
        "mail:acme/web",
      ]) {
        expect(covers(parent, cap("a", res))).toBe(false);
      }
    });
  });

  describe("limits", () => {
    const parent = cap("pay.send", "acct:**", { amount: { max: 100, min: 1 }, region: { in: ["eu", "us"] } });

    it("covers a child whose limits are at least as strict", () => {
      expect(
        covers(
          parent,
          cap("pay.send", "acct:a", { amount: { max: 100, min: 1 }, region: { in: ["eu", "us"] } }),
        ),
      ).toBe(true);
      expect(
        covers(parent, cap("pay.send", "acct:a", { amount: { max: 50, min: 10 }, region: { in: ["eu"] } })),
      ).toBe(true);
    });

    it("covers a child that adds a limit of its own", () => {
      expect(
        covers(
          parent,
          cap("pay.send", "acct:a", {
            amount: { max: 5, min: 1 },
            region: { in: ["eu"] },
            memo: { in: ["x"] },
          }),
        ),
      ).toBe(true);
    });

    it("does not cover a child that drops a limit", () => {
      expect(covers(parent, cap("pay.send", "acct:a", { amount: { max: 5, min: 1 } }))).toBe(false);
      expect(covers(parent, cap("pay.send", "acct:a"))).toBe(false);
    });

    it("does not cover a child that loosens a limit", () => {
      expect(
        covers(parent, cap("pay.send", "acct:a", { amount: { max: 101, min: 1 }, region: { in: ["eu"] } })),
      ).toBe(false);
      expect(
        covers(parent, cap("pay.send", "acct:a", { amount: { max: 100, min: 0 }, region: { in: ["eu"] } })),
      ).toBe(false);
      expect(
        covers(
          parent,
          cap("pay.send", "acct:a", { amount: { max: 100, min: 1 }, region: { in: ["eu", "cn"] } }),
        ),
      ).toBe(false);
    });

    it("does not cover a child that drops one constraint of a limit", () => {
      expect(
        covers(parent, cap("pay.send", "acct:a", { amount: { max: 100 }, region: { in: ["eu"] } })),
      ).toBe(false);
      expect(covers(parent, cap("pay.send", "acct:a", { amount: { min: 1 }, region: { in: ["eu"] } }))).toBe(
        false,
      );
    });

    it("does not cover a child that swaps a constraint for another kind", () => {
      const inParent = cap("a", "r:x", { n: { in: [1, 2] } });
      expect(covers(inParent, cap("a", "r:x", { n: { max: 1, min: 1 } }))).toBe(false);
      expect(covers(inParent, cap("a", "r:x", { n: { in: ["1"] } }))).toBe(false);
    });

    it("is not fooled by a parent limit named like an Object.prototype member", () => {
      const p = cap("a", "r:x", { constructor: { max: 5 }, toString: { in: ["x"] } });
      expect(covers(p, cap("a", "r:x"))).toBe(false);
      expect(covers(p, cap("a", "r:x", { constructor: { max: 5 } }))).toBe(false);
      expect(covers(p, cap("a", "r:x", { constructor: { max: 5 }, toString: { in: ["x"] } }))).toBe(true);
    });
  });

  it("requires action, resource and limits each to be covered", () => {
    const parent = cap("mail.*", "mailbox:ops/**", { count: { max: 10 } });
    expect(covers(parent, cap("mail.send", "mailbox:ops/alerts", { count: { max: 5 } }))).toBe(true);
    expect(covers(parent, cap("chat.send", "mailbox:ops/alerts", { count: { max: 5 } }))).toBe(false);
    expect(covers(parent, cap("mail.send", "mailbox:dev/alerts", { count: { max: 5 } }))).toBe(false);
    expect(covers(parent, cap("mail.send", "mailbox:ops/alerts", { count: { max: 11 } }))).toBe(false);
  });

  it("throws malformed on a capability that did not come through parseCapability", () => {
    expect(() => covers({ act: "a..b", res: "r:x" }, cap("a", "r:x"))).toThrow(
      expect.objectContaining({ code: "malformed" }),
    );
    expect(() => covers(cap("a", "r:x"), { act: "a", res: "r:x/../y" })).toThrow(
      expect.objectContaining({ code: "malformed" }),
    );
  });
});

describe("capsCover", () => {
  it("returns the child capabilities no single parent covers", () => {
    const parents = [cap("mail.send", "mailbox:ops/**"), cap("github.*", "repo:acme/**")];
    const inside = cap("github.issues.create", "repo:acme/web");
    const outside = cap("github.issues.create", "repo:evil/web");
    expect(capsCover(parents, [inside])).toEqual([]);
    expect(capsCover(parents, [inside, outside])).toEqual([outside]);
  });

  it("does not combine two parents to cover one child", () => {
    const parents = [cap("mail.send", "mailbox:ops/**"), cap("mail.read", "mailbox:**")];
    expect(capsCover(parents, [cap("mail.*", "mailbox:ops/**")])).toHaveLength(1);
  });
});

describe("allows", () => {
  const caps = [
    cap("mail.send", "mailbox:ops/**", { count: { max: 10, min: 1 }, to: { in: ["alerts", 7] } }),
    cap("github.issues.*", "repo:acme/web/**"),
  ];

  it("allows a call within a capability", () => {
    expect(allows(caps, { action: "github.issues.create", resource: "repo:acme/web/issues/42" })).toBe(true);
    expect(
      allows(caps, {
        action: "mail.send",
        resource: "mailbox:ops/alerts",
        args: { count: 10, to: "alerts" },
      }),
    ).toBe(true);
    expect(
      allows(caps, { action: "mail.send", resource: "mailbox:ops/alerts", args: { count: 1, to: 7 } }),
    ).toBe(true);
  });

  it("refuses a call outside every capability", () => {
    expect(allows(caps, { action: "github.issues", resource: "repo:acme/web/x" })).toBe(false);
    expect(allows(caps, { action: "github.pulls.merge", resource: "repo:acme/web/x" })).toBe(false);
    expect(allows(caps, { action: "github.issues.create", resource: "repo:acme/web" })).toBe(false);
    expect(allows(caps, { action: "github.issues.create", resource: "repo:acme/api/x" })).toBe(false);
    expect(allows([], { action: "a", resource: "r:x" })).toBe(false);
  });

  it("fails closed on a missing, mistyped or out-of-range limited argument", () => {
    const call = { action: "mail.send", resource: "mailbox:ops/alerts" };
    expect(allows(caps, call)).toBe(false);
    expect(allows(caps, { ...call, args: { count: 5 } })).toBe(false);
    expect(allows(caps, { ...call, args: { count: 11, to: "alerts" } })).toBe(false);
    expect(allows(caps, { ...call, args: { count: 0, to: "alerts" } })).toBe(false);
    expect(allows(caps, { ...call, args: { count: "5", to: "alerts" } })).toBe(false);
    expect(allows(caps, { ...call, args: { count: Number.NaN, to: "alerts" } })).toBe(false);
    expect(allows(caps, { ...call, args: { count: Number.NEGATIVE_INFINITY, to: "alerts" } })).toBe(false);
    expect(allows(caps, { ...call, args: { count: 5, to: "7" } })).toBe(false);
    expect(allows(caps, { ...call, args: { count: 5, to: "Alerts" } })).toBe(false);
    expect(allows(caps, { ...call, args: { count: 5, to: ["alerts"] } })).toBe(false);
    expect(allows(caps, { ...call, args: { count: 5, to: null } })).toBe(false);
  });

  it("does not read a limited argument from the args prototype", () => {
    const args = Object.create({ count: 5, to: "alerts" }) as Record<string, unknown>;
    expect(allows(caps, { action: "mail.send", resource: "mailbox:ops/alerts", args })).toBe(false);
  });

  it("ignores arguments no limit names", () => {
    expect(
      allows(caps, {
        action: "github.issues.create",
        resource: "repo:acme/web/1",
        args: { anything: { x: 1 } },
      }),
    ).toBe(true);
  });

  it("never allows a non-canonical call, even under * and **", () => {
    const all = [cap("*", "**")];
    for (const resource of [
      "repo:a/../b",
      "repo:a%2Fb",
      "repo:a/",
      "repo:a\u2215b",
      "repo:**",
      "**",
      "repo:a b",
    ]) {
      expect(allows(all, { action: "a", resource })).toBe(false);
    }
    for (const action of ["*", "a.*", "a..b", "ａ"])
      expect(allows(all, { action, resource: "repo:a" })).toBe(false);
  });

  it("matches case-sensitively", () => {
    expect(allows(caps, { action: "GitHub.issues.create", resource: "repo:acme/web/1" })).toBe(false);
    expect(allows(caps, { action: "github.issues.create", resource: "repo:Acme/web/1" })).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests. The generators draw from a tiny alphabet of segments so that coverage actually
// happens often: a soundness property that only ever sees unrelated capabilities proves nothing.

const ACTION_SEGMENTS = ["a", "b", "c"] as const;
const SCHEMES = ["repo", "mail"] as const;
const PATH_SEGMENTS = ["x", "y", "z"] as const;
const ARG_NAMES = ["n", "m"] as const;
const ARG_VALUES = [0, 1, 2, 3, 4, 5, "a", "b"] as const;

const actionSegment = fc.constantFrom(...ACTION_SEGMENTS);
const pathSegment = fc.constantFrom(...PATH_SEGMENTS);
const scheme = fc.constantFrom(...SCHEMES);
const segments = (min: number, max: number, segment: fc.Arbitrary<string>) =>
  fc.array(segment, { minLength: min, maxLength: max });

const concreteAction = segments(1, 3, actionSegment).map((s) => s.join("."));
const actionPattern = fc.oneof(
  { weight: 1, arbitrary: fc.constant("*") },
  { weight: 3, arbitrary: segments(1, 2, actionSegment).map((s) => `${s.join(".")}.*`) },
  { weight: 3, arbitrary: concreteAction },
);
const concreteResource = fc.tuple(scheme, segments(1, 3, pathSegment)).map(([s, p]) => `${s}:${p.join("/")}`);
const resourcePattern = fc.oneof(
  { weight: 1, arbitrary: fc.constant("**") },
  { weight: 1, arbitrary: scheme.map((s) => `${s}:**`) },
  {
    weight: 3,
    arbitrary: fc.tuple(scheme, segments(1, 2, pathSegment)).map(([s, p]) => `${s}:${p.join("/")}/**`),
  },
  { weight: 3, arbitrary: concreteResource },
);

type RawLimit = { max?: number; min?: number; in?: (string | number)[] };
const rawLimit: fc.Arbitrary<RawLimit> = fc
  .record(
    {
      max: fc.integer({ min: 0, max: 5 }),
      min: fc.integer({ min: 0, max: 5 }),
      in: fc.uniqueArray(fc.constantFrom(...ARG_VALUES), { minLength: 1, maxLength: 4 }),
    },
    { requiredKeys: [] },
  )
  .map((l) => {
    // Mostly keep limits satisfiable, so that calls under them get exercised: a numeric bound
    // beside an `in` of strings allows nothing.
    if ((l.max === undefined && l.min === undefined) || l.in === undefined) return l;
    const numbers = l.in.filter((v) => typeof v === "number");
    const { in: _dropped, ...bounds } = l;
    return numbers.length > 0 ? { ...bounds, in: numbers } : bounds;
  })
  .filter((l) => Object.keys(l).length > 0 && !(l.max !== undefined && l.min !== undefined && l.min > l.max));
const rawLimits = fc.dictionary(fc.constantFrom(...ARG_NAMES), rawLimit, {
  maxKeys: 2,
  noNullPrototype: true,
});

function parsedCapability(act: string, res: string, lim: Record<string, RawLimit> | undefined): Capability {
  return unwrap(
    parseCapability(lim === undefined || Object.keys(lim).length === 0 ? { act, res } : { act, res, lim }),
  );
}

const capability: fc.Arbitrary<Capability> = fc
  .tuple(actionPattern, resourcePattern, fc.option(rawLimits, { nil: undefined }))
  .map(([act, res, lim]) => parsedCapability(act, res, lim));

/** A pattern no wider than `act`, or (sometimes) any pattern at all. */
function narrowerAction(act: string): fc.Arbitrary<string> {
  let narrower: fc.Arbitrary<string>;
  if (act === "*") narrower = actionPattern;
  else if (act.endsWith(".*")) {
    const prefix = act.slice(0, -2);
    narrower = fc.oneof(
      fc.constant(act),
      segments(1, 2, actionSegment).map((s) => `${prefix}.${s.join(".")}`),
      segments(1, 1, actionSegment).map((s) => `${prefix}.${s.join(".")}.*`),
    );
  } else narrower = fc.constant(act);
  return fc.oneof({ weight: 4, arbitrary: narrower }, { weight: 1, arbitrary: actionPattern });
}

function narrowerResource(res: string): fc.Arbitrary<string> {
  let narrower: fc.Arbitrary<string>;
  if (res === "**") narrower = resourcePattern;
  else if (res.endsWith(":**") || res.endsWith("/**")) {
    const prefix = res.slice(0, -2); // keeps the trailing ":" or "/"
    narrower = fc.oneof(
      fc.constant(res),
      segments(1, 2, pathSegment).map((s) => `${prefix}${s.join("/")}`),
      segments(1, 1, pathSegment).map((s) => `${prefix}${s.join("/")}/**`),
    );
  } else narrower = fc.constant(res);
  return fc.oneof({ weight: 4, arbitrary: narrower }, { weight: 1, arbitrary: resourcePattern });
}

function narrowerLimit(limit: RawLimit): fc.Arbitrary<RawLimit> {
  const bounds = fc.record({
    max:
      limit.max === undefined
        ? fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined })
        : fc.integer({ min: 0, max: limit.max }),
    min:
      limit.min === undefined
        ? fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined })
        : fc.integer({ min: limit.min, max: 6 }),
  });
  return bounds
    .chain(({ max, min }) => {
      const out: RawLimit = {};
      if (max !== undefined) out.max = max;
      if (min !== undefined) out.min = min === undefined || max === undefined ? min : Math.min(min, max);
      if (limit.in === undefined) return fc.constant(out);
      // Prefer `in` values inside the narrowed bounds, so the limit stays satisfiable and calls
      // under it get exercised.
      const within = limit.in.filter(
        (v) =>
          (out.max === undefined && out.min === undefined) ||
          (typeof v === "number" &&
            (out.max === undefined || v <= out.max) &&
            (out.min === undefined || v >= out.min)),
      );
      return fc
        .subarray(within.length > 0 ? within : limit.in, { minLength: 1 })
        .map((values) => ({ ...out, in: values }));
    })
    .chain((narrowed) =>
      // Sometimes drop one constraint: a child that is almost, but not quite, as strict.
      fc.oneof(
        { weight: 4, arbitrary: fc.constant(narrowed) },
        {
          weight: 1,
          arbitrary: fc.constantFrom("max", "min", "in").map((key) => {
            const { [key as keyof RawLimit]: _dropped, ...rest } = narrowed;
            return rest as RawLimit;
          }),
        },
      ),
    )
    .filter((l) => Object.keys(l).length > 0);
}

function narrowerLimits(
  lim: Readonly<Record<string, RawLimit>> | undefined,
): fc.Arbitrary<Record<string, RawLimit> | undefined> {
  const entries = Object.entries(lim ?? {});
  const kept = fc.tuple(
    ...entries.map(([name, limit]) => narrowerLimit(limit).map((l) => [name, l] as const)),
  );
  const extra = fc.option(fc.tuple(fc.constant("extra"), rawLimit), { nil: undefined });
  const narrower = fc
    .tuple(kept, extra)
    .map(([pairs, added]) => Object.fromEntries(added === undefined ? pairs : [...pairs, added]));
  return fc.oneof(
    { weight: 4, arbitrary: narrower },
    { weight: 1, arbitrary: fc.option(rawLimits, { nil: undefined }) },
  );
}

/** A child drawn mostly from capabilities the parent should cover, sometimes from anywhere. */
function childOf(parent: Capability): fc.Arbitrary<Capability> {
  return fc
    .tuple(
      narrowerAction(parent.act),
      narrowerResource(parent.res),
      narrowerLimits(parent.lim as Record<string, RawLimit> | undefined),
    )
    .map(([act, res, lim]) => parsedCapability(act, res, lim));
}

function actionUnder(act: string): fc.Arbitrary<string> {
  if (act === "*") return concreteAction;
  if (act.endsWith(".*"))
    return segments(1, 2, actionSegment).map((s) => `${act.slice(0, -2)}.${s.join(".")}`);
  return fc.constant(act);
}

function resourceUnder(res: string): fc.Arbitrary<string> {
  if (res === "**") return concreteResource;
  if (res.endsWith("**")) return segments(1, 2, pathSegment).map((s) => `${res.slice(0, -2)}${s.join("/")}`);
  return fc.constant(res);
}

const argValue = fc.oneof(fc.constantFrom(...ARG_VALUES), fc.constantFrom(null, 2.5, -1, 6, "c", true));
const randomCall: fc.Arbitrary<Call> = fc.record({
  action: concreteAction,
  resource: concreteResource,
  args: fc.dictionary(fc.constantFrom(...ARG_NAMES, "extra"), argValue, {
    maxKeys: 3,
    noNullPrototype: true,
  }),
});

/** A value that a limit allows, when there is one to draw; otherwise any value. */
function valueFor(limit: RawLimit): fc.Arbitrary<unknown> {
  const satisfying = (limit.in ?? [...ARG_VALUES]).filter(
    (v) =>
      (limit.max === undefined && limit.min === undefined) ||
      (typeof v === "number" &&
        (limit.max === undefined || v <= limit.max) &&
        (limit.min === undefined || v >= limit.min)),
  );
  return satisfying.length === 0
    ? argValue
    : fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...satisfying) }, { weight: 1, arbitrary: argValue });
}

/** A call mostly inside `c` (its action and resource, arguments for its limits), sometimes anywhere. */
function callNear(c: Capability): fc.Arbitrary<Call> {
  const limits = Object.entries((c.lim ?? {}) as Record<string, RawLimit>);
  const limitedArgs = fc.tuple(
    ...limits.map(([name, limit]) =>
      fc.option(valueFor(limit), { freq: 16, nil: undefined }).map((v) => [name, v] as const),
    ),
  );
  const inside = fc.record({
    action: actionUnder(c.act),
    resource: resourceUnder(c.res),
    args: fc
      .tuple(
        limitedArgs,
        fc.dictionary(fc.constantFrom(...ARG_NAMES, "extra"), argValue, {
          maxKeys: 2,
          noNullPrototype: true,
        }),
      )
      .map(([limited, other]) => {
        const args: Record<string, unknown> = { ...other };
        for (const [name, value] of limited) if (value !== undefined) args[name] = value;
        return args;
      }),
  });
  return fc.oneof({ weight: 9, arbitrary: inside }, { weight: 1, arbitrary: randomCall });
}

/**
 * An independent reading of DESIGN.md's matching rules, on plain strings: `*` is every action,
 * `p.*` is every action starting `p.`, `**` is every resource, `s:**` every resource starting
 * `s:`, `s:P/**` every resource starting `s:P/`; a literal is itself; every limit must hold for an
 * own argument. `allows` must agree with it on canonical calls, so that soundness is not merely
 * `covers` agreeing with itself.
 */
function modelAllows(c: Capability, call: Call): boolean {
  const actionOk =
    c.act === "*" ||
    (c.act.endsWith(".*") ? call.action.startsWith(c.act.slice(0, -1)) : call.action === c.act);
  const resourceOk =
    c.res === "**" ||
    (c.res.endsWith("**") ? call.resource.startsWith(c.res.slice(0, -2)) : call.resource === c.res);
  const args = call.args ?? {};
  const limitsOk = Object.entries(c.lim ?? {}).every(([name, limit]) => {
    if (!Object.hasOwn(args, name)) return false;
    const value = args[name];
    const numeric = typeof value === "number" && Number.isFinite(value);
    if (limit.max !== undefined && !(numeric && value <= limit.max)) return false;
    if (limit.min !== undefined && !(numeric && value >= limit.min)) return false;
    if (limit.in !== undefined && !limit.in.some((v) => v === value)) return false;
    return true;
  });
  return actionOk && resourceOk && limitsOk;
}

const parentChildCall = capability.chain((parent) =>
  childOf(parent).chain((child) => callNear(child).map((call) => ({ parent, child, call }))),
);

describe("scope algebra properties", () => {
  it("draws parent/child pairs that are often covered and calls that are often allowed", () => {
    const samples = fc.sample(parentChildCall, { numRuns: 1000, seed: 2030 });
    const covered = samples.filter(({ parent, child }) => covers(parent, child));
    const exercised = covered.filter(({ child, call }) => allows([child], call));
    expect(covered.length).toBeGreaterThan(400);
    expect(exercised.length).toBeGreaterThan(120);
    expect(exercised.filter(({ parent }) => parent.lim !== undefined).length).toBeGreaterThan(40);
    expect(samples.filter(({ parent, child }) => !covers(parent, child)).length).toBeGreaterThan(100);
  });

  test.prop([parentChildCall], { numRuns: 2000 })(
    "soundness: whenever covers(parent, child), every call the child allows, the parent allows",
    ({ parent, child, call }) => {
      if (covers(parent, child) && allows([child], call)) expect(allows([parent], call)).toBe(true);
    },
  );

  test.prop([capability.chain((c) => callNear(c).map((call) => ({ c, call })))], { numRuns: 1000 })(
    "allows agrees with an independent model of the matching rules",
    ({ c, call }) => {
      expect(allows([c], call)).toBe(modelAllows(c, call));
    },
  );

  test.prop([parentChildCall], { numRuns: 2000 })(
    "soundness against the model: whenever covers(parent, child), the model allows the parent every call it allows the child",
    ({ parent, child, call }) => {
      if (covers(parent, child) && modelAllows(child, call)) expect(modelAllows(parent, call)).toBe(true);
    },
  );

  test.prop([capability.chain((c) => callNear(c).map((call) => ({ c, call })))], { numRuns: 1000 })(
    "allowsAction (what an MCP tools/list shows) is true for every action allows lets through",
    ({ c, call }) => {
      if (allows([c], call)) expect(allowsAction([c], call.action)).toBe(true);
    },
  );

  it("allowsAction is false for an action no capability's pattern names, and for a wildcard", () => {
    const caps = [
      unwrap(parseCapability({ act: "repo.issues.*", res: "repo:acme/**", lim: { n: { max: 1 } } })),
    ];
    expect(allowsAction(caps, "repo.issues.create")).toBe(true);
    expect(allowsAction(caps, "repo.issues")).toBe(false);
    expect(allowsAction(caps, "repo.admin.delete")).toBe(false);
    expect(allowsAction(caps, "repo.*")).toBe(false);
  });

  test.prop([capability, capability, randomCall], { numRuns: 1000 })(
    "soundness holds for independently drawn capabilities too",
    (parent, child, call) => {
      if (covers(parent, child) && allows([child], call)) expect(allows([parent], call)).toBe(true);
    },
  );

  test.prop([capability, capability], { numRuns: 500 })(
    "covers is reflexive and never holds both ways between different patterns of different meaning",
    (a, b) => {
      expect(covers(a, a)).toBe(true);
      expect(covers(a, unwrap(parseCapability(JSON.parse(JSON.stringify(a)))))).toBe(true);
      if (covers(a, b) && covers(b, a)) {
        expect(b.act).toBe(a.act);
        expect(b.res).toBe(a.res);
      }
    },
  );

  test.prop([capability.chain((a) => childOf(a).chain((b) => childOf(b).map((c) => ({ a, b, c }))))], {
    numRuns: 1000,
  })("covers is transitive", ({ a, b, c }) => {
    if (covers(a, b) && covers(b, c)) expect(covers(a, c)).toBe(true);
  });

  const capsPair = fc.array(capability, { minLength: 1, maxLength: 3 }).chain((parents) =>
    fc
      .array(fc.oneof(fc.constantFrom(...parents).chain(childOf), capability), {
        minLength: 1,
        maxLength: 3,
      })
      .map((children) => ({ parents, children })),
  );

  test.prop([capsPair], { numRuns: 500 })(
    "capsCover returns [] exactly when every child is covered by some one parent, and else the uncovered ones",
    ({ parents, children }) => {
      const uncovered = capsCover(parents, children);
      const allCovered = children.every((child) => parents.some((parent) => covers(parent, child)));
      expect(uncovered.length === 0).toBe(allCovered);
      expect(uncovered).toEqual(children.filter((child) => !parents.some((parent) => covers(parent, child))));
      expect(capsCover(parents, parents)).toEqual([]);
    },
  );

  test.prop(
    [
      capsPair.chain(({ parents, children }) =>
        fc.oneof(...children.map(callNear)).map((call) => ({ parents, children, call })),
      ),
    ],
    {
      numRuns: 500,
    },
  )(
    "a cap list covered by capsCover allows nothing its parent list does not",
    ({ parents, children, call }) => {
      if (capsCover(parents, children).length === 0 && allows(children, call))
        expect(allows(parents, call)).toBe(true);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Normalization bypass: a resource a capability covers, transformed the way an attacker would to
// reach something outside it. Whatever the transformation, the result is malformed or not
// allowed: never a way out of a literal or prefix capability.

const LOOK_ALIKES: Readonly<Record<string, readonly string[]>> = {
  "/": ["\u2215", "\u2044", "\uff0f", "\u29f8", "%2F", "%2f", "\\"],
  ".": ["\u2024", "\uff0e", "%2e", "%2E"],
  x: ["\u0445", "\uff58"], // Cyrillic ha, fullwidth x
  y: ["\u0443", "\uff59"], // Cyrillic u, fullwidth y
  z: ["\u1d22", "\uff5a"],
};

type Bypass =
  | { kind: "encode-slash"; variant: string; at: number }
  | { kind: "dot-dot"; at: number; depth: number; target: string }
  | { kind: "look-alike"; at: number; variant: number }
  | { kind: "nfd" }
  | { kind: "case"; at: number }
  | { kind: "trailing-slash" }
  | { kind: "mid-wildcard"; at: number; wildcard: string };

const bypass: fc.Arbitrary<Bypass> = fc.oneof(
  fc.record({
    kind: fc.constant("encode-slash" as const),
    variant: fc.constantFrom(...(LOOK_ALIKES["/"] ?? [])),
    at: fc.nat(),
  }),
  fc.record({
    kind: fc.constant("dot-dot" as const),
    at: fc.nat(),
    depth: fc.integer({ min: 1, max: 4 }),
    target: fc.constantFrom("admin", "x", "secrets/keys"),
  }),
  fc.record({ kind: fc.constant("look-alike" as const), at: fc.nat(), variant: fc.nat() }),
  fc.record({ kind: fc.constant("nfd" as const) }),
  fc.record({ kind: fc.constant("case" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("trailing-slash" as const) }),
  fc.record({
    kind: fc.constant("mid-wildcard" as const),
    at: fc.nat(),
    wildcard: fc.constantFrom("*", "**", "x*", "**x"),
  }),
);

/**
 * Applies a bypass to the path segments of `scheme:path`, where the first `fixed` segments are the
 * ones the capability pins. Returns the transformed resource and whether the transformation must
 * produce something malformed (every one but a change of case, which is a different resource).
 */
function applyBypass(
  schemeName: string,
  path: readonly string[],
  fixed: number,
  b: Bypass,
): { resource: string; mustBeMalformed: boolean } {
  const join = (segs: readonly string[]) => `${schemeName}:${segs.join("/")}`;
  switch (b.kind) {
    case "encode-slash": {
      const at = 1 + (b.at % Math.max(path.length - 1, 1));
      const joined =
        path.length > 1
          ? `${path.slice(0, at).join("/")}${b.variant}${path.slice(at).join("/")}`
          : `${path[0]}${b.variant}admin`;
      return { resource: `${schemeName}:${joined}`, mustBeMalformed: true };
    }
    case "dot-dot": {
      const at = b.at % (path.length + 1);
      const ups = Array.from({ length: b.depth }, () => "..");
      return { resource: join([...path.slice(0, at), ...ups, b.target]), mustBeMalformed: true };
    }
    case "look-alike": {
      const text = path.join("/");
      const positions = [...text]
        .map((ch, i) => ({ ch, i }))
        .filter(({ ch }) => LOOK_ALIKES[ch] !== undefined);
      const pick = positions[b.at % positions.length];
      if (pick === undefined) return { resource: join([...path, "\u0445"]), mustBeMalformed: true };
      const variants = LOOK_ALIKES[pick.ch] ?? [];
      const variant = variants[b.variant % variants.length] ?? "\u2215";
      return {
        resource: `${schemeName}:${text.slice(0, pick.i)}${variant}${text.slice(pick.i + 1)}`,
        mustBeMalformed: true,
      };
    }
    case "nfd":
      // "é" composed (NFC) and decomposed (NFD): neither may ever reach a comparison.
      return {
        resource: join([...path.slice(0, -1), `${path[path.length - 1]}\u0065\u0301`]),
        mustBeMalformed: true,
      };
    case "case": {
      // Upper-case one pinned segment: a different resource, outside a case-sensitive capability.
      const at = b.at % Math.max(fixed, 1);
      const segs = path.map((s, i) => (i === at ? s.toUpperCase() : s));
      return { resource: join(segs), mustBeMalformed: false };
    }
    case "trailing-slash":
      return { resource: `${join(path)}/`, mustBeMalformed: true };
    case "mid-wildcard": {
      const at = b.at % path.length;
      return { resource: join([...path.slice(0, at), b.wildcard, ...path.slice(at)]), mustBeMalformed: true };
    }
  }
}

const escapeCase = fc
  .record({
    schemeName: scheme,
    pinned: segments(1, 3, pathSegment),
    tail: segments(0, 2, pathSegment),
    prefix: fc.boolean(),
    b: bypass,
  })
  .filter(({ prefix, tail }) => !prefix || tail.length > 0);

describe("normalization bypass", () => {
  test.prop([escapeCase], { numRuns: 2000 })(
    "no transformation of a covered resource is allowed by a literal or prefix capability it escapes",
    ({ schemeName, pinned, tail, prefix, b }) => {
      const res = prefix ? `${schemeName}:${pinned.join("/")}/**` : `${schemeName}:${pinned.join("/")}`;
      const capabilityUnderTest = cap("files.read", res);
      const path = prefix ? [...pinned, ...tail] : pinned;
      // The untransformed resource is covered: the transformation is what must not get through.
      expect(
        allows([capabilityUnderTest], { action: "files.read", resource: `${schemeName}:${path.join("/")}` }),
      ).toBe(true);

      const { resource, mustBeMalformed } = applyBypass(schemeName, path, pinned.length, b);
      const call = { action: "files.read", resource };
      if (mustBeMalformed) expect(parseCall(call).ok).toBe(false);
      expect(allows([capabilityUnderTest], call)).toBe(false);
      // And no wider literal capability of the same scheme that a naive normalizer would map it to.
      expect(allows([cap("files.read", `${schemeName}:admin`)], call)).toBe(false);
    },
  );

  it.each([
    "repo:acme/web/%2e%2e/%2e%2e/admin",
    "repo:acme/web/..%2Fadmin",
    "repo:acme/web/..\\..\\admin",
    "repo:acme/web\u2215..\u2215admin",
    "repo:acme/web/\uff0e\uff0e/admin",
    "repo:acme/web/./x",
    "repo:acme/web//x",
    "repo:acme/web/x/",
    "repo:acme/web/x?y=../../admin",
    "repo:acme/web/x#/../admin",
    "repo:acme/web/x\u0000/../admin",
    "repo:acme/web/caf\u00e9",
    "repo:acme/web/cafe\u0301",
    "repo:acme/web/\u0445",
  ])("refuses %j under repo:acme/web/** as malformed", (resource) => {
    expect(parseCall({ action: "a", resource }).ok).toBe(false);
    expect(allows([cap("a", "repo:acme/web/**")], { action: "a", resource })).toBe(false);
  });
});
