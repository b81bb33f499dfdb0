/**
 * JSON request bodies read straight from Node's IncomingMessage when the service runs on
 * @hono/node-server (which passes it as `c.env.incoming`).
 *
 * Without this, the first read of a body makes @hono/node-server build a full WHATWG `Request`
 * around the message (an AbortSignal, a web stream adapted from the Node stream, a copy per
 * chunk), and `bodyLimit` wraps that stream in another to count its bytes: tens of microseconds
 * on every POST, more than some whole handlers cost. Here the bytes are collected from the
 * message itself into Hono's body cache, so `c.req.json()`, `c.req.text()` and the validators
 * read them from there and the `Request` is never built.
 *
 * Only the plain case takes this path: HTTP/1, a JSON content type and a Content-Length within the
 * limit (Node's parser stops the body at that length, so the limit holds without counting).
 * Anything else (no length, chunked, HTTP/2, another media type, another runtime) keeps
 * `bodyLimit`'s path. The
 * body is read on first use, as before: a request refused before its handler reads nothing.
 */
import type { Context } from "hono";

/** JSON media types, as Hono's own validator recognises them. */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/;

/** What fetch's `text()` and `json()` decode with: UTF-8, a leading BOM dropped, bad bytes replaced. */
const utf8 = new TextDecoder();

/** The part of Node's IncomingMessage this reads. */
interface NodeIncoming {
  readonly readableEnded: boolean;
  readonly httpVersionMajor: number;
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

function nodeIncomingOf(c: Context): NodeIncoming | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (typeof incoming !== "object" || incoming === null) return undefined;
  const candidate = incoming as Partial<NodeIncoming> & { headers?: unknown };
  return typeof candidate.on === "function" && typeof candidate.headers === "object"
    ? (candidate as NodeIncoming)
    : undefined;
}

/** Every byte of the message's body (whose length Node's parser holds to its Content-Length). */
function readAll(incoming: NodeIncoming): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const onData = (chunk: Uint8Array) => {
      chunks.push(chunk);
      size += chunk.length;
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    // A client that hangs up mid-body: `close` without `end`.
    const onClose = () => {
      done();
      reject(new Error("the request body ended before its Content-Length"));
    };
    const done = () => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    incoming.on("data", onData);
    incoming.on("end", onEnd);
    incoming.on("error", onError);
    incoming.on("close", onClose);
  });
}

/**
 * Takes the body of `c` from Node's IncomingMessage if it is the plain case (see the module
 * comment) and says so; otherwise leaves it alone and answers false. `maxSize` is the body limit;
 * `tooLarge` throws the refusal for a declared length over it.
 */
export function takeNodeJsonBody(c: Context, maxSize: number, tooLarge: () => never): boolean {
  const method = c.req.method;
  if (method !== "POST" && method !== "PUT" && method !== "PATCH") return false;
  const contentType = c.req.header("content-type");
  if (contentType === undefined || !JSON_CONTENT_TYPE.test(contentType)) return false;
  if (c.req.header("transfer-encoding") !== undefined) return false;
  const declared = c.req.header("content-length");
  if (declared === undefined || !/^\d{1,15}$/.test(declared)) return false;
  const incoming = nodeIncomingOf(c);
  // HTTP/1 only: the limit rests on Node's HTTP/1 parser ending the body at its Content-Length.
  if (incoming === undefined || incoming.httpVersionMajor !== 1 || incoming.readableEnded) return false;
  if (Number(declared) > maxSize) tooLarge();

  let bytes: Promise<Uint8Array> | undefined;
  let text: Promise<string> | undefined;
  let json: Promise<unknown> | undefined;
  const read = () => {
    bytes ??= readAll(incoming);
    return bytes;
  };
  const readText = () => {
    text ??= read().then((body) => utf8.decode(body));
    return text;
  };
  // Hono's HonoRequest reads `bodyCache[kind]` first and derives any other kind from the first
  // cached one; `arrayBuffer` comes first, so what it derives starts from the exact bytes.
  Object.defineProperties(c.req.bodyCache, {
    arrayBuffer: {
      enumerable: true,
      configurable: true,
      get: () => read().then((body) => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)),
    },
    text: { enumerable: true, configurable: true, get: readText },
    json: {
      enumerable: true,
      configurable: true,
      get: () => {
        json ??= readText().then((body) => JSON.parse(body) as unknown);
        return json;
      },
    },
  });
  return true;
}
