/**
 * The service's signing keys at rest (issue 14): each private key is sealed with AES-256-GCM under
 * a key-encryption key (KEK) that never enters the database, with the key's `kid` as associated
 * data (a sealed key copied onto another row does not open). A copy of the database alone
 * therefore yields no private key. The KEK comes from `BATON_KEK` (base64url, 32 bytes), from the
 * file `BATON_KEK_FILE`, or by default from `<db>.kek` beside the database, created owner-only on
 * the first start of a database that has no sealed key yet. A missing or wrong KEK stops the
 * service with a {@link KeyEncryptionError} that names where it looked; never is a new signing key
 * generated in its place, which would invalidate every token issued.
 *
 * Stored form: `kek1:<KEK id>:<base64url IV>:<base64url ciphertext ‖ tag>`, where the KEK id is a
 * short hash of the KEK, so a mismatch is reported as such instead of as a failed decryption.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  writeSync,
} from "node:fs";

/** Prefix of a sealed private key. */
export const SEALED_KEY_PREFIX = "kek1:";
const KEK_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^kek1:([A-Za-z0-9_-]{11}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{24,5600})$/;
const KEK_TEXT = /^[A-Za-z0-9_-]{43}\n?$/;

/** Why the KEK or a sealed key could not be used; `setting` names where the KEK came from. */
export type KeyEncryptionErrorCode = "kek_missing" | "kek_invalid" | "kek_mismatch" | "key_corrupt";

