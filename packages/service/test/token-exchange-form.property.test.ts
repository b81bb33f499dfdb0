/**
 * The token-exchange form reader over arbitrary forms: it answers an OAuth refusal or a
 * delegation request, never anything else, and a scope written from valid capabilities reads back
 * as exactly those capabilities.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { OAuthError } from "../src/oauth-errors.ts";
import { CHAIN_TOKEN_TYPE, readTokenExchange, TOKEN_EXCHANGE_GRANT } from "../src/token-exchange-form.ts";

const NAMES = [
  "grant_type",
  "subject_token",
  "subject_token_type",
  "requested_token_type",
  "actor",
  "audience",
  "scope",
  "authorization_details",
  "ttl",
  "rvi",
  "mdp",
  "intent",
  "resource",
  "client_id",
];

const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(TOKEN_EXCHANGE_GRANT, CHAIN_TOKEN_TYPE, "agent:bob", "a.b=c:d", "[]", "60", ""),
);

const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/);
const capability = fc.record({
  act: fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(".")),
  res: fc
    .tuple(
      fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/),
      fc.array(fc.stringMatching(/^[A-Za-z0-9=@+,!~-]{1,8}$/), { minLength: 1, maxLength: 3 }),
    )
    .map(([scheme, path]) => `${scheme}:${path.join("/")}`),
});

describe("readTokenExchange", () => {
  test.prop([fc.array(fc.tuple(fc.constantFrom(...NAMES), value), { maxLength: 16 })])(
    "answers any form with a request or an OAuth refusal, never another error",
    (pairs) => {
      try {
        readTokenExchange(new URLSearchParams(pairs));
      } catch (error) {
        expect(error).toBeInstanceOf(OAuthError);
      }
    },
  );

  test.prop([fc.array(capability, { minLength: 1, maxLength: 5 })])(
    "reads a scope of act=res pairs back as exactly those capabilities",
    (caps) => {
      const request = readTokenExchange(
        new URLSearchParams({
          grant_type: TOKEN_EXCHANGE_GRANT,
          subject_token: "t0.t0.t0",
          subject_token_type: CHAIN_TOKEN_TYPE,
          actor: "agent:bob",
          scope: caps.map(({ act, res }) => `${act}=${res}`).join(" "),
        }),
      );
      expect(request.hop.cap).toEqual(caps);
    },
  );
});
