import { createVerifier, followRevocationFeed, remoteJwks } from "@baton/verifier";
import { createFetchGate, fillTemplate, type GateCall, pathParams } from "@baton/verifier/fetch";
import { sendResponse, toRequest } from "@baton/verifier/node";
import express, { type RequestHandler } from "express";

/** The same repository tool on Express 5, with the gate as route middleware. */
export async function createRepoTool(serviceUrl: string, issuer: string, publicOrigin: string) {
  const keys = remoteJwks({ url: `${serviceUrl}/.well-known/jwks.json` });
  await keys.ready();
  const revocations = followRevocationFeed({ url: `${serviceUrl}/v1/revocations` });
  await revocations.syncOnce();
  revocations.start();

  const verifier = createVerifier({ issuer, audience: "repo-tool", keys, revocations });
  const gate = createFetchGate({ verifier, audience: "repo-tool", publicOrigin });
  /** One route's gate: `{param}` templates filled from the path as sent (req.params is decoded). */
  const baton =
    (call: GateCall): RequestHandler =>
    async (req, res, next) => {
      const request = toRequest(req, publicOrigin); // throws on a non-canonical target: Express answers 500
      const params = pathParams(req.route.path, new URL(request.url).pathname) ?? {};
      const result = await gate(request, {
        ...call,
        action: fillTemplate(call.action, params, req.route.path),
        resource: fillTemplate(call.resource, params, req.route.path),
      });
      if (result instanceof Response) return sendResponse(result, res); // 400/401/403 problem+json
      res.locals.baton = result;
      next();
    };

  const app = express();
  app.get(
    "/repos/:owner/:repo/issues",
    baton({ action: "repo.issues.read", resource: "repo:{owner}/{repo}/issues" }),
    (_req, res) => {
      res.json({ issues: [], for: res.locals.baton.chain.at(-1)?.sub });
    },
  );
  app.use(async (req, res) => sendResponse(gate.unmapped(toRequest(req, publicOrigin)), res)); // 403 unmapped_route
  return { app, stop: () => revocations.stop() };
}
