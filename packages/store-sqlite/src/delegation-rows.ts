/**
 * Reading delegation and token rows with raw SQL (graph walks and hot paths bypass the query
 * builder) and turning them into the records the `Store` contract returns.
 */

import {
  type DelegationRecord,
  type StoredDelegationRow,
  statusEntryOf,
  toDelegationRecord,
} from "@baton/store/adapter-kit";
import type { Capability } from "@baton/token";

/** Select list for `delegations d`, aliased to the record's field names. */
export const DELEGATION_COLUMNS = `d.did as did, d.parent as parent, d.root as root, d.task as task, d.depth as depth,
  d.from_agent as "from", d.to_agent as "to", d.intent as intent, d.cap as cap, d.aud as aud, d.mdp as mdp,
  d.exp as exp, d.rvi as rvi, d.created_at as createdAt, d.status as status, d.revoked_at as revokedAt,
  d.revoke_reason as revokeReason, d.revoke_cause as revokeCause, d.revocation_seq as revocationSeq,
  d.status_list as statusList, d.status_index as statusIndex`;

/** A delegation row as {@link DELEGATION_COLUMNS} returns it: JSON columns still text. */
export type DelegationRow = StoredDelegationRow;

/**
 * A delegation row as {@link DELEGATION_COLUMNS} returns it from a statement in raw mode
 * (`statement.raw()`): the values in select order, without a property name per column.
 */
export type DelegationValues = readonly [
  did: string,
  parent: string | null,
  root: string,
  task: string,
  depth: number,
  from: string | null,
  to: string,
  intent: string | null,
  cap: string,
  aud: string,
  mdp: number,
  exp: number,
  rvi: number | null,
  createdAt: number,
  status: DelegationRecord["status"],
  revokedAt: number | null,
  revokeReason: string | null,
  revokeCause: string | null,
  revocationSeq: number | null,
  statusList: number | null,
  statusIndex: number | null,
];

export { toDelegationRecord };

/**
 * The record of a delegation row read in raw mode (see {@link DelegationValues}), field by field
 * as {@link toDelegationRecord} builds it from a named row.
 */
export function delegationFromValues(values: DelegationValues): DelegationRecord {
  return {
    did: values[0],
    parent: values[1],
    root: values[2],
    task: values[3],
    depth: values[4],
    from: values[5],
    to: values[6],
    intent: values[7],
    cap: JSON.parse(values[8]) as Capability[],
    aud: JSON.parse(values[9]) as string[],
    mdp: values[10],
    exp: values[11],
    rvi: values[12],
    createdAt: values[13],
    status: values[14],
    revokedAt: values[15],
    revokeReason: values[16],
    revokeCause: values[17],
    revocationSeq: values[18],
    statusEntry: statusEntryOf(values[19], values[20]),
  };
}

/** Select list for `tokens t`, aliased to the record's field names. */
export const TOKEN_COLUMNS = `t.jti as jti, t.did as did, t.version as version, t.supersedes as supersedes,
  t.prf as prf, t.hash as hash, t.iat as iat, t.exp as exp, t.rvl as rvl, t.compact as compact,
  t.recorded_at as recordedAt`;
