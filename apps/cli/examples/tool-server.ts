import { batonMiddleware, createVerifier, followRevocationFeed, remoteJwks } from "@baton/verifier";
import { Hono } from "hono";

/** A repository tool that re-authorizes every hop of each presented chain, offline. */
export async function createRepoTool(serviceUrl: string, issuer: string, publicOrigin: string) {
  const keys = remoteJwks({ url: `${serviceUrl}/.well-known/jwks.json` });
  await keys.ready(); // never serve without keys
  const revocations = followRevocationFeed({ url: `${serviceUrl}/v1/revocations` });
  await revocations.syncOnce();
  revocations.start(); // then poll; a view older than maxStalenessSeconds denies (revocation_unknown)

  const verifier = createVerifier({ issuer, audience: "repo-tool", keys, revocations });
  const app = new Hono();
  app.use(
    "*",
    batonMiddleware({
      verifier,
      audience: "repo-tool",
      publicOrigin, // the origin agents call, e.g. "https://repo-tool.example.com"; never the Host header
      routes: [
        {
          method: "GET",
          path: "/repos/:owner/:repo/issues",
          action: "repo.issues.read",
          resource: "repo:{owner}/{repo}/issues",
        },
      ],
    }),
  );
  app.get("/repos/:owner/:repo/issues", (c) => c.json({ issues: [], for: c.get("baton").chain.at(-1)?.sub }));
  return { app, stop: () => revocations.stop() };
}
