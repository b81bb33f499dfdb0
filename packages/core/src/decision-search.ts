/**
 * Searching the decision log (issue 22): one grammar for the inspector's search box (through
 * `GET /v1/decisions?q=`) and `baton decisions --search`. Words are separated by spaces; a
 * word `name:value` with a known qualifier filters on that field, any other word must appear in
 * the row's text. Different qualifiers combine with AND, the same qualifier repeated with OR;
 * `*` in a value matches anything; a value with spaces is quoted (`agent:"agent:lead"`).
 *
 *   agent:<id>      the actor (the agent that presented the chain, or acted)
 *   code:<code>     a reason code (`revoked`, `policy_denied`, …)
 *   did:<did>       the subject delegation, or the leaf of the presented chain
 *   action:<act>    the action (`repo.issues.*`)
 *   decision:<d>    allow, deny or step_up
 *   since:<time>    at or after; until:<time> at or before. A time is ISO 8601
 *                   (`2026-12-06`, `2026-12-06T05:00Z`), seconds since the epoch, or an age
 *                   before now (`90s`, `15m`, `2h`, `7d`).
 */
import type { DecisionQuery, DecisionRecord, Store } from "@baton/store/contract";
import { refusals } from "./use-case-error.ts";

/** The qualifiers a search understands. */
export const SEARCH_QUALIFIERS = ["agent", "code", "did", "action", "decision", "since", "until"] as const;

type Qualifier = (typeof SEARCH_QUALIFIERS)[number];

/** A parsed search. Empty lists and absent bounds match everything. */
export interface DecisionSearch {
  readonly agents: readonly string[];
  readonly codes: readonly string[];
  readonly dids: readonly string[];
  readonly actions: readonly string[];
  readonly decisions: readonly string[];
  /** Inclusive bounds, seconds since the epoch. */
  readonly since?: number;
  readonly until?: number;
  /** Free words, matched case-insensitively against the row's text. */
  readonly words: readonly string[];
}

/** Longest search accepted, in characters. */
export const MAX_SEARCH_LENGTH = 1024;

/** Splits on spaces outside double quotes; quotes are removed. */
function tokens(text: string): string[] {
  const found: string[] = [];
  let current = "";
  let quoted = false;
  let any = false;
  for (const char of text) {
    if (char === '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && /\s/.test(char)) {
      if (any) found.push(current);
      current = "";
      any = false;
    } else {
      current += char;
      any = true;
    }
  }
  if (quoted) throw refusals.invalid(`the search has an unclosed quote: close it with "`);
  if (any) found.push(current);
  return found;
}

