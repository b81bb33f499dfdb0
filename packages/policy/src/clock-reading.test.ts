import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { clockIn } from "./clock-reading.ts";

describe("clockIn", () => {
  const instant = fc.oneof(
    fc.integer({ min: 0, max: 2 ** 40 }),
    fc.constantFrom(1_900_000_000, 1_900_000_001),
  );
  test.prop([fc.constantFrom("UTC", "Europe/Paris", "Asia/Kolkata"), fc.array(instant, { maxLength: 30 })])(
    "reads every instant as a fresh reader would, repeated instants included",
    (zone, instants) => {
      const read = clockIn(zone);
      for (const seconds of instants) expect(read(seconds)).toEqual(clockIn(zone)(seconds));
    },
  );

  test("reads 2030-03-17 17:46 UTC as Sunday 17:46, and Paris an hour later", () => {
    expect(clockIn("UTC")(1_900_000_000)).toEqual({ hour: 17, minute: 46, minuteOfDay: 1066, weekday: 7 });
    expect(clockIn("Europe/Paris")(1_900_000_000)).toMatchObject({ hour: 18, minute: 46, weekday: 7 });
  });
});
