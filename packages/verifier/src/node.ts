/**
 * `node:http` glue for the fetch gate (`@baton/verifier/node`): a `Request` from an
 * `IncomingMessage`, and a `Response` written to a `ServerResponse`. Works for Express, whose
 * `req` and `res` are the same objects.
 */
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A `Request` for `incoming`, addressed at `origin` plus the request target exactly as received.
 * Headers keep their repetitions (two `Authorization` headers stay two, and are refused). The
 * body is read only when something reads the `Request`'s body, so a framework's body parser
 * running after the gate still gets it.
 *
 * Throws a TypeError when the target is not a path (`*`, absolute-form) or would change under
 * URL parsing (`..` segments, characters the URL encodes): the gate and the router would then
 * see different paths. Answer 400 then.
 */
export function toRequest(incoming: IncomingMessage, origin: string): Request {
  const target = incoming.url ?? "";
  const base = new URL(origin).origin;
  const url = target.startsWith("/") ? new URL(`${base}${target}`) : undefined;
  if (url === undefined || `${url.pathname}${url.search}` !== target) {
    throw new TypeError(
      `request target ${JSON.stringify(target.slice(0, 256))} is not a canonical path; answer 400 Bad Request`,
    );
  }
  const headers = new Headers();
  for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) {
    headers.append(incoming.rawHeaders[i] as string, incoming.rawHeaders[i + 1] as string);
  }
  const method = incoming.method ?? "GET";
  if (method === "GET" || method === "HEAD") return new Request(url, { method, headers });
  let chunks: AsyncIterator<Buffer> | undefined;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= incoming[Symbol.asyncIterator]();
        const next = await chunks.next();
        if (next.done === true) controller.close();
        else controller.enqueue(new Uint8Array(next.value));
      },
      async cancel() {
        await chunks?.return?.();
      },
    },
    // Nothing is pulled from the socket until the body is read.
    { highWaterMark: 0 },
  );
  return new Request(url, { method, headers, body, duplex: "half" } as RequestInit);
}

/** Writes `response` (status, headers, body) to `outgoing` and ends it. */
export async function sendResponse(response: Response, outgoing: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  outgoing.writeHead(response.status, headers);
  if (response.body === null) {
    outgoing.end();
    return;
  }
  // A reader rather than `for await`: DOM's ReadableStream type (loaded with the inspector's
  // checked JavaScript) declares no async iterator.
  const reader = response.body.getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    if (!outgoing.write(part.value)) await once(outgoing, "drain");
  }
  outgoing.end();
}

/**
 * A `node:http` request listener for a fetch handler: the request as a `Request` addressed at
 * `origin` (400 when its target is not a canonical path), the handler's `Response` written back,
 * and a bare 500 if the handler throws.
 *
 * @example
 * createServer(toNodeListener((request) => route(request), "https://tools.example.com")).listen(8080);
 */
export function toNodeListener(
  handle: (request: Request) => Response | Promise<Response>,
  origin: string,
): (incoming: IncomingMessage, outgoing: ServerResponse) => void {
  return (incoming, outgoing) => {
    let request: Request;
    try {
      request = toRequest(incoming, origin);
    } catch {
      outgoing.writeHead(400).end();
      return;
    }
    Promise.resolve()
      .then(() => handle(request))
      .then((response) => sendResponse(response, outgoing))
      .catch(() => {
        if (outgoing.headersSent) outgoing.destroy();
        else outgoing.writeHead(500).end();
      });
  };
}
