import { AgentKeyPair, BatonAgent, BatonOperator } from "@baton/client";

/** An operator grants a task to a planner; the planner hands a narrower hop to a coder, who calls a tool. */
export async function delegateAndCall(serviceUrl: string, operatorToken: string, toolUrl: string) {
  const operator = new BatonOperator({ serviceUrl, token: operatorToken });
  const plannerKey = await AgentKeyPair.generate(); // each agent holds its own Ed25519 key
  const coderKey = await AgentKeyPair.generate();
  await operator.registerAgent({ id: "agent:planner", jwk: plannerKey.publicJwk });
  await operator.registerAgent({ id: "agent:coder", jwk: coderKey.publicJwk });
  await operator.registerAudience({ id: "repo-tool" }); // grants name registered tool servers only

  const grant = await operator.grant({
    agent: "agent:planner",
    task: { intent: "triage the web repo's issues" },
    cap: [{ act: "repo.*", res: "repo:acme/**" }],
    aud: ["repo-tool"],
    mdp: 1,
  });
  const planner = new BatonAgent({ serviceUrl, id: "agent:planner", key: plannerKey, chain: grant.chain });

  // One hop, never wider than the planner's grant: a wider request is refused with scope_widening.
  const hop = await planner.delegate({
    to: "agent:coder",
    cap: [{ act: "repo.issues.read", res: "repo:acme/web/**" }],
  });
  const coder = new BatonAgent({ serviceUrl, id: "agent:coder", key: coderKey, chain: hop.chain });

  // Presents the whole chain with a fresh DPoP proof; revalidates once if the tool says it is due.
  return coder.fetch(`${toolUrl}/repos/acme/web/issues`);
}
