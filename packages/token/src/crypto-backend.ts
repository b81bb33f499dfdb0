/**
 * The crypto adapter: Ed25519 verification and SHA-256 on whatever runtime this is. Where
 * node:crypto can be had (Node 20.16+, Bun, Deno: `process.getBuiltinModule`), it is used with
 * KeyObjects imported once per key, synchronously, as fast as calling it directly; elsewhere
 * (workers) Ed25519 goes through WebCrypto, asynchronously, and SHA-256 through plain JavaScript.
 * The choice is made by capability, once, on first use; nothing here imports node:crypto, so a
 * bundle for the edge carries no reference to it.
 */
import { decodeBase64url, encodeBase64url } from "./base64url.ts";
import { sha256 } from "./sha256.ts";
import {
  Ed25519PublicKey,
  type NodePublicKeyObject,
  type SignatureCheck,
  type VerificationKey,
} from "./verification-key.ts";

/** Which implementation checks signatures. */
export type CryptoBackendName = "node:crypto" | "webcrypto";

/** What the rest of the package asks of a runtime's crypto. */
export interface CryptoBackend {
  readonly name: CryptoBackendName;
  /** Present when signatures can be checked without waiting (node:crypto). */
  readonly verifySync: ((check: SignatureCheck) => boolean) | undefined;
  verify(check: SignatureCheck): Promise<boolean>;
  /**
   * Present where an Ed25519 private key (a KeyObject or a CryptoKey) can sign without waiting
   * (node:crypto): the 64-byte signature of `message`, whose characters are bytes.
   */
  readonly signSync: ((message: string, privateKey: object) => Uint8Array) | undefined;
  /** base64url SHA-256 of a string's UTF-8 bytes. */
  sha256Base64url(text: string): string;
  /** Lowercase hex SHA-256 of a string's UTF-8 bytes. */
  sha256Hex(text: string): string;
}

/** The part of node:crypto used here, by shape. */
export interface NodeCryptoModule {
  createPublicKey(key: {
    key: { kty: "OKP"; crv: "Ed25519"; x: string };
    format: "jwk";
  }): NodePublicKeyObject;
  verify(algorithm: null, data: Uint8Array, key: NodePublicKeyObject, signature: Uint8Array): boolean;
  /** Ed25519 signing; a KeyObject or a CryptoKey (Node 15+ takes either). */
  sign?(algorithm: null, data: Uint8Array, key: object): Uint8Array;
  createHash(algorithm: "sha256"): {
    update(data: string): { digest(encoding: "base64url" | "hex"): string };
  };
  /** One-shot digest (Node 20.12+, 21.7+): no Hash object to build for one short input. */
  hash?(algorithm: "sha256", data: string, outputEncoding: "base64url" | "hex"): string;
}

/** The part of WebCrypto's SubtleCrypto used here, by shape (a CryptoKey stays opaque). */
export interface SubtleEd25519 {
  importKey(
    format: "raw",
    keyData: Uint8Array,
    algorithm: { name: "Ed25519" },
    extractable: boolean,
    usages: readonly "verify"[],
  ): Promise<unknown>;
  verify(
    algorithm: { name: "Ed25519" },
    key: unknown,
    signature: Uint8Array,
    data: Uint8Array,
  ): Promise<boolean>;
}

const utf8 = new TextEncoder();

/** The bytes of a string whose characters are bytes (latin1), one character at a time. */
function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 255;
  return bytes;
}

/** `latin1Bytes` in a fresh array; ASCII (every JWS signing input) takes the native encoder. */
function messageBytes(text: string): Uint8Array {
  const encoded = utf8.encode(text);
  // Every character outside ASCII takes two or more UTF-8 bytes: same length means all ASCII.
  return encoded.length === text.length ? encoded : latin1Bytes(text);
}

// node:crypto verifies synchronously and keeps nothing, so one scratch array serves every check.
let scratch = new Uint8Array(8192);

/** `latin1Bytes` for a synchronous check: ASCII is encoded into the scratch array, not a new one. */
function scratchMessageBytes(text: string): Uint8Array {
  if (scratch.length < text.length) scratch = new Uint8Array(text.length);
  const { read, written } = utf8.encodeInto(text, scratch);
  return read === text.length && written === text.length ? scratch.subarray(0, written) : latin1Bytes(text);
}

// RFC 8032 §7.1 TEST 1 (empty message): run once to prove a node:crypto really does Ed25519.
const PROBE_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const PROBE_SIGNATURE =
  "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc-bRr0lv18FlbviRlUUFDjnoQCw";