const AGE = /^(\d{1,9})([smhd])$/;
const AGE_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** A time bound: ISO 8601, epoch seconds, or an age before `now`. */
function parseTime(name: string, value: string, now: number): number {
  const age = AGE.exec(value);
  if (age !== null) return now - Number(age[1]) * (AGE_SECONDS[age[2] as string] ?? 1);
  if (/^\d{1,12}$/.test(value)) return Number(value);
  if (ISO.test(value)) {
    // A date or time without a zone is read as UTC, as every time the service shows is.
    const zoned = value.length === 10 || /(?:Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`;
    const ms = Date.parse(zoned);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  throw refusals.invalid(
    `${name}:${value} is not a time: give ISO 8601 (2026-12-06 or 2026-12-06T05:00Z), seconds since the epoch, or an age such as 15m, 2h or 7d`,
  );
}

/**
 * Parses a search at `now` (for ages). Throws an `invalid_request` UseCaseError saying what to
 * fix for an unclosed quote, an empty qualifier, a bad time or decision, or a search too long.
 */
export function parseDecisionSearch(text: string, now: number): DecisionSearch {
  if (text.length > MAX_SEARCH_LENGTH)
    throw refusals.invalid(`the search is longer than ${MAX_SEARCH_LENGTH} characters: shorten it`);
  const lists: Record<Exclude<Qualifier, "since" | "until">, string[]> = {
    agent: [],
    code: [],
    did: [],
    action: [],
    decision: [],
  };
  const words: string[] = [];
  let since: number | undefined;
  let until: number | undefined;
  for (const token of tokens(text)) {
    const colon = token.indexOf(":");
    const name = colon < 0 ? "" : token.slice(0, colon).toLowerCase();
    if (!(SEARCH_QUALIFIERS as readonly string[]).includes(name)) {
      words.push(token.toLowerCase());
      continue;
    }
    const value = token.slice(colon + 1);
    if (value === "")
      throw refusals.invalid(`${name}: needs a value, e.g. ${name}:${exampleOf(name as Qualifier)}`);
    if (name === "since") since = parseTime(name, value, now);
    else if (name === "until") until = parseTime(name, value, now);
    else if (name === "decision" && !["allow", "deny", "step_up"].includes(value))
      throw refusals.invalid(`decision:${value} is not a decision: use allow, deny or step_up`);
    else lists[name as keyof typeof lists].push(value);
  }
  return {
    agents: lists.agent,
    codes: lists.code,
    dids: lists.did,
    actions: lists.action,
    decisions: lists.decision,
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    words,
  };
}

function exampleOf(name: Qualifier): string {
  const examples: Record<Qualifier, string> = {
    agent: "agent:coder",
    code: "revoked",
    did: "<did>",
    action: "repo.issues.*",
    decision: "deny",
    since: "2h",
    until: "2026-12-06T05:00Z",
  };
  return examples[name];
}

/** `value` against a pattern where `*` matches anything. */
function matches(pattern: string, value: string | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (!pattern.includes("*")) return pattern === value;
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`, "s").test(value);
}

const anyOf = (patterns: readonly string[], values: readonly (string | null | undefined)[]): boolean =>
  patterns.length === 0 || patterns.some((pattern) => values.some((value) => matches(pattern, value)));

/**
 * The delegation a decision is about, for grouping under a hop: its subject `did`, else the leaf
 * of the chain it presented (a refused chain's decision belongs to the hop that presented it).
 */
export function decisionHop(decision: DecisionRecord): string | null {
  return decision.did ?? decision.chain?.at(-1)?.did ?? null;
}

/** A decision as the investigation reads answer it: with the delegation it is about, by {@link decisionHop}. */
export type DecisionWithHop = DecisionRecord & { readonly hop: string | null };

/** Each decision with its `hop`, so no reader has to know the rule. */
export function withHops(decisions: readonly DecisionRecord[]): DecisionWithHop[] {
  return decisions.map((decision) => ({ ...decision, hop: decisionHop(decision) }));
}

/** The row's text for free words: kind, outcome, actor, reporter, target and reasons. */
function rowText(decision: DecisionRecord): string {
  return [
    decision.kind,
    decision.decision,
    decision.agent,
    decision.reporter,
    decision.audience,
    decision.action,
    decision.resource,
    decision.did,
    decision.task,
    ...decision.reasons.flatMap((reason) => [reason.code, reason.message]),
  ]
    .filter((part) => part !== null && part !== undefined)
    .join(" ")
    .toLowerCase();
}

/** True when `decision` satisfies every part of `search`. */
export function matchesSearch(decision: DecisionRecord, search: DecisionSearch): boolean {
  if (search.since !== undefined && decision.at < search.since) return false;
  if (search.until !== undefined && decision.at > search.until) return false;
  if (!anyOf(search.agents, [decision.agent])) return false;
  if (!anyOf(search.decisions, [decision.decision])) return false;
  if (!anyOf(search.actions, [decision.action])) return false;
  if (!anyOf(search.dids, [decision.did, decision.chain?.at(-1)?.did])) return false;
  if (
    !anyOf(
      search.codes,
      decision.reasons.map((reason) => reason.code),
    )
  )
    return false;
  if (search.words.length > 0) {
    const text = rowText(decision);
    if (!search.words.every((word) => text.includes(word))) return false;
  }
  return true;
}

/** What {@link searchDecisions} reads. */
export interface DecisionSearchRequest {
  readonly search: DecisionSearch;
  readonly task?: string | undefined;
  /** Only decisions about this delegation (subject or presented leaf), besides the search: the inspector's selected hop. */
  readonly did?: string | undefined;
  readonly limit: number;
  readonly cursor?: number | undefined;
  readonly order?: "newest" | "oldest" | undefined;
  /** Most rows read from the store for one page (default 20 000); the page then ends early. */
  readonly scanLimit?: number | undefined;
}

/** A page of matching decisions; `next` continues the scan (null when the log is exhausted). */
export interface DecisionSearchPage {
  readonly items: readonly DecisionRecord[];
  readonly next: number | null;
  /** Rows read from the store for this page. */
  readonly scanned: number;
}

const plain = (values: readonly string[]): string | undefined =>
  values.length === 1 && !(values[0] as string).includes("*") ? values[0] : undefined;

/**
 * One page of the decisions matching a search. The store filters what it can by index (task, a
 * single actor, a single delegation); the rest is filtered here, page by page of the store.
 */
export async function searchDecisions(
  store: Store,
  request: DecisionSearchRequest,
): Promise<DecisionSearchPage> {
  const { search } = request;
  const agent = plain(search.agents);
  const did = request.did ?? plain(search.dids);
  const scanLimit = request.scanLimit ?? 20_000;
  const items: DecisionRecord[] = [];
  let cursor = request.cursor;
  let scanned = 0;
  for (;;) {
    const query: DecisionQuery = {
      limit: 500,
      ...(request.task === undefined ? {} : { task: request.task }),
      ...(agent === undefined ? {} : { agent }),
      ...(did === undefined ? {} : { did }),
      ...(cursor === undefined ? {} : { cursor }),
      ...(request.order === undefined ? {} : { order: request.order }),
    };
    const page = await store.queryDecisions(query);
    for (const decision of page.items) {
      scanned += 1;
      cursor = decision.id;
      if (!matchesSearch(decision, search)) continue;
      items.push(decision);
      // A full page: the next one starts after this row (more may match, or none).
      if (items.length === request.limit) return { items, next: decision.id, scanned };
    }
    if (page.next === null) return { items, next: null, scanned };
    if (scanned >= scanLimit) return { items, next: cursor ?? null, scanned };
  }
}

/** Most decisions one export holds. */
export const EXPORT_LIMIT = 10_000;

/** Every decision matching `search`, oldest first, up to {@link EXPORT_LIMIT} (`truncated` says it stopped there). */
export async function allMatchingDecisions(
  store: Store,
  request: {
    readonly search: DecisionSearch;
    readonly task?: string | undefined;
    readonly did?: string | undefined;
  },
): Promise<{ readonly items: readonly DecisionRecord[]; readonly truncated: boolean }> {
  const found: DecisionRecord[] = [];
  let cursor: number | undefined;
  for (;;) {
    const page = await searchDecisions(store, {
      search: request.search,
      task: request.task,
      did: request.did,
      limit: Math.min(1000, EXPORT_LIMIT + 1 - found.length),
      cursor,
      order: "oldest",
    });
    found.push(...page.items);
    if (page.next === null || found.length > EXPORT_LIMIT) break;
    cursor = page.next;
  }
  return { items: found.slice(0, EXPORT_LIMIT), truncated: found.length > EXPORT_LIMIT };
}
