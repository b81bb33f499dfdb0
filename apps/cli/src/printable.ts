/**
 * Escaping for text the CLI did not write: names, intents, reasons, actions and resources from
 * the graph, and claims and messages from a token or a service. Such text may hold characters
 * that rewrite a terminal line (ESC, CSI U+009B, OSC U+009D), reorder what is read (bidi
 * overrides and isolates, "Trojan Source") or break a line. Issue 14: every view shows them as
 * escapes instead, so an investigator sees what is stored, not what it makes the terminal do.
 */

// Controls (Cc: C0, DEL, C1), format characters (Cf: bidi controls, zero-width characters, tag
// characters), line and paragraph separators (Zl, Zp) and lone surrogates (Cs).
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

function escapeOne(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, "0")}` : `\\u{${code.toString(16)}}`;
}

/**
 * `text` with every non-printable character written as an escape (`\u009b`, `\u202e`, `\u000a`,
 * `\u{e0041}`); printable text, including non-Latin scripts and emoji, is unchanged.
 *
 * @example
 * printable("bob\u009b2J") // "bob\\u009b2J"
 */
export function printable(text: string): string {
  return text.replace(NON_PRINTABLE, escapeOne);
}

/** {@link printable} for a value that may be absent: null and undefined become "". */
export function printableOrEmpty(text: string | null | undefined): string {
  return text === null || text === undefined ? "" : printable(text);
}

// SGR colour sequences, which only the CLI's own Style writes into a line (data is escaped first).
const SGR = "\\u001b\\[[0-9;]*m";
const LINE_NON_PRINTABLE = new RegExp(`(${SGR})|[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}]`, "gu");

/**
 * The last line of defence in `print`: escapes anything non-printable left in a finished line
 * except the colour sequences the CLI's own styles add, so a view that forgot {@link printable}
 * still cannot move the cursor, open a hyperlink or reorder the line.
 */
export function printableLine(line: string): string {
  return line.replace(LINE_NON_PRINTABLE, (match, sgr: string | undefined) =>
    sgr === undefined ? escapeOne(match) : sgr,
  );
}

// Non-printable characters JSON.stringify leaves raw (it escapes C0, quote, backslash and lone
// surrogates): DEL, C1, format characters and the line separators. Its own indentation newlines
// are structure, outside every string, and stay.
const JSON_RAW_NON_PRINTABLE = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * JSON text with every non-printable character left by `JSON.stringify` written as a `\uXXXX`
 * escape. Such characters only occur inside JSON strings, so the result parses to the same value.
 */
export function printableJson(json: string): string {
  return json.replace(JSON_RAW_NON_PRINTABLE, (char) => {
    // An astral format character (a tag) is written as its surrogate pair, as JSON requires.
    let out = "";
    for (let i = 0; i < char.length; i++) out += `\\u${char.charCodeAt(i).toString(16).padStart(4, "0")}`;
    return out;
  });
}
