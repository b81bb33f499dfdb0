/**
 * Key sources (issue 3): a static JWKS is validated whole; a remote JWKS is followed over real HTTP
 * on loopback, refreshed once (rate-limited) on an unknown kid, kept on a failed refresh, and a
 * key stops verifying as soon as it leaves the published set.
 */
import { Ed25519PublicKey, ed25519PublicJwk, type TokenError, type VerificationKey } from "@baton/token";
import { afterEach, describe, expect, it } from "vitest";
import { remoteJwks, staticKeys } from "../src/key-sources.ts";
import { expectAllowed, expectExactly } from "./expect-decision.ts";
import {
  alice,
  bob,
  jwksOf,
  makeServiceKey,
  makeVerifier,
  mintChain,
  presentation,
  publicJwk,
  type ServiceKey,
} from "./fixtures.ts";
import { type LoopbackServer, sendJson, startLoopback } from "./loopback.ts";

/** The `x` of a resolved key, to compare with a test key's JWK. */
function xOf(key: VerificationKey | undefined): string | undefined {
  return key instanceof Ed25519PublicKey ? key.x : key?.export({ format: "jwk" }).x;
}

function thrownBy(fn: () => unknown): TokenError | undefined {
  try {
    fn();
  } catch (error) {
    return error as TokenError;
  }
  return undefined;
}

describe("staticKeys", () => {
  const good = makeServiceKey();

  it("resolves the keys of a valid JWKS by kid, and nothing else", () => {
    const other = makeServiceKey();
    const keys = staticKeys(jwksOf(good, other));
    expect(xOf(keys.resolve(good.kid))).toBe(good.jwk.x);
    expect(xOf(keys.resolve(other.kid))).toBe(other.jwk.x);
    expect(keys.resolve("nope")).toBeUndefined();
  });

  it("rejects a malformed JWKS as a whole (malformed)", () => {
    const entry = publicJwk(good);
    const lowOrder = { ...entry, x: ed25519PublicJwk(new Uint8Array(32).fill(0)).x };
    const identity = { ...entry, x: Buffer.from(`01${"00".repeat(31)}`, "hex").toString("base64url") };
    const bad: unknown[] = [
      null,
      {},
      { keys: "x" },
      { keys: [{ ...entry, kid: undefined }] },
      { keys: [{ ...entry, kid: "has space" }] },
      { keys: [entry, entry] },
      { keys: [{ ...entry, d: entry.x }] },
      { keys: [{ ...entry, kty: "RSA" }] },
      { keys: [{ ...entry, crv: "X25519" }] },
      { keys: [{ ...entry, x: `${entry.x}A` }] },
      { keys: [lowOrder] },
      { keys: [identity] },
      { keys: [entry, { ...publicJwk(makeServiceKey()), use: "enc" }] },
      { keys: Array.from({ length: 33 }, () => publicJwk(makeServiceKey())) },
    ];
    for (const jwks of bad) {
      expect(thrownBy(() => staticKeys(jwks))?.code, JSON.stringify(jwks)?.slice(0, 80)).toBe("malformed");
    }
  });
});

