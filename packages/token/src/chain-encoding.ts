/**
 * A presented chain: compact tokens root first, joined by `~`, as it travels in
 * `Authorization: DPoP <t0>~<t1>~…`. Limits are checked before anything is decoded.
 */
import { DEFAULT_MAX_TOKEN_BYTES } from "./jws.ts";
import { fail, ok, type Result, TokenError } from "./token-error.ts";

/** Default ceiling on the number of tokens in a chain (a root grant and 15 hops). */
export const DEFAULT_MAX_CHAIN_LENGTH = 16;
/** Separator between tokens; not a base64url character, so it can never occur inside a token. */
export const CHAIN_SEPARATOR = "~";

export interface ChainLimits {
  readonly maxTokens?: number;
  readonly maxTokenBytes?: number;
}

const TOKEN_CHARACTERS = /^[A-Za-z0-9_.-]+$/;

function limitsOf(limits: ChainLimits): { maxTokens: number; maxTokenBytes: number } {
  return {
    maxTokens: limits.maxTokens ?? DEFAULT_MAX_CHAIN_LENGTH,
    maxTokenBytes: limits.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES,
  };
}

/**
 * Splits a presented chain into its compact tokens: `chain_too_long`, `token_too_large` or
 * `malformed` (empty, empty element, characters no compact token can hold).
 */
export function decodeChain(text: string, limits: ChainLimits = {}): Result<string[]> {
  const { maxTokens, maxTokenBytes } = limitsOf(limits);
  if (text.length === 0) return fail(new TokenError("malformed", "the chain is empty"));
  let separators = 0;
  for (let i = text.indexOf(CHAIN_SEPARATOR); i >= 0; i = text.indexOf(CHAIN_SEPARATOR, i + 1)) separators++;
  if (separators + 1 > maxTokens) {
    return fail(
      new TokenError("chain_too_long", `the chain has ${separators + 1} tokens; the limit is ${maxTokens}`),
    );
  }
  const tokens = text.split(CHAIN_SEPARATOR);
  for (let hop = 0; hop < tokens.length; hop++) {
    const token = tokens[hop] as string;
    if (token.length > maxTokenBytes) {
      return fail(
        new TokenError(
          "token_too_large",
          `token ${hop} is ${token.length} bytes; the limit is ${maxTokenBytes}`,
          { hop },
        ),
      );
    }
    if (!TOKEN_CHARACTERS.test(token)) {
      return fail(
        new TokenError("malformed", `token ${hop} is empty or holds characters outside base64url and .`, {
          hop,
        }),
      );
    }
  }
  return ok(tokens);
}

/** Joins compact tokens, root first, into a presentable chain, checking the same limits. */
export function encodeChain(tokens: readonly string[], limits: ChainLimits = {}): Result<string> {
  if (tokens.length === 0) return fail(new TokenError("malformed", "a chain needs at least its root grant"));
  const text = tokens.join(CHAIN_SEPARATOR);
  const decoded = decodeChain(text, limits);
  if (!decoded.ok) return decoded;
  if (decoded.value.length !== tokens.length) {
    return fail(new TokenError("malformed", "a token contains the chain separator"));
  }
  return ok(text);
}
