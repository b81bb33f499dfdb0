/**
 * Shared OpenAPI pieces: the app type, the error responses every route declares, and the body
 * helper. The 500 response has no schema on purpose: it is what lets handlers return any
 * `Response` (problem responses are built outside the typed route).
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ZodType } from "zod";
import type { Caller } from "./auth.ts";
import { ProblemSchema } from "./schemas.ts";

/**
 * What the server passes as `c.env`: on @hono/node-server, its Node request, from which JSON
 * bodies are read (node-body.ts). Tests calling `app.request` pass nothing.
 */
export interface ServiceBindings {
  readonly incoming?: unknown;
}

/** Variables the app's middleware puts on every request context. */
export interface ServiceEnv {
  Bindings: ServiceBindings;
  Variables: {
    requestId: string;
    /** Who authenticated with a bearer credential (tool-server routes). */
    caller: Caller;
  };
}

/** The app type the route modules register on. */
export type ServiceApp = OpenAPIHono<ServiceEnv>;

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** The error responses common to every route. */
export const errorResponses = {
  400: problem("invalid_request: the body, query or a header is malformed or has unknown fields"),
  401: problem("unauthorized, or a refused chain or proof: code is the first reason code"),
  500: { description: "internal: an unexpected error (application/problem+json, no detail)" },
} as const;

/** `403`, `404`, `409` responses, for routes that can give them. */
export const forbidden = problem("a refusal: scope_widening, depth_exceeded, revoked, forbidden, …");
export const notFound = problem("not_found");
export const conflict = problem("conflict: already exists, or not in the state the operation needs");
export const tooLarge = problem("payload_too_large: the body is over 64 KiB");

/** A required JSON request body. */
export function jsonBody<T extends ZodType>(schema: T, description?: string) {
  return {
    content: { "application/json": { schema } },
    required: true,
    ...(description === undefined ? {} : { description }),
  } as const;
}

/** A JSON response. */
export function jsonResponse<T extends ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

export { z };
