/**
 * An OpenID AuthZEN PEP in front of a tool: a Hono gateway that asks Baton (the PDP) about every
 * call and forwards only the allowed ones. It verifies nothing itself: it forwards the agent's
 * chain and DPoP proof, and Baton re-authorizes every hop. Quoted in packages/service/README.md.
 */
import { Hono } from "hono";

export function authzenGateway(pdp: string, secret: string, origin: string, upstream: typeof fetch) {
  return new Hono().all("/repos/:owner/:repo/issues", async (c) => {
    const chain = /^DPoP (\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (chain === undefined) return c.json({ error: "send Authorization: DPoP <chain>" }, 401);
    const answer = await fetch(`${pdp}/access/v1/evaluation`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({
        subject: { type: "agent", id: "presenter", properties: { baton_chain: chain } },
        action: { name: c.req.method === "GET" ? "repo.issues.read" : "repo.issues.create" },
        resource: { type: "repo", id: `${c.req.param("owner")}/${c.req.param("repo")}/issues` },
        context: {
          baton_pop: { dpop: c.req.header("dpop"), htm: c.req.method, htu: `${origin}${c.req.path}` },
        },
      }),
    }).then((response) => response.json() as Promise<{ decision: boolean; context?: { reason?: string } }>);
    return answer.decision ? upstream(c.req.raw) : c.json({ denied: answer.context?.reason }, 403);
  });
}
