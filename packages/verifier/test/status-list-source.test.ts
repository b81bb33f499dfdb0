/**
 * The status list revocation source against a real loopback server serving signed status list
 * tokens: it loads a list the first time a token names it, answers from its bits, and fails
 * closed (`revocation_unknown`) on anything it cannot vouch for.
 */
import { compressStatusList, packStatusBits, signStatusListToken, TOKEN_ALG } from "@baton/token";
import { afterEach, describe, expect, it } from "vitest";
import { staticKeys } from "../src/key-sources.ts";
import { followStatusLists } from "../src/status-list-source.ts";
import { expectAllowed, expectExactly } from "./expect-decision.ts";
import {
  alice,
  bob,
  carol,
  jwksOf,
  makeServiceKey,
  makeVerifier,
  mintChain,
  NOW,
  presentation,
  service,
  signCompact,
} from "./fixtures.ts";
import { type LoopbackServer, startLoopback } from "./loopback.ts";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server of status lists: list `n` has the entries in `revoked[n]` set, signed at `iat`. */
async function listServer(options: { iat?: number; size?: number } = {}) {
  const state = {
    revoked: new Map<string, number[]>([["0", []]]),
    iat: options.iat ?? NOW,
    /** Replaces the body of every answer when set. */
    body: undefined as string | undefined,
    status: 200,
    signWith: service,
  };
  server = await startLoopback(async ({ url }, response) => {
    const n = url.pathname.split("/").at(-1) ?? "";
    const indexes = state.revoked.get(n);
    if (state.status !== 200 || indexes === undefined) {
      response.writeHead(state.status === 200 ? 404 : state.status);
      return void response.end();
    }
    const token =
      state.body ??
      (await signStatusListToken(
        {
          uri: `${origin}/v1/status-lists/${n}`,
          bytes: packStatusBits(options.size ?? 65_536, indexes),
          iat: state.iat,
          exp: state.iat + 300,
          ttl: 30,
        },
        { kid: state.signWith.kid, privateKey: state.signWith.privateKey },
      ));
    response.writeHead(200, { "content-type": "application/statuslist+jwt" });
    response.end(token);
  });
  const origin = server.origin;
  return { state, prefix: `${origin}/v1/status-lists/`, fetches: () => server?.requests.length ?? 0 };
}

/** alice → bob → carol, each token naming entry `idx + i` of list `uri`. */
function listedChain(uri: string, first = 0) {
  const status = (idx: number) => ({ status: { status_list: { idx, uri } } });
  return mintChain(
    { holder: alice, claims: status(first) },
    { holder: bob, claims: status(first + 1) },
    { holder: carol, claims: status(first + 2) },
  );
}

function sourceFor(prefix: string, extra: Partial<Parameters<typeof followStatusLists>[0]> = {}) {
  return followStatusLists({
    keys: staticKeys(jwksOf(service)),
    uriPrefix: prefix,
    clock: () => NOW * 1000,
    ...extra,
  });
}