describe("remoteJwks over loopback HTTP", () => {
  let server: LoopbackServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A JWKS endpoint whose answer a test can change: a key set, or a status code. */
  async function jwksServer(initial: ServiceKey[]) {
    const state: { keys: ServiceKey[]; status: number; body?: string } = { keys: initial, status: 200 };
    server = await startLoopback((_request, response) => {
      if (state.body !== undefined) {
        response.writeHead(state.status, { "content-type": "application/json" });
        response.end(state.body);
      } else if (state.status !== 200) {
        sendJson(response, state.status, { error: "down" });
      } else {
        sendJson(response, 200, jwksOf(...state.keys));
      }
    });
    return {
      state,
      url: `${server.origin}/.well-known/jwks.json`,
      fetches: () => server?.requests.length ?? 0,
    };
  }

  /** A clock in milliseconds that tests move by hand. */
  function manualClock(start = 1_900_000_000_000) {
    let now = start;
    return {
      now: () => now,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it("loads the set on ready() and verifies chains signed with it", async () => {
    const k1 = makeServiceKey();
    const { url, fetches } = await jwksServer([k1]);
    const keys = remoteJwks({ url });
    await keys.ready();
    expect(fetches()).toBe(1);
    expect(keys.fetchedAt).toBeDefined();
    expect(xOf(keys.resolve(k1.kid))).toBe(k1.jwk.x);
    const chain = mintChain({ holder: alice, serviceKey: k1 }, { holder: bob, serviceKey: k1 });
    expectAllowed(await makeVerifier({ keys }).verify(presentation(chain)));
  });

  it("fails ready() when the first fetch fails, so a verifier never starts with no keys", async () => {
    const { state, url } = await jwksServer([]);
    state.status = 503;
    const keys = remoteJwks({ url });
    await expect(keys.ready()).rejects.toThrow();
    expect(keys.fetchedAt).toBeUndefined();
    expect(keys.lastError).toBeInstanceOf(Error);
  });

  it("refreshes once on an unknown kid and finds a rotated key", async () => {
    const k1 = makeServiceKey();
    const k2 = makeServiceKey();
    const clock = manualClock();
    const { state, url, fetches } = await jwksServer([k1]);
    const keys = remoteJwks({ url, clock: clock.now, minRefreshIntervalSeconds: 30 });
    await keys.ready();
    state.keys = [k1, k2];
    clock.advance(30_000);
    const rotated = mintChain({ holder: alice, serviceKey: k2 }, { holder: bob, serviceKey: k2 });
    expectAllowed(await makeVerifier({ keys }).verify(presentation(rotated)));
    expect(fetches()).toBe(2);
  });

  it("rate-limits refreshes: a flood of unknown kids costs one fetch per interval", async () => {
    const k1 = makeServiceKey();
    const clock = manualClock();
    const { url, fetches } = await jwksServer([k1]);
    const keys = remoteJwks({ url, clock: clock.now, minRefreshIntervalSeconds: 30 });
    await keys.ready();
    clock.advance(30_000);
    const verifier = makeVerifier({ keys });
    for (let i = 0; i < 20; i++) {
      const madeUp = mintChain({ holder: alice, serviceKey: makeServiceKey() });
      expectExactly(await verifier.verify(presentation(madeUp)), [[0, "unknown_key"]]);
      clock.advance(1000);
    }
    expect(fetches()).toBe(2);
    clock.advance(30_000);
    const madeUp = mintChain({ holder: alice, serviceKey: makeServiceKey() });
    expectExactly(await verifier.verify(presentation(madeUp)), [[0, "unknown_key"]]);
    expect(fetches()).toBe(3);
  });

  it("lets requests that arrive during a refresh wait for it instead of failing", async () => {
    const k1 = makeServiceKey();
    const k2 = makeServiceKey();
    const clock = manualClock();
    const { state, url, fetches } = await jwksServer([k1]);
    const keys = remoteJwks({ url, clock: clock.now });
    await keys.ready();
    state.keys = [k1, k2];
    clock.advance(60_000);
    const verifier = makeVerifier({ keys });
    const rotated = mintChain({ holder: alice, serviceKey: k2 }, { holder: bob, serviceKey: k2 });
    const decisions = await Promise.all(
      Array.from({ length: 8 }, () => verifier.verify(presentation(rotated))),
    );
    for (const decision of decisions) expectAllowed(decision);
    expect(fetches()).toBe(2);
  });

  it("keeps the last good set when a refresh fails (status, bad JSON, or an invalid set)", async () => {
    const k1 = makeServiceKey();
    const { state, url } = await jwksServer([k1]);
    const keys = remoteJwks({ url });
    await keys.ready();
    const verifier = makeVerifier({ keys });
    const chain = mintChain({ holder: alice, serviceKey: k1 });
    const failures: [number, string | undefined][] = [
      [500, undefined],
      [200, "{not json"],
      [200, JSON.stringify({ keys: [{ ...publicJwk(k1), x: "AAAA" }] })],
      [200, JSON.stringify({ keys: "none" })],
    ];
    for (const [status, body] of failures) {
      state.status = status;
      if (body === undefined) delete state.body;
      else state.body = body;
      expect(await keys.refresh()).toBe(false);
      expect(keys.lastError).toBeInstanceOf(Error);
      expect(xOf(keys.resolve(k1.kid))).toBe(k1.jwk.x);
      expectAllowed(await verifier.verify(presentation(chain)));
    }
  });

  it("stops verifying a retired key as soon as it leaves the published set", async () => {
    const k1 = makeServiceKey();
    const k2 = makeServiceKey();
    const { state, url } = await jwksServer([k1, k2]);
    const keys = remoteJwks({ url });
    await keys.ready();
    const verifier = makeVerifier({ keys });
    const old = mintChain({ holder: alice, serviceKey: k1 }, { holder: bob, serviceKey: k1 });
    expectAllowed(await verifier.verify(presentation(old)));
    state.keys = [k2];
    expect(await keys.refresh()).toBe(true);
    expect(keys.resolve(k1.kid)).toBeUndefined();
    // Cached or not, the old chain no longer verifies.
    expectExactly(await verifier.verify(presentation(old)), [[0, "unknown_key"]]);
  });

  it("refetches a set older than maxAgeSeconds in the background", async () => {
    const k1 = makeServiceKey();
    const k2 = makeServiceKey();
    const clock = manualClock();
    const { state, url, fetches } = await jwksServer([k1]);
    const keys = remoteJwks({ url, clock: clock.now, maxAgeSeconds: 300 });
    await keys.ready();
    state.keys = [k2];
    keys.resolve(k1.kid);
    expect(fetches()).toBe(1);
    clock.advance(301_000);
    expect(keys.resolve(k1.kid)).toBeDefined(); // answered from the current set while refetching
    await waitFor(() => keys.resolve(k2.kid) !== undefined);
    expect(fetches()).toBe(2);
    expect(keys.resolve(k1.kid)).toBeUndefined();
  });

  it("does not refetch on every request while the JWKS endpoint is down", async () => {
    const k1 = makeServiceKey();
    const clock = manualClock();
    const { state, url, fetches } = await jwksServer([k1]);
    const keys = remoteJwks({ url, clock: clock.now, maxAgeSeconds: 300, minRefreshIntervalSeconds: 30 });
    await keys.ready();
    state.status = 503;
    clock.advance(301_000);
    for (let i = 0; i < 10; i++) {
      expect(keys.resolve(k1.kid)).toBeDefined();
      await waitFor(() => keys.lastError !== undefined);
      await new Promise((resolve) => setTimeout(resolve, 5));
      clock.advance(1000);
    }
    expect(fetches()).toBe(2);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
