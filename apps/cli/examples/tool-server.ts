import { createVerifier, followRevocationFeed, remoteJwks } from "@baton/verifier";
import { createHonoGate } from "@baton/verifier/hono";
import { Hono } from "hono";

/** A repository tool that re-authorizes every hop of each presented chain, offline. */
export async function createRepoTool(serviceUrl: string, issuer: string, publicOrigin: string) {
  const keys = remoteJwks({ url: `${serviceUrl}/.well-known/jwks.json` });
  await keys.ready(); // never serve without keys
  const revocations = followRevocationFeed({ url: `${serviceUrl}/v1/revocations` });
  await revocations.syncOnce();
  revocations.start(); // then poll; a view older than maxStalenessSeconds denies (revocation_unknown)

  const verifier = createVerifier({ issuer, audience: "repo-tool", keys, revocations });
  // Once per tool server. publicOrigin is where agents call it ("https://repo-tool.example.com"), never Host.
  const baton = createHonoGate({ verifier, audience: "repo-tool", publicOrigin });
  const app = new Hono();
  app.get(
    "/repos/:owner/:repo/issues",
    baton({ action: "repo.issues.read", resource: "repo:{owner}/{repo}/issues" }), // {params} as sent, never decoded
    (c) => c.json({ issues: [], for: c.get("baton").chain.at(-1)?.sub }),
  );
  app.notFound(baton.unmapped); // any other request: 403 unmapped_route, reported
  return { app, stop: () => revocations.stop() };
}
