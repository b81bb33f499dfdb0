/**
 * A JSON parser that refuses what `JSON.parse` forgives. JSON.parse keeps the last of two equal
 * keys, so `{"sub":"alice","sub":"mallory"}` means different things to different parsers; here it
 * is an error, including when the keys are only equal after unescaping (`"sub"` and `"\u0073ub"`).
 * Nesting depth is bounded so hostile input cannot exhaust the stack, numbers must be finite, and
 * objects are built without a prototype so `__proto__` is just a key.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface StrictJsonOptions {
  /** Deepest nesting of arrays and objects accepted. */
  readonly maxDepth?: number;
}

/** Thrown only inside this module; `parseStrictJson` turns it into a result. */
class JsonSyntaxError extends Error {}

export type StrictJsonResult = { ok: true; value: JsonValue } | { ok: false; message: string };

/** Parses `text` as strict JSON (RFC 8259, no duplicate keys, bounded depth). */
export function parseStrictJson(text: string, options: StrictJsonOptions = {}): StrictJsonResult {
  const parser = new Parser(text, options.maxDepth ?? 8);
  try {
    const value = parser.parseDocument();
    return { ok: true, value };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, message: error.message };
    throw error;
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
/** Up to 15 decimal digits, an integer accumulated digit by digit is exact (2^53 has 16). */
const MAX_EXACT_DIGITS = 15;
/** Short keys seen so far, by {@link Parser.parseKey}'s code; bounded, as keys come from anyone. */
const SHORT_KEYS = new Map<number, string>();
const MAX_SHORT_KEYS = 4096;
const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): JsonValue {
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail("unexpected text after the JSON value");
    return value;
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(`${message} at offset ${this.pos}`);
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }

  private parseValue(depth: number): JsonValue {
    this.skipWhitespace();
    switch (this.text.charCodeAt(this.pos)) {
      case 0x7b: // {
        return this.parseObject(depth + 1);
      case 0x5b: // [
        return this.parseArray(depth + 1);
      case 0x22: // "
        return this.parseString();
      case 0x74: // t
        return this.parseLiteral("true", true);
      case 0x66: // f
        return this.parseLiteral("false", false);
      case 0x6e: // n
        return this.parseLiteral("null", null);
      default:
        return this.parseNumber();
    }
  }

  private parseLiteral<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail("invalid literal");
    this.pos += word.length;
    return value;
  }

  private parseNumber(): number {
    // Most numbers in a token are times and counts: plain integers, read here without the regex
    // and the string it would cut. Anything else (a fraction, an exponent, more digits than a
    // double holds exactly, no digit at all) goes through the grammar below.
    const text = this.text;
    const start = this.pos;
    let i = text.charCodeAt(start) === 0x2d ? start + 1 : start;
    const first = i;
    let integer = 0;
    for (let c = text.charCodeAt(i); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++i)) {
      integer = integer * 10 + (c - 0x30);
    }
    const digits = i - first;
    const next = text.charCodeAt(i);
    if (
      digits > 0 &&
      digits <= MAX_EXACT_DIGITS &&
      (digits === 1 || text.charCodeAt(first) !== 0x30) &&
      next !== 0x2e && // .
      next !== 0x65 && // e
      next !== 0x45 // E
    ) {
      this.pos = i;
      return first === start ? integer : -integer;
    }
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail("expected a JSON value");
    this.pos += match[0].length;
    const value = Number(match[0]);
    if (!Number.isFinite(value)) this.fail("number out of range");
    return value;
  }

  private parseString(): string {
    this.pos++; // opening quote
    // Most strings have no escape: scan to the closing quote and cut the run once. A backslash, a
    // control character or the end of the text sends the string down the careful path.
    const text = this.text;
    const start = this.pos;
    let i = start;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22 || c < 0x20 || c === 0x5c) break;
    }
    if (text.charCodeAt(i) === 0x22) {
      this.pos = i + 1;
      return text.slice(start, i);
    }
    let out = "";
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= this.text.length) this.fail("unterminated string");
      const code = this.text.charCodeAt(this.pos);
      if (code === 0x22) {
        out += this.text.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (code < 0x20) this.fail("control character in string");
      if (code === 0x5c) {
        out += this.text.slice(runStart, this.pos);
        const escapeChar = this.text[this.pos + 1];
        if (escapeChar === "u") {
          const hex = this.text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("invalid \\u escape");
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.pos += 6;
        } else {
          const replacement = escapeChar === undefined ? undefined : ESCAPES[escapeChar];
          if (replacement === undefined) this.fail("invalid escape");
          out += replacement;
          this.pos += 2;
        }
        runStart = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  /**
   * A key of one to three ASCII characters with no escape (every claim and header name is one) is
   * taken from a cache of internalized strings. A freshly cut key costs V8 a string table lookup
   * when it is stored; a cached one, nothing. Any other key is read as a string.
   */
  private parseKey(): string {
    const text = this.text;
    const start = this.pos + 1;
    // Seven bits a character, each at least 0x20: keys of different lengths never share a code.
    let code = 0;
    const end = Math.min(start + 3, text.length);
    let i = start;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20 || c === 0x5c || c >= 0x80) return this.parseString();
      code = (code << 7) | c;
    }
    if (i === start || text.charCodeAt(i) !== 0x22) return this.parseString();
    let key = SHORT_KEYS.get(code);
    if (key === undefined) {
      // A property name V8 has stored is internalized; reading it back gives that string.
      key = Object.keys({ [text.slice(start, i)]: 0 })[0] as string;
      if (SHORT_KEYS.size < MAX_SHORT_KEYS) SHORT_KEYS.set(code, key);
    }
    this.pos = i + 1;
    return key;
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth > this.maxDepth) this.fail("nesting too deep");
    this.pos++;
    const items: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x5d) return items;
      if (c !== 0x2c) this.fail("expected , or ] in array");
    }
  }

  private parseObject(depth: number): { [key: string]: JsonValue } {
    if (depth > this.maxDepth) this.fail("nesting too deep");
    this.pos++;
    // No prototype, so `__proto__` is just a key; made from `{}` rather than Object.create(null),
    // which V8 keeps as a slow dictionary: every claim read after parsing would pay for it.
    const object: { [key: string]: JsonValue } = Object.setPrototypeOf({}, null);
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return object;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail("expected a string key");
      const key = this.parseKey();
      // No prototype and no undefined in JSON: a key is taken exactly when reading it finds a value.
      if (object[key] !== undefined) this.fail(`duplicate key ${JSON.stringify(key)}`);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos++) !== 0x3a) this.fail("expected : after key");
      object[key] = this.parseValue(depth);
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x7d) return object;
      if (c !== 0x2c) this.fail("expected , or } in object");
    }
  }
}
