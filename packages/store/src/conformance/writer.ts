/**
 * The conformance suite's crash writer: runs in a child process an adapter starts on the same
 * database (`ConformanceSubject.startWriter`). It writes through the port in an endless loop and
 * announces each write only after the call that committed it returned, so every announced write
 * must survive a SIGKILL at any moment. Uses the port only; no test framework is loaded here.
 *
 *   grant <did> <task>     the root grant, once
 *   hop <did> <jti>        a delegation and its token, committed together
 *   decision <id>          a decision appended to the log
 *   revoked <did>          a delegation revoked (with its subtree)
 */
import type { Store } from "../store.ts";
import { grant, hopInput, registerAgents, T0 } from "./fixtures.ts";

/** Writes until the process is killed; `announce` must get each line out before it returns. */
export async function runConformanceWriter(store: Store, announce: (line: string) => void): Promise<never> {
  const agents = await registerAgents(
    store,
    ...Array.from({ length: 10 }, (_, i) => `writer-${Math.random().toString(36).slice(2, 8)}-${i}`),
  );
  const root = await grant(store, agents[0] ?? "", { mdp: 8 });
  announce(`grant ${root.did} ${root.task}`);

  const hops: string[] = [];
  for (let i = 0; ; i++) {
    const input = hopInput(root, agents[1 + (i % 9)] ?? "", { at: T0 + i });
    await store.recordHop(input);
    hops.push(input.delegation.did);
    announce(`hop ${input.delegation.did} ${input.token.jti}`);

    const decision = await store.appendDecision({
      at: T0 + i,
      kind: "delegate",
      decision: "allow",
      task: root.task,
      did: input.delegation.did,
      jti: input.token.jti,
      agent: agents[0] ?? "",
      reasons: [],
      detail: { i },
    });
    announce(`decision ${decision.id}`);

    if (i % 10 === 9) {
      const target = hops[i - 5] ?? "";
      await store.revokeDelegation(target, { reason: "rotating", at: T0 + i });
      announce(`revoked ${target}`);
    }
  }
}

/** What a writer announced, parsed from its lines. */
export interface AnnouncedWrites {
  readonly grant: string;
  readonly task: string;
  readonly hops: readonly { readonly did: string; readonly jti: string }[];
  readonly decisions: readonly number[];
  readonly revoked: readonly string[];
}

export function parseAnnouncements(lines: readonly string[]): AnnouncedWrites {
  const out = {
    grant: "",
    task: "",
    hops: [] as { did: string; jti: string }[],
    decisions: [] as number[],
    revoked: [] as string[],
  };
  for (const line of lines) {
    const [kind, a = "", b = ""] = line.split(" ");
    if (kind === "grant") Object.assign(out, { grant: a, task: b });
    if (kind === "hop") out.hops.push({ did: a, jti: b });
    if (kind === "decision") out.decisions.push(Number(a));
    if (kind === "revoked") out.revoked.push(a);
  }
  return out;
}
