/** A hop's standing in the graph, as the verifier's status check reads it. */
import type { ChainLinkStatus } from "@baton/store/contract";
import type { HopStatus } from "@baton/verifier";

/** Maps a store status to the verifier's `revoked`, with a message saying which problem it is. */
export function hopStatusOf(did: string, status: ChainLinkStatus | undefined): HopStatus {
  if (status === undefined)
    return { code: "revoked", message: `delegation ${did} has no status; treat it as revoked` };
  if (status.live) return undefined;
  const why = status.reason === null ? "" : `: ${status.reason}`;
  switch (status.problem) {
    case "revoked":
      return { code: "revoked", message: `delegation ${did} was revoked${why}` };
    case "task_closed":
      return { code: "revoked", message: `the task of delegation ${did} is closed${why}` };
    case "agent_disabled":
      return { code: "revoked", message: `an agent of delegation ${did} is disabled${why}` };
    case "not_found":
      return { code: "revoked", message: `delegation ${did} is unknown to this service` };
  }
}
