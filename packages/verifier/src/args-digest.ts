/**
 * A digest of a call's arguments for the decision log: base64url SHA-256 of their canonical JSON
 * (object members sorted by code unit, no whitespace), so the same arguments give the same digest
 * on the tool server and in the service, whatever order their members were built in. The log
 * keeps the digest, never the arguments, which may hold data the log should not.
 */
import { sha256Base64url } from "@baton/token";

/** Canonical JSON of a JSON value (RFC 8785 member order; numbers and strings as JSON.stringify writes them). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const members = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** base64url SHA-256 of the arguments' canonical JSON; `{}` when there are none. */
export function argsDigest(args: Readonly<Record<string, unknown>> | undefined): string {
  return sha256Base64url(canonicalJson(args ?? {}));
}
