/**
 * Wall-clock readings for policy (hour, minute, ISO weekday) in UTC and in an IANA zone. Pure:
 * the instant comes in as an argument; only the zone's rules come from the runtime's ICU data.
 */

/** One reading, as the Cedar schema's `Clock` type. */
export interface ClockReading {
  readonly hour: number;
  readonly minute: number;
  readonly minuteOfDay: number;
  /** 1 = Monday … 7 = Sunday. */
  readonly weekday: number;
}

const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** True when `zone` is an IANA time zone this runtime knows. */
export function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A function reading the clock at `seconds` in `zone`. Throws a RangeError for an unknown zone. */
export function clockIn(zone: string): (seconds: number) => ClockReading {
  // Built once per zone: constructing a DateTimeFormat is far costlier than formatting with it.
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
  // The last reading: calls within one second (most of them, under load) read the same instant.
  let lastSeconds = Number.NaN;
  let lastReading: ClockReading = { hour: 0, minute: 0, minuteOfDay: 0, weekday: 1 };
  return (seconds) => {
    if (seconds === lastSeconds) return lastReading;
    let hour = 0;
    let minute = 0;
    let weekday = 1;
    for (const part of format.formatToParts(seconds * 1000)) {
      if (part.type === "hour") hour = Number(part.value);
      else if (part.type === "minute") minute = Number(part.value);
      else if (part.type === "weekday") weekday = WEEKDAYS[part.value] ?? 1;
    }
    lastReading = Object.freeze({ hour, minute, minuteOfDay: hour * 60 + minute, weekday });
    lastSeconds = seconds;
    return lastReading;
  };
}