describe("followStatusLists over loopback HTTP", () => {
  it("loads a list the first time a token names it, then refuses the hop whose bit is set (revoked)", async () => {
    const lists = await listServer();
    lists.state.revoked.set("0", [1]);
    const source = sourceFor(lists.prefix);
    const verifier = makeVerifier({ revocations: source });
    const chain = listedChain(`${lists.prefix}0`);
    expectExactly(await verifier.verify(presentation(chain)), [[1, "revoked"]]);
    expect(lists.fetches()).toBe(1);
    expect(source.lists).toEqual([`${lists.prefix}0`]);
  });

  it("allows a chain whose entries are all 0, without fetching again", async () => {
    const lists = await listServer();
    lists.state.revoked.set("0", [7]);
    const verifier = makeVerifier({ revocations: sourceFor(lists.prefix) });
    const chain = listedChain(`${lists.prefix}0`);
    expectAllowed(await verifier.verify(presentation(chain)));
    expectAllowed(await verifier.verify(presentation(chain)));
    expect(lists.fetches()).toBe(1);
  });

  it("answers revocation_unknown for a token that carries no status claim", async () => {
    const lists = await listServer();
    const verifier = makeVerifier({ revocations: sourceFor(lists.prefix) });
    const status = { status: { status_list: { idx: 0, uri: `${lists.prefix}0` } } };
    const chain = mintChain({ holder: alice, claims: status }, { holder: bob });
    const decision = await verifier.verify(presentation(chain));
    expectExactly(decision, [[1, "revocation_unknown"]]);
    expect(decision.reasons[0]?.message).toContain("no status claim");
  });

  it("fails closed when the list's signed iat is older than the staleness limit, however recently it was fetched", async () => {
    const lists = await listServer({ iat: NOW - 120 });
    const verifier = makeVerifier({ revocations: sourceFor(lists.prefix), maxStalenessSeconds: 60 });
    const decision = await verifier.verify(presentation(listedChain(`${lists.prefix}0`)));
    expectExactly(decision, [[0, "revocation_unknown"]]);
    expect(decision.reasons[0]?.message).toContain("120 s old");
  });

  it("refuses a list signed by another key, one signed for another list, or one that inflates too far", async () => {
    const lists = await listServer();
    const chain = listedChain(`${lists.prefix}0`);

    lists.state.signWith = makeServiceKey();
    const unknownKey = sourceFor(lists.prefix);
    expectExactly(await makeVerifier({ revocations: unknownKey }).verify(presentation(chain)), [
      [0, "revocation_unknown"],
    ]);
    expect(unknownKey.lastError?.message).toContain("unknown key");

    // The right kid, the wrong private key: the signature does not verify.
    lists.state.signWith = { ...makeServiceKey(), kid: service.kid };
    const badSignature = sourceFor(lists.prefix);
    await expect(badSignature.refresh(`${lists.prefix}0`)).rejects.toThrow(/bad signature/);

    lists.state.signWith = service;
    lists.state.revoked.set("1", []);
    lists.state.body = await signStatusListToken(
      { uri: `${lists.prefix}1`, bytes: packStatusBits(8, []), iat: NOW, exp: NOW + 300, ttl: 30 },
      { kid: service.kid, privateKey: service.privateKey },
    );
    await expect(sourceFor(lists.prefix).refresh(`${lists.prefix}0`)).rejects.toThrow(/names another list/);

    // A valid signature over a list that inflates to 64 MiB: refused while inflating.
    const bomb = await compressStatusList(new Uint8Array(64 * 1024 * 1024));
    lists.state.body = signCompact(
      { alg: TOKEN_ALG, typ: "statuslist+jwt", kid: service.kid },
      { sub: `${lists.prefix}0`, iat: NOW, exp: NOW + 300, ttl: 30, status_list: { bits: 1, lst: bomb } },
      service.privateKey,
    );
    const bombed = sourceFor(lists.prefix);
    await expect(bombed.refresh(`${lists.prefix}0`)).rejects.toThrow(/inflates past/);
    expect(bombed.syncedAt({ status: { status_list: { idx: 0, uri: `${lists.prefix}0` } } } as never)).toBe(
      undefined,
    );
  });

  it("answers revocation_unknown for an index outside the list", async () => {
    const lists = await listServer({ size: 16 });
    const verifier = makeVerifier({ revocations: sourceFor(lists.prefix) });
    const decision = await verifier.verify(presentation(listedChain(`${lists.prefix}0`, 14)));
    expectExactly(decision, [[2, "revocation_unknown"]]);
    expect(decision.reasons[0]?.message).toContain("outside status list");
  });

  it("never fetches a list outside its uriPrefix", async () => {
    const lists = await listServer();
    const verifier = makeVerifier({ revocations: sourceFor(`${lists.prefix}9/`) });
    const decision = await verifier.verify(presentation(listedChain(`${lists.prefix}0`)));
    expect(decision.decision).toBe("deny");
    expect(decision.reasons[0]?.message).toContain("not one this verifier follows");
    expect(lists.fetches()).toBe(0);
  });

  it("does not fetch a failing list again within minRefreshIntervalMs, and keeps an older answer out", async () => {
    const lists = await listServer();
    lists.state.status = 503;
    let nowMs = NOW * 1000;
    const source = sourceFor(lists.prefix, { clock: () => nowMs, minRefreshIntervalMs: 1000 });
    const verifier = makeVerifier({ revocations: source });
    const chain = listedChain(`${lists.prefix}0`);
    for (let i = 0; i < 5; i++) expect((await verifier.verify(presentation(chain))).decision).toBe("deny");
    expect(lists.fetches()).toBe(1);

    lists.state.status = 200;
    lists.state.revoked.set("0", [2]);
    nowMs += 2500;
    expectExactly(await verifier.verify(presentation(chain)), [[2, "revoked"]]);

    // A cache or an attacker serving an older signed list later does not roll the bit back.
    lists.state.iat = NOW - 10;
    lists.state.revoked.set("0", []);
    await source.refresh();
    expectExactly(await verifier.verify(presentation(chain)), [[2, "revoked"]]);
  });
});
