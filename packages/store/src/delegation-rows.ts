/**
 * Reading a stored delegation row back: one rule for every adapter (each stores the same columns,
 * `cap` and `aud` as JSON text, the status-list entry as two nullable integers).
 */
import type { Capability } from "@baton/token";
import type { BlastRadius, DelegationRecord } from "./store.ts";

/** A delegation row as an adapter reads it, aliased to the record's field names. */
export type StoredDelegationRow = Omit<DelegationRecord, "cap" | "aud" | "statusEntry"> & {
  readonly cap: string;
  readonly aud: string;
  readonly statusList: number | null;
  readonly statusIndex: number | null;
};

/**
 * The record of a delegation row. Built field by field, not by spreading the row: copying a
 * 21-column row with rest and spread cost ~10 µs a row, which a graph walk returning thousands of
 * rows (a blast radius at a million delegations) pays in full.
 */
export function toDelegationRecord(row: StoredDelegationRow): DelegationRecord {
  return {
    did: row.did,
    parent: row.parent,
    root: row.root,
    task: row.task,
    depth: row.depth,
    from: row.from,
    to: row.to,
    intent: row.intent,
    cap: JSON.parse(row.cap) as Capability[],
    aud: JSON.parse(row.aud) as string[],
    mdp: row.mdp,
    exp: row.exp,
    rvi: row.rvi,
    createdAt: row.createdAt,
    status: row.status,
    revokedAt: row.revokedAt,
    revokeReason: row.revokeReason,
    revokeCause: row.revokeCause,
    revocationSeq: row.revocationSeq,
    statusEntry: statusEntryOf(row.statusList, row.statusIndex),
  };
}

/** A row's status-list entry: null unless both halves are stored. */
export function statusEntryOf(list: number | null, index: number | null): DelegationRecord["statusEntry"] {
  return list === null || index === null ? null : { list, index };
}

/**
 * An agent's blast radius from one walk's rows (what it holds live and every live row below,
 * each once): the rows it holds are `held`, the rest `reachable`, with their holders and the
 * tasks of all of them, sorted. Written once for every adapter.
 */
export function blastRadiusOf(agent: string, records: Iterable<DelegationRecord>): BlastRadius {
  const held: DelegationRecord[] = [];
  const reachable: DelegationRecord[] = [];
  const agents = new Set<string>();
  const tasks = new Set<string>();
  for (const record of records) {
    tasks.add(record.task);
    if (record.to === agent) held.push(record);
    else {
      reachable.push(record);
      agents.add(record.to);
    }
  }
  return { agent, held, reachable, agents: [...agents].sort(), tasks: [...tasks].sort() };
}
