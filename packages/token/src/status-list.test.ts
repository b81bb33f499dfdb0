import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "./base64url.ts";
import { parseClaims } from "./claims.ts";
import { TOKEN_ALG } from "./jws.ts";
import { runSignatureChecks } from "./signature-checks.ts";
import {
  compressStatusList,
  decodeStatusListToken,
  decompressStatusList,
  packStatusBits,
  parseStatusListClaim,
  parseStatusListTokenClaims,
  type StatusBits,
  signStatusListToken,
  statusAt,
  statusListSignatureCheck,
} from "./status-list.ts";
import { claimsJson, rootClaims } from "./test-fixtures.ts";

const VECTORS = new URL("../test-data/status-list/", import.meta.url);

/** The `{bits, lst}` object of one of the draft's example files (its `lst` is wrapped over lines). */
function vector(file: string): { bits: StatusBits; lst: string } {
  const text = readFileSync(new URL(file, VECTORS), "utf8");
  const json = text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1).replace(/\s+/g, "");
  return JSON.parse(json) as { bits: StatusBits; lst: string };
}

/** `status[N] = 0b…` lines of one section of the draft's test-vector appendix. */
function expectedStatuses(section: string): Map<number, number> {
  const text = readFileSync(new URL("TEST-VECTORS-from-draft-20.md", VECTORS), "utf8");
  const start = text.indexOf(`## ${section}`);
  const end = text.indexOf("JSON encoding:", start);
  const statuses = new Map<number, number>();
  for (const match of text.slice(start, end).matchAll(/status\[(\d+)\]\s*=\s*0b([01]+)/g)) {
    statuses.set(Number(match[1]), Number.parseInt(match[2] as string, 2));
  }
  return statuses;
}

/** A 2^20-entry list of `bits`-bit entries holding exactly `statuses`, packed LSB first. */
function expectedBytes(bits: StatusBits, statuses: Map<number, number>): Uint8Array {
  const bytes = new Uint8Array((2 ** 20 * bits) / 8);
  for (const [index, status] of statuses) {
    const offset = index * bits;
    bytes[offset >> 3] = (bytes[offset >> 3] as number) | (status << (offset & 7));
  }
  return bytes;
}

