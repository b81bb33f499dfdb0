/** A task's stored business hours as the policy reads them. */
import { type BusinessHours, businessHoursOf } from "@baton/policy";
import type { TaskHours } from "@baton/store/contract";
import { minuteOfDay, TASK_HOURS_CLOCK_TIME } from "@baton/token";

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
    TASK_HOURS_CLOCK_TIME.test(hours.start) &&
    TASK_HOURS_CLOCK_TIME.test(hours.end);
  const parsed = readable
    ? businessHoursOf({ days: hours.days, start: minuteOfDay(hours.start), end: minuteOfDay(hours.end) })
    : undefined;
  return parsed ?? { days: [], start: 0, end: 0 };
}
