/** A refusal or failure reported by the Baton service, with its stable `code`. */
export class BatonError extends Error {
  override readonly name = "BatonError";

  constructor(
    /** A reason code (`scope_widening`, `revoked`, …) or a service error code (`invalid_request`, …). */
    readonly code: string,
    message: string,
    /** HTTP status, or 0 when the service could not be reached. */
    readonly status: number,
    /** The reasons of a refused chain, when the service gave them. */
    readonly reasons: readonly { hop: number | null; code: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Reads a service response: the JSON body on success, a BatonError otherwise. */
export async function readResponse<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text.length === 0 ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok) return body as T;
  const problem = (body ?? {}) as { code?: unknown; detail?: unknown; reasons?: unknown };
  const code = typeof problem.code === "string" ? problem.code : "http_error";
  const detail =
    typeof problem.detail === "string" ? problem.detail : `the service answered ${response.status}`;
  const reasons = Array.isArray(problem.reasons) ? (problem.reasons as BatonError["reasons"]) : [];
  throw new BatonError(code, detail, response.status, reasons);
}

/** Calls fetch, turning a network failure into a BatonError with code `unreachable`. */
export async function callService(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
): Promise<Response> {
  try {
    return await fetchImpl(url, init);
  } catch (error) {
    throw new BatonError("unreachable", `could not reach the Baton service at ${url}`, 0, [], {
      cause: error,
    });
  }
}
