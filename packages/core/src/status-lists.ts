/**
 * Token Status Lists as the service publishes them (draft-ietf-oauth-status-list): where list `n`
 * lives, and the signed list token. The bits are the store's; this module only names and signs.
 */
import { type SigningKey, signStatusListToken } from "@baton/token";

/** The path of status list `list`, below the issuer. */
export function statusListPath(list: number): string {
  return `/v1/status-lists/${list}`;
}

/** The URI of status list `list`: the `uri` of every `status` claim naming it and its token's `sub`. */
export function statusListUri(issuer: string, list: number): string {
  return `${issuer.replace(/\/+$/, "")}${statusListPath(list)}`;
}

/** What a status list token is built from. */
export interface StatusListTokenRequest {
  readonly issuer: string;
  readonly list: number;
  readonly bytes: Uint8Array;
  readonly now: number;
  readonly ttl: number;
  readonly key: SigningKey;
}

/**
 * How long past its `iat` a status list token may be used at all: ten of its `ttl`s. A verifier
 * following Baton's staleness rule stops trusting it much sooner (see the verifier's
 * `followStatusLists`); `exp` is for relying parties that only read the draft.
 */
export const STATUS_LIST_LIFETIME_TTLS = 10;

/** Signs list `list`'s bits as a status list token. */
export function statusListToken(request: StatusListTokenRequest): Promise<string> {
  return signStatusListToken(
    {
      uri: statusListUri(request.issuer, request.list),
      bytes: request.bytes,
      iat: request.now,
      exp: request.now + request.ttl * STATUS_LIST_LIFETIME_TTLS,
      ttl: request.ttl,
    },
    request.key,
  );
}
