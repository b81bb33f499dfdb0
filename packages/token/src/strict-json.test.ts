import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { parseStrictJson } from "./strict-json.ts";

function refuses(text: string, maxDepth?: number): void {
  const result = parseStrictJson(text, maxDepth === undefined ? {} : { maxDepth });
  expect(result.ok).toBe(false);
}

describe("parseStrictJson", () => {
  it("parses every kind of JSON value", () => {
    const result = parseStrictJson(' {"a": [1, -2.5e3, "x\\n\\u00e9", true, false, null], "b": {}} ');
    expect(result).toEqual({ ok: true, value: { a: [1, -2500, "x\né", true, false, null], b: {} } });
  });

  it("refuses a duplicate key", () => {
    refuses('{"sub":"agent:alice","sub":"agent:mallory"}');
  });

  it("refuses a duplicate key inside a nested object", () => {
    refuses('{"cap":[{"act":"a","act":"b"}]}');
    refuses('{"cnf":{"jkt":"x","jkt":"y"}}');
  });

  it("refuses keys that are equal only after unescaping", () => {
    refuses('{"sub":"agent:alice","\\u0073ub":"agent:mallory"}');
    refuses('{"s\\u0075b":1,"sub":2}');
    refuses('{"a\\/b":1,"a/b":2}');
  });

  it("reads short keys alike however they are written, so escapes cannot hide a duplicate", () => {
    expect(parseStrictJson('{"a":1,"ab":2,"abc":3,"abcd":4,"":5}')).toEqual({
      ok: true,
      value: { a: 1, ab: 2, abc: 3, abcd: 4, "": 5 },
    });
    refuses('{"ab":1,"a\\u0062":2}');
    refuses('{"a\\u0062":1,"ab":2}');
    refuses('{"\u00e9":1,"\\u00e9":2}');
    refuses('{"abc":1,"abc":2}');
    // A cached short key must not stand for a longer one that starts with it.
    expect(parseStrictJson('{"iss":1,"issu":2}')).toEqual({ ok: true, value: { iss: 1, issu: 2 } });
  });

  it("refuses a short key cut off by the end of the text or holding a control character", () => {
    for (const text of ['{"', '{"a', '{"ab', '{"abc', '{"ab"', '{"a\u0001":1}', '{"\t":1}']) refuses(text);
  });

  const shortKey = fc.string({
    unit: fc.constantFrom("a", "b", "\u00e9", "\u0001", "\\", '"'),
    maxLength: 4,
  });
  test.prop([fc.array(fc.tuple(shortKey, fc.boolean(), fc.integer()), { maxLength: 6 })], { numRuns: 500 })(
    "keeps an object of short keys exactly when no two keys are equal, escaped or not",
    (members) => {
      // Each key written either as JSON.stringify writes it or with every character escaped.
      const written = members.map(([key, escaped, value]) => {
        const spelled = escaped
          ? `"${[...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"`
          : JSON.stringify(key);
        return `${spelled}:${value}`;
      });
      const result = parseStrictJson(`{${written.join(",")}}`);
      const keys = members.map(([key]) => key);
      if (new Set(keys).size < keys.length) {
        expect(result.ok).toBe(false);
      } else {
        expect(result).toEqual({ ok: true, value: Object.fromEntries(members.map(([k, , v]) => [k, v])) });
      }
    },
  );

  it("keeps keys that differ only in case as distinct keys", () => {
    expect(parseStrictJson('{"sub":1,"Sub":2}')).toEqual({ ok: true, value: { sub: 1, Sub: 2 } });
  });

  it("accepts nesting up to the depth limit and refuses one level more", () => {
    expect(parseStrictJson("[[[1]]]", { maxDepth: 3 }).ok).toBe(true);
    refuses("[[[[1]]]]", 3);
    expect(parseStrictJson('{"a":{"b":{}}}', { maxDepth: 3 }).ok).toBe(true);
    refuses('{"a":{"b":{"c":{}}}}', 3);
  });

  it("limits nesting to 8 levels by default", () => {
    expect(parseStrictJson(`${"[".repeat(8)}${"]".repeat(8)}`).ok).toBe(true);
    refuses(`${"[".repeat(9)}${"]".repeat(9)}`);
  });

  it("refuses hostile nesting without exhausting the stack", () => {
    refuses("[".repeat(100_000));
    refuses('{"a":'.repeat(100_000));
  });

  it("refuses numbers that overflow to infinity", () => {
    refuses("1e400");
    refuses("-1e400");
    refuses('{"exp":1e400}');
  });

  it("reads integers exactly as JSON.parse does, at every length and sign", () => {
    const texts = ["0", "-0", "7", "-12", "123456789012345", "9007199254740993", "-99999999999999999999"];
    for (const text of [...texts, "1e3", "10E2", "1.5", "-0.0", "0.1e1"]) {
      const result = parseStrictJson(text);
      expect(result.ok).toBe(true);
      if (result.ok) expect(Object.is(result.value, JSON.parse(text))).toBe(true);
    }
  });

  test.prop([fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n })], { numRuns: 1000 })(
    "rounds every integer literal, however long, as JSON.parse does",
    (integer) => {
      const text = `[${integer},${integer}e0]`;
      expect(parseStrictJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
    },
  );

  it("refuses numbers JSON does not allow", () => {
    for (const text of ["01", "+1", ".5", "1.", "1e", "0x10", "NaN", "Infinity", "-", "1_000"]) refuses(text);
  });

  it("refuses text after the value", () => {
    refuses('{"a":1}x');
    refuses('{"a":1}{"a":2}');
    refuses("1 2");
    refuses("truex");
  });

  it("allows JSON whitespace around the value but nothing else", () => {
    expect(parseStrictJson(' \t\n\r{"a":1}\r\n\t ').ok).toBe(true);
    refuses('\u00a0{"a":1}');
    refuses('\ufeff{"a":1}');
    refuses('{"a":1}\u000b');
  });

  it("refuses raw control characters inside strings", () => {
    refuses('"a\u0000b"');
    refuses('"a\nb"');
    refuses('"a\tb"');
    refuses('{"a\u001fb":1}');
  });

  it("refuses invalid escapes", () => {
    for (const text of ['"\\x41"', '"\\u00"', '"\\u00g1"', '"\\a"', '"\\', '"\\U0041"', '"\\\'"'])
      refuses(text);
  });

  it("refuses unterminated and empty documents", () => {
    for (const text of [
      "",
      " ",
      '"abc',
      "[1,",
      '{"a":1',
      '{"a"}',
      '{"a":}',
      "[1,]",
      '{"a":1,}',
      "{a:1}",
      "'a'",
    ]) {
      refuses(text);
    }
  });

  it("treats __proto__ as a plain key, without touching any prototype", () => {
    const result = parseStrictJson('{"__proto__":{"admin":true},"a":1}');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const value = result.value as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(["__proto__", "a"]);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect((value as { admin?: unknown }).admin).toBeUndefined();
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
  });

  it("refuses a duplicate __proto__ key", () => {
    refuses('{"__proto__":1,"__proto__":2}');
  });

  it("does not confuse keys with Object.prototype members", () => {
    expect(parseStrictJson('{"constructor":1,"toString":2,"hasOwnProperty":3}')).toEqual({
      ok: true,
      value: { constructor: 1, toString: 2, hasOwnProperty: 3 },
    });
  });

  test.prop([fc.jsonValue({ maxDepth: 6 })], { numRuns: 300 })(
    "agrees with JSON.parse on everything JSON.stringify writes within the depth limit",
    (value) => {
      const text = JSON.stringify(value);
      const result = parseStrictJson(text, { maxDepth: 8 });
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.value).toEqual(JSON.parse(text));
    },
  );

  // Arbitrary strings are almost never JSON, so a property over them alone never reaches the
  // comparison. Texts near JSON do: valid JSON with whitespace, JSON with a few characters
  // replaced, inserted or deleted (from JSON's own alphabet, so they often stay valid), and
  // token soup; plain arbitrary strings stay in for the rest.
  const jsonChar = fc.constantFrom(
    ...'{}[]:,"\\ \t\n\r0123456789-+.eEtrufalsn/ubx'.split(""),
    "\u00e9",
    "\u0000",
    "\ud800",
  );
  const edit = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom("replace", "insert", "delete"),
    char: jsonChar,
  });
  const spaced = (text: string, pad: string) => `${pad}${text}${pad}`;
  const nearJson = fc.oneof(
    fc
      .tuple(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom("", " ", "\n\t", "\r\n "))
      .map(([value, pad]) => spaced(JSON.stringify(value), pad)),
    fc
      .tuple(fc.jsonValue({ maxDepth: 3 }), fc.array(edit, { minLength: 1, maxLength: 3 }))
      .map(([value, edits]) =>
        edits.reduce((text, { at, kind, char }) => {
          const i = text.length === 0 ? 0 : at % (text.length + (kind === "insert" ? 1 : 0));
          if (kind === "insert") return text.slice(0, i) + char + text.slice(i);
          return text.slice(0, i) + (kind === "replace" ? char : "") + text.slice(i + 1);
        }, JSON.stringify(value)),
      ),
    fc.string({ unit: jsonChar, maxLength: 24 }),
    fc.string({ unit: "binary", maxLength: 40 }),
  );

  const NEAR_JSON_RUNS = 1000;
  let parsedByBoth = 0;
  let refusedByJsonParse = 0;
  test.prop([nearJson], { numRuns: NEAR_JSON_RUNS })(
    "agrees with JSON.parse on text near JSON, except that it may refuse more",
    (text) => {
      let expected: { ok: true; value: unknown } | { ok: false };
      try {
        expected = { ok: true, value: JSON.parse(text) };
      } catch {
        expected = { ok: false };
      }
      const result = parseStrictJson(text);
      if (!expected.ok) {
        refusedByJsonParse++;
        expect(result.ok).toBe(false);
      } else if (result.ok) {
        parsedByBoth++;
        expect(result.value).toEqual(expected.value);
      }
    },
  );

  it("compared a good share of those texts both ways", () => {
    // The property above is only worth something if both of its branches ran often.
    expect(parsedByBoth).toBeGreaterThan(NEAR_JSON_RUNS / 5);
    expect(refusedByJsonParse).toBeGreaterThan(NEAR_JSON_RUNS / 5);
  });
});
