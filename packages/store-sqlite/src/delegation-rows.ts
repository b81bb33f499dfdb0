/**
 * Reading delegation and token rows with raw SQL (graph walks and hot paths bypass the query
 * builder) and turning them into the records the `Store` contract returns.
 */

import type { DelegationRecord } from "@baton/store/adapter-kit";
import type { Capability } from "@baton/token";

/** Select list for `delegations d`, aliased to the record's field names. */
export const DELEGATION_COLUMNS = `d.did as did, d.parent as parent, d.root as root, d.task as task, d.depth as depth,
  d.from_agent as "from", d.to_agent as "to", d.intent as intent, d.cap as cap, d.aud as aud, d.mdp as mdp,
  d.exp as exp, d.rvi as rvi, d.created_at as createdAt, d.status as status, d.revoked_at as revokedAt,
  d.revoke_reason as revokeReason, d.revoke_cause as revokeCause, d.revocation_seq as revocationSeq,
  d.status_list as statusList, d.status_index as statusIndex`;

/** A delegation row as {@link DELEGATION_COLUMNS} returns it: JSON columns still text. */
export type DelegationRow = Omit<DelegationRecord, "cap" | "aud" | "statusEntry"> & {
  readonly cap: string;
  readonly aud: string;
  readonly statusList: number | null;
  readonly statusIndex: number | null;
};

/** The record of a raw delegation row. */
export function toDelegationRecord(row: DelegationRow): DelegationRecord {
  const { statusList, statusIndex, ...rest } = row;
  return {
    ...rest,
    cap: JSON.parse(row.cap) as Capability[],
    aud: JSON.parse(row.aud) as string[],
    statusEntry:
      statusList === null || statusIndex === null ? null : { list: statusList, index: statusIndex },
  };
}

/** Select list for `tokens t`, aliased to the record's field names. */
export const TOKEN_COLUMNS = `t.jti as jti, t.did as did, t.version as version, t.supersedes as supersedes,
  t.prf as prf, t.hash as hash, t.iat as iat, t.exp as exp, t.rvl as rvl, t.compact as compact,
  t.recorded_at as recordedAt`;