/** The KEK is missing, malformed or not the one the keys were sealed with. */
export class KeyEncryptionError extends Error {
  override readonly name = "KeyEncryptionError";
  constructor(
    readonly code: KeyEncryptionErrorCode,
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

/** A key-encryption key and where it came from. */
export interface KeyEncryptionKey {
  /** A short hash of the key, stored with every sealed key; not secret. */
  readonly id: string;
  readonly key: Buffer;
  /** Where it came from, for messages: `BATON_KEK`, or `BATON_KEK_FILE (/path)`. */
  readonly origin: string;
}

/** Where the service takes its KEK from (see `kekSourceOf` in config.ts). */
export type KekSource =
  | { readonly kind: "env"; readonly value: string }
  | { readonly kind: "file"; readonly path: string; readonly setting: string }
  | { readonly kind: "ephemeral" };

function idOf(key: Buffer): string {
  return createHash("sha256")
    .update("baton key-encryption key\0")
    .update(key)
    .digest("base64url")
    .slice(0, 11);
}

/** A KEK from its base64url text (the format of `BATON_KEK` and of a KEK file). */
export function decodeKek(text: string, origin: string): KeyEncryptionKey {
  if (!KEK_TEXT.test(text)) {
    throw new KeyEncryptionError(
      "kek_invalid",
      origin,
      `expected ${KEK_BYTES} bytes in base64url (43 characters), e.g. from: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`,
    );
  }
  const key = Buffer.from(text.trim(), "base64url");
  return { id: idOf(key), key, origin };
}

/** A fresh random KEK. */
export function generateKek(origin: string): KeyEncryptionKey {
  const key = randomBytes(KEK_BYTES);
  return { id: idOf(key), key, origin };
}

/** Writes a new KEK file, owner-only; refuses to overwrite one. */
export function writeKekFile(path: string, kek: KeyEncryptionKey): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, `${kek.key.toString("base64url")}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600);
}

/**
 * Reads a KEK file. A file others can read is made owner-only, and `warn` is told (the KEK may
 * have been read already: rotate it with `baton keys rewrap`).
 */
export function readKekFile(path: string, origin: string, warn: (message: string) => void): KeyEncryptionKey {
  const fd = openSync(path, "r");
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      chmodSync(path, 0o600);
      warn(
        `${origin} was readable by others (mode ${mode.toString(8)}); made it owner-only (600). If someone may have read it, rotate it: baton keys rewrap`,
      );
    }
    return decodeKek(readFileSync(fd, "utf8"), origin);
  } finally {
    closeSync(fd);
  }
}

/** True when a stored private key is sealed (not legacy plaintext PKCS#8). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_KEY_PREFIX);
}

/** The id of the KEK a stored key was sealed with; undefined for a plaintext key. */
export function sealedWith(stored: string): string | undefined {
  return SEALED.exec(stored)?.[1];
}

/** Seals a PKCS#8 DER private key for the row of `kid`. */
export function sealPrivateKey(kek: KeyEncryptionKey, kid: string, pkcs8: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", kek.key, iv);
  cipher.setAAD(Buffer.from(`baton signing key ${kid}`, "utf8"));
  const sealed = Buffer.concat([cipher.update(pkcs8), cipher.final(), cipher.getAuthTag()]);
  return `${SEALED_KEY_PREFIX}${kek.id}:${iv.toString("base64url")}:${sealed.toString("base64url")}`;
}

/** Opens a sealed private key of `kid`; throws a {@link KeyEncryptionError} when it cannot. */
export function unsealPrivateKey(kek: KeyEncryptionKey, kid: string, stored: string): Buffer {
  const match = SEALED.exec(stored);
  if (match === null)
    throw new KeyEncryptionError("key_corrupt", kek.origin, `signing key ${kid} is not a sealed key`);
  const [, kekId = "", iv = "", sealed = ""] = match;
  if (kekId !== kek.id) {
    throw new KeyEncryptionError(
      "kek_mismatch",
      kek.origin,
      `signing key ${kid} was sealed under KEK ${kekId}, but this KEK is ${kek.id}: give the KEK file it was sealed with (BATON_KEK_FILE) or its value (BATON_KEK)`,
    );
  }
  const bytes = Buffer.from(sealed, "base64url");
  try {
    const decipher = createDecipheriv("aes-256-gcm", kek.key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(`baton signing key ${kid}`, "utf8"));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new KeyEncryptionError(
      "key_corrupt",
      kek.origin,
      `signing key ${kid} does not open under KEK ${kek.id}: the row was altered or moved; restore the database from a backup`,
    );
  }
}

/** What {@link loadKek} found. */
export interface LoadedKek {
  readonly kek: KeyEncryptionKey;
  /** The file it created, when there was none (a database without sealed keys). */
  readonly created: string | undefined;
}

/**
 * The KEK from `source`. A KEK file that does not exist is created only when `sealedKekIds` is
 * empty (nothing is sealed yet); otherwise it is a `kek_missing` error naming the file.
 */
export function loadKek(
  source: KekSource,
  sealedKekIds: readonly string[],
  warn: (message: string) => void,
): LoadedKek {
  let loaded: LoadedKek;
  if (source.kind === "env") {
    loaded = { kek: decodeKek(source.value, "BATON_KEK"), created: undefined };
  } else if (source.kind === "ephemeral") {
    loaded = { kek: generateKek("in-memory KEK"), created: undefined };
  } else {
    const origin = `${source.setting} (${source.path})`;
    if (existsSync(source.path)) loaded = { kek: readKekFile(source.path, origin, warn), created: undefined };
    else if (sealedKekIds.length > 0) {
      throw new KeyEncryptionError(
        "kek_missing",
        origin,
        `no such file, but the database's signing keys are sealed under KEK ${sealedKekIds[0]}: restore that KEK file, or point BATON_KEK_FILE at it`,
      );
    } else {
      const kek = generateKek(origin);
      writeKekFile(source.path, kek);
      loaded = { kek, created: source.path };
    }
  }
  const foreign = sealedKekIds.find((id) => id !== loaded.kek.id);
  if (foreign !== undefined) {
    throw new KeyEncryptionError(
      "kek_mismatch",
      loaded.kek.origin,
      `the database's signing keys are sealed under KEK ${foreign}, but this KEK is ${loaded.kek.id}: give the KEK they were sealed with (BATON_KEK_FILE or BATON_KEK)`,
    );
  }
  return loaded;
}
