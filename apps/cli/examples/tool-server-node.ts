import { createVerifier, followRevocationFeed, remoteJwks } from "@baton/verifier";
import { createFetchGate, pathParams } from "@baton/verifier/fetch";
import { toNodeListener } from "@baton/verifier/node";

/** The same repository tool on plain node:http; `route` alone also serves Bun.serve, Deno.serve or workerd. */
export async function createRepoTool(serviceUrl: string, issuer: string, publicOrigin: string) {
  const keys = remoteJwks({ url: `${serviceUrl}/.well-known/jwks.json` });
  await keys.ready();
  const revocations = followRevocationFeed({ url: `${serviceUrl}/v1/revocations` });
  await revocations.syncOnce();
  revocations.start();

  const verifier = createVerifier({ issuer, audience: "repo-tool", keys, revocations });
  const gate = createFetchGate({ verifier, audience: "repo-tool", publicOrigin });

  async function route(request: Request): Promise<Response> {
    const params = pathParams("/repos/:owner/:repo/issues", new URL(request.url).pathname); // as sent, never decoded
    if (request.method !== "GET" || params === undefined) return gate.unmapped(request); // 403 unmapped_route
    const resource = `repo:${params.owner}/${params.repo}/issues`;
    const decision = await gate(request, { action: "repo.issues.read", resource });
    if (decision instanceof Response) return decision; // 400/401/403 problem+json with WWW-Authenticate
    return Response.json({ issues: [], for: decision.chain.at(-1)?.sub });
  }
  // createServer(listener).listen(…): the request reaches route() as a Request addressed at publicOrigin.
  return { listener: toNodeListener(route, publicOrigin), stop: () => revocations.stop() };
}