/** A backend over node:crypto. Keys are imported into KeyObjects once and remembered. */
export function nodeCryptoBackend(crypto: NodeCryptoModule): CryptoBackend {
  const imported = new WeakMap<Ed25519PublicKey, NodePublicKeyObject>();
  const keyObject = (key: VerificationKey): NodePublicKeyObject => {
    if (!(key instanceof Ed25519PublicKey)) return key;
    let object = imported.get(key);
    if (object === undefined) {
      object = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: key.x }, format: "jwk" });
      imported.set(key, object);
    }
    return object;
  };
  const verifySync = ({ key, message, signature }: SignatureCheck): boolean =>
    crypto.verify(null, scratchMessageBytes(message), keyObject(key), signature);
  const sign = crypto.sign?.bind(crypto);
  const hash = crypto.hash?.bind(crypto);
  return {
    name: "node:crypto",
    verifySync,
    signSync:
      sign === undefined
        ? undefined
        : (message, privateKey) => sign(null, scratchMessageBytes(message), privateKey),
    verify: async (check) => verifySync(check),
    sha256Base64url:
      hash === undefined
        ? (text) => crypto.createHash("sha256").update(text).digest("base64url")
        : (text) => hash("sha256", text, "base64url"),
    sha256Hex:
      hash === undefined
        ? (text) => crypto.createHash("sha256").update(text).digest("hex")
        : (text) => hash("sha256", text, "hex"),
  };
}

function hexOf(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** A backend over WebCrypto's Ed25519. Keys are imported into CryptoKeys once and remembered. */
export function webCryptoBackend(subtle: SubtleEd25519): CryptoBackend {
  const imported = new WeakMap<object, Promise<unknown>>();
  const rawKey = (key: VerificationKey): Uint8Array => {
    // A KeyObject only reaches here where node:crypto exists but is not used (tests forcing WebCrypto).
    const x = key instanceof Ed25519PublicKey ? key.x : key.export({ format: "jwk" }).x;
    const bytes = x === undefined ? undefined : decodeBase64url(x);
    if (bytes?.byteLength !== 32) throw new TypeError("the verification key is not an Ed25519 public key");
    return bytes;
  };
  const cryptoKey = (key: VerificationKey): Promise<unknown> => {
    let pending = imported.get(key);
    if (pending === undefined) {
      pending = subtle.importKey("raw", rawKey(key), { name: "Ed25519" }, false, ["verify"]);
      // A failed import is not remembered: the next check tries again.
      pending.catch(() => imported.delete(key));
      imported.set(key, pending);
    }
    return pending;
  };
  return {
    name: "webcrypto",
    verifySync: undefined,
    signSync: undefined,
    async verify({ key, message, signature }) {
      return subtle.verify({ name: "Ed25519" }, await cryptoKey(key), signature, messageBytes(message));
    },
    sha256Base64url: (text) => encodeBase64url(sha256(utf8.encode(text))),
    sha256Hex: (text) => hexOf(sha256(utf8.encode(text))),
  };
}

/** node:crypto through `process.getBuiltinModule`, when the runtime has it and it does Ed25519. */
function probeNodeCrypto(): NodeCryptoModule | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof runtime?.getBuiltinModule !== "function") return undefined;
  let crypto: Partial<NodeCryptoModule> | undefined;
  try {
    crypto = runtime.getBuiltinModule("node:crypto") as Partial<NodeCryptoModule> | undefined;
  } catch {
    return undefined;
  }
  if (
    typeof crypto?.verify !== "function" ||
    typeof crypto.createPublicKey !== "function" ||
    typeof crypto.createHash !== "function"
  ) {
    return undefined;
  }
  const candidate = crypto as NodeCryptoModule;
  try {
    const probe = nodeCryptoBackend(candidate);
    const signature = decodeBase64url(PROBE_SIGNATURE) as Uint8Array;
    const key = Ed25519PublicKey.fromJwk({ kty: "OKP", crv: "Ed25519", x: PROBE_X });
    return probe.verifySync?.({ key, message: "", signature }) === true ? candidate : undefined;
  } catch {
    return undefined;
  }
}

let probed: { readonly crypto: NodeCryptoModule | undefined } | undefined;

function nodeCryptoModule(): NodeCryptoModule | undefined {
  probed ??= { crypto: probeNodeCrypto() };
  return probed.crypto;
}

/** node:crypto, for the few Node-only helpers; throws naming `operation` where there is none. */
export function requireNodeCrypto(operation: string): NodeCryptoModule {
  const crypto = nodeCryptoModule();
  if (crypto === undefined) throw new TypeError(`${operation} needs node:crypto, which this runtime lacks`);
  return crypto;
}

/** Picks the backend by what the runtime can do: node:crypto, else WebCrypto. */
export function detectCryptoBackend(): CryptoBackend {
  const node = probeNodeCrypto();
  if (node !== undefined) return nodeCryptoBackend(node);
  const subtle = (globalThis as { crypto?: { subtle?: SubtleEd25519 } }).crypto?.subtle;
  if (subtle !== undefined) return webCryptoBackend(subtle);
  throw new Error(
    "no Ed25519 implementation found: Baton needs node:crypto (Node 20.16+, Bun, Deno) or WebCrypto (crypto.subtle)",
  );
}

let chosen: CryptoBackend | undefined;

/** The backend this process uses, chosen on first use. */
export function cryptoBackend(): CryptoBackend {
  chosen ??= detectCryptoBackend();
  return chosen;
}

/** Which implementation this runtime checks signatures with: `node:crypto` or `webcrypto`. */
export function activeCryptoBackend(): CryptoBackendName {
  return cryptoBackend().name;
}
