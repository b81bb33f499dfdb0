/** The clock-time rule of `TaskHours`, written once for the service schema, the store and policy. */

/** `HH:MM` from 00:00 to 23:59, or 24:00 (the end of the day, for a window that runs to midnight). */
export const TASK_HOURS_CLOCK_TIME = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** Minutes since midnight of a time that matched {@link TASK_HOURS_CLOCK_TIME}. */
export function minuteOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}
