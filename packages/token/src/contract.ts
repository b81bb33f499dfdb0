/**
 * Shapes several packages share (issue 15, "types-only contract"): the verifier's reasons, the
 * decision log's reasons and the service's problem reasons are one `Reason`; a task's business
 * hours are one `TaskHours`. Types only: importing this module loads nothing.
 */
import type { ReasonCode } from "./reason-codes.ts";

/**
 * One failed check: which hop (root = 0; null for the chain or request as a whole), its stable
 * code, and advice. `Code` is `ReasonCode` wherever Baton itself decides; the decision log takes
 * any well-formed code, since a tool server may report codes of its own.
 */
export interface Reason<Code extends string = ReasonCode> {
  readonly hop: number | null;
  readonly code: Code;
  readonly message: string;
  /** The claim or header parameter at fault, when there is one (`exp`, `cap`, `aud`). */
  readonly claim?: string;
  /** What a person needs to see why: the uncovered capabilities, the bound and `now`, … (JSON). */
  readonly evidence?: Readonly<Record<string, unknown>>;
  /** Policy ids that determined a policy outcome, when there are any. */
  readonly policies?: readonly string[];
}

/** An ISO weekday: 1 = Monday to 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * A task's declared business hours, in the service's policy zone: distinct ISO weekdays and a
 * daily window from `start` (inclusive) to `end` (exclusive), each `HH:MM` from `00:00` to
 * `24:00`, `start` before `end`. `Day` narrows the weekdays for callers writing them by hand; the
 * stored and validated form is `number` (checked to be 1 to 7).
 *
 * @example
 * const weekdays: TaskHours = { days: [1, 2, 3, 4, 5], start: "08:00", end: "18:00" };
 */
export interface TaskHours<Day extends number = number> {
  readonly days: readonly Day[];
  readonly start: string;
  readonly end: string;
}
