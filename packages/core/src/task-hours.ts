/** A task's stored business hours as the policy reads them. */
import { type BusinessHours, businessHoursOf } from "@baton/policy";
import type { TaskHours } from "@baton/store/contract";

/** `HH:MM` from 00:00 to 24:00, as the store accepts it. */
const CLOCK_TIME = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** Minutes since midnight of an `HH:MM` that matched {@link CLOCK_TIME}. */
function minuteOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/**
 * A task's stored hours as policy reads them (minutes of the day). Hours that were declared but
 * cannot be read, say from a hand-edited file, become an empty week, which denies delegations:
 * fail closed rather than act as if no hours were declared.
 */
export function policyHoursOf(hours: TaskHours): BusinessHours {
  const readable =
    typeof hours === "object" &&
    hours !== null &&
    typeof hours.start === "string" &&
    typeof hours.end === "string" &&
    CLOCK_TIME.test(hours.start) &&
    CLOCK_TIME.test(hours.end);
  const parsed = readable
    ? businessHoursOf({ days: hours.days, start: minuteOfDay(hours.start), end: minuteOfDay(hours.end) })
    : undefined;
  return parsed ?? { days: [], start: 0, end: 0 };
}