/** Where two byte arrays first differ, or -1 (toEqual on a megabyte is needlessly slow). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

async function inflate(lst: string): Promise<Uint8Array> {
  const result = await decompressStatusList(lst);
  if (!result.ok) throw result.error;
  return result.value;
}

describe("status list encoding (draft-ietf-oauth-status-list-20 vectors)", () => {
  it("decodes the draft's 1-bit example to its two bytes", async () => {
    const { bits, lst } = vector("status_list_encoding_json.md");
    expect(bits).toBe(1);
    expect(await inflate(lst)).toEqual(new Uint8Array([0xb9, 0xa3]));
  });

  it("decodes the draft's 2-bit example to its three bytes", async () => {
    const { bits, lst } = vector("status_list_encoding2_json.md");
    expect(bits).toBe(2);
    expect(await inflate(lst)).toEqual(new Uint8Array([0xc9, 0x44, 0xf9]));
  });

  it("reads entries least significant bit first, as the draft's section 4.1 example does", () => {
    const bytes = new Uint8Array([0xb9, 0xa3]);
    const statuses = Array.from({ length: 16 }, (_, index) => statusAt(bytes, 1, index));
    expect(statuses).toEqual([1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]);
    expect(statusAt(new Uint8Array([0xc9, 0x44, 0xf9]), 2, 0)).toBe(1);
    expect(statusAt(new Uint8Array([0xc9, 0x44, 0xf9]), 2, 3)).toBe(3);
  });

  for (const [file, bits, section] of [
    ["status_list_encoding1_long_json.md", 1, "1-bit Status List"],
    ["status_list_encoding2_long_json.md", 2, "2-bit Status List"],
    ["status_list_encoding4_json.md", 4, "4-bit Status List"],
    ["status_list_encoding8_json.md", 8, "8-bit Status List"],
  ] as const) {
    it(`decodes the draft's 2^20-entry ${section} to exactly its listed statuses`, async () => {
      const statuses = expectedStatuses(section);
      expect(statuses.size).toBeGreaterThan(10);
      const { bits: declared, lst } = vector(file);
      expect(declared).toBe(bits);
      const bytes = await inflate(lst);
      expect(firstDifference(bytes, expectedBytes(bits, statuses))).toBe(-1);
      for (const [index, status] of statuses) expect(statusAt(bytes, bits, index)).toBe(status);
      // Re-encoding may give other lst text (zlib versions differ); the bits must survive it.
      expect(firstDifference(await inflate(await compressStatusList(bytes)), bytes)).toBe(-1);
    });
  }

  it("parses the draft's example status list token claims", () => {
    const parsed = parseStatusListTokenClaims({
      exp: 2291720170,
      iat: 1686920170,
      iss: "https://example.com",
      status_list: { bits: 1, lst: "eNrbuRgAAhcBXQ" },
      sub: "https://example.com/statuslists/1",
      ttl: 43200,
    });
    expect(parsed.ok).toBe(true);
  });
});

describe("status list round trip", () => {
  test.prop([
    fc
      .integer({ min: 1, max: 70_000 })
      .chain((size) =>
        fc.tuple(
          fc.constant(size),
          fc.uniqueArray(fc.integer({ min: 0, max: size - 1 }), { maxLength: 200 }),
        ),
      ),
  ])("keeps exactly the set entries through pack, deflate and inflate", async ([size, indexes]) => {
    const bytes = packStatusBits(size, indexes);
    const decoded = await inflate(await compressStatusList(bytes));
    const set = new Set(indexes);
    expect(decoded).toEqual(bytes);
    for (let index = 0; index < size; index += Math.max(1, Math.floor(size / 500))) {
      expect(statusAt(decoded, 1, index)).toBe(set.has(index) ? 1 : 0);
    }
    for (const index of indexes) expect(statusAt(decoded, 1, index)).toBe(1);
  });

  it("answers undefined for an index outside the list, never valid", () => {
    const bytes = packStatusBits(16, [3]);
    expect(statusAt(bytes, 1, 16)).toBeUndefined();
    expect(statusAt(bytes, 1, -1)).toBeUndefined();
  });
});

describe("bounded decompression", () => {
  it("refuses a list that inflates past the ceiling (a zip bomb), without inflating it whole", async () => {
    // 64 MiB of zeros deflates to about 64 KiB; the default ceiling is 1 MiB.
    const bomb = await compressStatusList(new Uint8Array(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    const result = await decompressStatusList(bomb);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.claim).toBe("status_list.lst");
  });

  it("honours a lower ceiling", async () => {
    const lst = await compressStatusList(new Uint8Array(9000));
    expect((await decompressStatusList(lst, { maxBytes: 8192 })).ok).toBe(false);
    expect((await decompressStatusList(lst, { maxBytes: 9000 })).ok).toBe(true);
  });

  it("refuses an lst that is not ZLIB, is cut short, or is not canonical base64url", async () => {
    const whole = decodeBase64url(await compressStatusList(new Uint8Array(100).fill(7))) as Uint8Array;
    const cut = encodeBase64url(whole.subarray(0, whole.length - 3));
    for (const lst of ["", "AB", "eNrbuRgAAhcBXQ=", encodeBase64url(new Uint8Array([1, 2, 3, 4])), cut]) {
      const result = await decompressStatusList(lst);
      expect(result.ok, lst).toBe(false);
    }
  });
});

describe("status list token claims", () => {
  const good = {
    sub: "https://baton.example/v1/status-lists/0",
    iat: 1000,
    exp: 2000,
    ttl: 300,
    status_list: { bits: 1, lst: "eNrbuRgAAhcBXQ" },
  };

  it("refuses unknown members, wrong bits and times that are not integers", () => {
    const bad: unknown[] = [
      { ...good, extra: 1 },
      { ...good, sub: "ftp://x" },
      { ...good, sub: `https://x/${"a".repeat(600)}` },
      { ...good, iat: "1000" },
      { ...good, exp: 999 },
      { ...good, ttl: 0 },
      { ...good, ttl: 1.5 },
      { ...good, status_list: { bits: 3, lst: "eNrbuRgAAhcBXQ" } },
      { ...good, status_list: { bits: 1, lst: "eNrbuRgAAhcBXQ", aggregation_uri: "https://x" } },
      { ...good, status_list: { bits: 1 } },
      [good],
    ];
    for (const claims of bad)
      expect(parseStatusListTokenClaims(claims).ok, JSON.stringify(claims)).toBe(false);
    expect(parseStatusListTokenClaims(good).ok).toBe(true);
    expect(parseStatusListClaim({ bits: 8, lst: "x" }).ok).toBe(true);
  });

  it("signs a token whose header and claims decode strictly and whose signature verifies", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const compact = await signStatusListToken(
      { uri: good.sub, bytes: packStatusBits(65_536, [5, 65_535]), iat: 1000, exp: 1300, ttl: 300 },
      { kid: "k1", privateKey },
    );
    const decoded = decodeStatusListToken(compact);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value.kid).toBe("k1");
    expect(decoded.value.claims).toMatchObject({ sub: good.sub, iat: 1000, exp: 1300, ttl: 300 });
    expect(await runSignatureChecks(statusListSignatureCheck(decoded.value, publicKey))).toBe(true);
    const bytes = await inflate(decoded.value.claims.status_list.lst);
    expect([statusAt(bytes, 1, 5), statusAt(bytes, 1, 6), statusAt(bytes, 1, 65_535)]).toEqual([1, 0, 1]);
    const header = JSON.parse(new TextDecoder().decode(decodeBase64url(compact.split(".")[0] as string)));
    expect(header.typ).toBe("statuslist+jwt");
  });

  it("refuses a status list token of another typ or alg", () => {
    const header = (value: object) => encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));
    const payload = header(good);
    const signature = encodeBase64url(new Uint8Array(64));
    const typ = decodeStatusListToken(
      `${header({ alg: TOKEN_ALG, typ: "baton+jwt", kid: "k" })}.${payload}.${signature}`,
    );
    const alg = decodeStatusListToken(
      `${header({ alg: "ES256", typ: "statuslist+jwt", kid: "12" })}.${payload}.${signature}`,
    );
    expect(typ.ok ? undefined : typ.error.code).toBe("bad_type");
    expect(alg.ok ? undefined : alg.error.code).toBe("unsupported_alg");
  });
});

describe("the status claim of a Baton token", () => {
  const withStatus = (status: unknown) => parseClaims({ ...claimsJson(rootClaims()), status });

  it("accepts {status_list: {idx, uri}}", () => {
    const parsed = withStatus({ status_list: { idx: 42, uri: "https://baton.example/v1/status-lists/0" } });
    expect(parsed.ok && parsed.value.status).toEqual({
      status_list: { idx: 42, uri: "https://baton.example/v1/status-lists/0" },
    });
  });

  it("refuses a status claim with unknown members, a bad idx or a bad uri", () => {
    const uri = "https://baton.example/v1/status-lists/0";
    for (const status of [
      null,
      {},
      { status_list: { idx: 1, uri }, other: 1 },
      { status_list: { idx: 1, uri, extra: true } },
      { status_list: { idx: -1, uri } },
      { status_list: { idx: 1.5, uri } },
      { status_list: { idx: "1", uri } },
      { status_list: { idx: 2 ** 32, uri } },
      { status_list: { idx: 1 } },
      { status_list: { idx: 1, uri: "javascript:alert(1)" } },
      { status_list: { idx: 1, uri: `https://x/${"a".repeat(520)}` } },
    ]) {
      const parsed = withStatus(status);
      expect(parsed.ok, JSON.stringify(status)).toBe(false);
      if (!parsed.ok) expect(parsed.error.code).toBe("malformed");
    }
  });
});
