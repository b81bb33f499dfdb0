/**
 * Token Status List rules, written once for every adapter: what a status entry may be, where the
 * next reservation goes, when an issuance may take an entry, and how a list's bits are packed.
 *
 * A list's bits are not stored apart from the graph: bit `i` of list `n` is 1 exactly when the
 * delegation holding entry (n, i) is revoked. Every revocation and cascade marks its delegations
 * revoked in its own transaction, so the bits change in that transaction too, and the list can
 * never say anything the revocation feed does not.
 */
import { packStatusBits } from "@baton/token";
import { checkObject, invalidInput } from "./input-checks.ts";
import { conflict } from "./rule-errors.ts";
import { STATUS_LIST_SIZE, type StatusEntry, type StatusEntryBlock, type StatusListBits } from "./store.ts";

/** Most entries one {@link StatusListStore.reserveStatusEntries} call reserves. */
export const MAX_STATUS_RESERVATION = 1024;
/** Highest list number: 2^31 lists of 2^16 entries is more than any graph will hold. */
export const MAX_STATUS_LIST_NUMBER = 2 ** 31 - 1;

function isWhole(value: unknown, max: number): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= max;
}

/** Checks an optional `statusEntry` input: `{list, index}` with the index inside a list. */
export function checkStatusEntry(value: unknown, field: string): StatusEntry | null {
  if (value === undefined) return null;
  const entry = checkObject(value, field);
  if (!isWhole(entry.list, MAX_STATUS_LIST_NUMBER))
    throw invalidInput(`${field}.list`, `must be an integer from 0 to ${MAX_STATUS_LIST_NUMBER}`);
  if (!isWhole(entry.index, STATUS_LIST_SIZE - 1))
    throw invalidInput(`${field}.index`, `must be an integer from 0 to ${STATUS_LIST_SIZE - 1}`);
  return { list: entry.list, index: entry.index };
}

/** Checks a list number asked for by a reader. */
export function checkStatusListNumber(value: unknown, field: string): number {
  if (!isWhole(value, MAX_STATUS_LIST_NUMBER))
    throw invalidInput(field, `must be an integer from 0 to ${MAX_STATUS_LIST_NUMBER}`);
  return value;
}

/** Checks how many entries a reservation asks for. */
export function checkReservationCount(value: unknown, field: string): number {
  if (!isWhole(value, MAX_STATUS_RESERVATION) || value === 0)
    throw invalidInput(field, `must be an integer from 1 to ${MAX_STATUS_RESERVATION}`);
  return value;
}

/** The newest list as an adapter read it inside its reservation transaction. */
export interface NewestStatusList {
  readonly list: number;
  readonly allocated: number;
}

/**
 * Where a reservation of `count` entries goes: the rest of the newest list, or the start of the
 * next one when it is full (or there is none yet). `opens` says the adapter must create that list.
 */
export function nextStatusReservation(
  newest: NewestStatusList | undefined,
  count: number,
): StatusEntryBlock & { readonly opens: boolean } {
  if (newest === undefined || newest.allocated >= STATUS_LIST_SIZE) {
    const list = newest === undefined ? 0 : newest.list + 1;
    if (list > MAX_STATUS_LIST_NUMBER) throw conflict("statusEntry.list", "every status list is full");
    return { list, first: 0, count: Math.min(count, STATUS_LIST_SIZE), opens: true };
  }
  return {
    list: newest.list,
    first: newest.allocated,
    count: Math.min(count, STATUS_LIST_SIZE - newest.allocated),
    opens: false,
  };
}

/** What an issuance's transaction read about the entry it names. */
export interface StatusEntryFacts {
  /** How many entries of the entry's list are reserved; undefined when the list was never opened. */
  readonly allocated: number | undefined;
  /** Whether another delegation already holds the entry. */
  readonly taken: boolean;
}

/**
 * An issuance may take an entry that was reserved and that no delegation holds: two tokens
 * naming one bit would be revoked together.
 */
export function statusEntryFits(entry: StatusEntry, facts: StatusEntryFacts, field: string): void {
  if (facts.allocated === undefined || entry.index >= facts.allocated) {
    throw invalidInput(field, `entry ${entry.index} of status list ${entry.list} was never reserved`);
  }
  if (facts.taken) {
    throw conflict(field, `entry ${entry.index} of status list ${entry.list} is held by another delegation`);
  }
}

/** Packs list `list`'s bits from the entries of its revoked delegations. */
export function statusListBitsOf(
  list: number,
  allocated: number,
  revokedIndexes: Iterable<number>,
): StatusListBits {
  return { list, size: STATUS_LIST_SIZE, allocated, bytes: packStatusBits(STATUS_LIST_SIZE, revokedIndexes) };
}
