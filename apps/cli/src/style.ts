/**
 * Colour for people at a terminal, plain text for everything else: ANSI codes only when the
 * stream is a TTY, `NO_COLOR` is unset (https://no-color.org) and `--no-color` was not given.
 */
import type { OutputStream } from "./cli-io.ts";

/** Text styles; each returns its argument unchanged when colour is off. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const wrap =
  (enabled: boolean, open: number, close: number) =>
  (text: string): string =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;

/** Whether to colour output written to `stream`. */
export function colourWanted(
  stream: OutputStream,
  env: Readonly<Record<string, string | undefined>>,
  noColorFlag: boolean,
): boolean {
  const noColor = env.NO_COLOR;
  return stream.isTTY === true && !noColorFlag && (noColor === undefined || noColor === "");
}

/** A {@link Style} that colours when `enabled`. */
export function createStyle(enabled: boolean): Style {
  return {
    enabled,
    bold: wrap(enabled, 1, 22),
    dim: wrap(enabled, 2, 22),
    green: wrap(enabled, 32, 39),
    red: wrap(enabled, 31, 39),
    yellow: wrap(enabled, 33, 39),
    cyan: wrap(enabled, 36, 39),
  };
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** The width of `text` as shown, without its colour codes. */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, "")].length;
}
