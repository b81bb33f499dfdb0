/**
 * The refusals the graph rules raise once an adapter has read the facts: each names the field to
 * fix and prefixes the message with it, like the input checks' `invalid`.
 */
import { StoreError } from "./store-error.ts";

export function conflict(field: string, message: string): StoreError {
  return new StoreError("conflict", `${field}: ${message}`, { field });
}

export function jtiTaken(field: string, jti: string): StoreError {
  return conflict(field, `token ${jti} is already recorded; use a fresh jti`);
}

export function revoked(field: string, message: string): StoreError {
  return new StoreError("revoked", `${field}: ${message}`, { field });
}

export function notFound(field: string, message: string): StoreError {
  return new StoreError("not_found", `${field}: ${message}`, { field });
}

/** `not_found` naming `field` when the agent the input names is not registered. */
export function requireAgent<T>(agent: T | undefined, id: string, field: string): T {
  if (agent === undefined) throw notFound(field, `no agent ${id} is registered`);
  return agent;
}
