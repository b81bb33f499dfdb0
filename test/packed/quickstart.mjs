import { AgentKeyPair, BatonAgent, BatonOperator } from "@baton/client";
import { createVerifier, followRevocationFeed, remoteJwks } from "@baton/verifier";

// An operator registers an agent and a tool server, and grants the agent a task.
const serviceUrl = process.env.BATON_URL; // a running token service (`baton serve` prints its URL)
const operator = new BatonOperator({ serviceUrl, token: process.env.BATON_OPERATOR_TOKEN });
const key = await AgentKeyPair.generate();
await operator.registerAgent({ id: "agent:planner", jwk: key.publicJwk });
await operator.registerAudience({ id: "repo-tool" });
const cap = [{ act: "repo.issues.*", res: "repo:acme/**" }];
const { chain } = await operator.grant({
  agent: "agent:planner",
  task: { intent: "triage" },
  cap,
  aud: ["repo-tool"],
});

// The tool server: the service's keys and revocations, then every hop re-checked on each call.
const keys = remoteJwks({ url: `${serviceUrl}/.well-known/jwks.json` });
const revocations = followRevocationFeed({ url: `${serviceUrl}/v1/revocations` });
await keys.ready();
await revocations.syncOnce();
const verifier = createVerifier({ issuer: serviceUrl, audience: "repo-tool", keys, revocations });

const url = "https://repo-tool.example/repos/acme/web/issues";
const agent = new BatonAgent({ serviceUrl, id: "agent:planner", key, chain });
const { dpop } = await agent.present("GET", url); // what agent.fetch(url) sends as the DPoP header
const call = { action: "repo.issues.list", resource: "repo:acme/web" };
const decision = await verifier.verify({ chain, proof: dpop, method: "GET", url, ...call });
console.log(decision.decision, decision.reasons); // allow []
