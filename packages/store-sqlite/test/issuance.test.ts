/**
 * The SQLite adapter's own issuance test: how task hours are laid out in the file. The port-level
 * behaviour is in the conformance suite (src/conformance/issuance.ts).
 */
import { describe, expect, test } from "vitest";
import { openSqliteStore } from "../src/index.ts";
import { grantInput, registerAgents, tempDir } from "./helpers/graph-fixture.ts";

describe("task business hours", () => {
  /** A grant whose task declares `hours`, as the service passes it. */
  function withHours(hours: unknown, to: string) {
    const input = grantInput(to);
    return { ...input, delegation: { ...input.delegation, task: { ...input.delegation.task, hours } } };
  }

  test("a grant that declares hours keeps them on its task, as canonical JSON in the file", async () => {
    const dir = tempDir();
    try {
      const path = `${dir.path}/baton.db`;
      const first = openSqliteStore({ path });
      const [owner] = await registerAgents(first, "owner");
      const input = withHours({ end: "18:00", days: [5, 1, 3], start: "08:30" }, owner);
      const written = await first.recordGrant(input as never);
      // Stored in a fixed key order, whatever order the caller used.
      const expected = { days: [5, 1, 3], start: "08:30", end: "18:00" };
      expect(written.task.hours).toEqual(expected);
      await first.close();

      const again = openSqliteStore({ path });
      const task = await again.getTask(input.delegation.task.id);
      expect(task?.hours).toEqual(expected);
      expect(Object.keys(task?.hours ?? {})).toEqual(["days", "start", "end"]);
      expect((await again.listTasks()).find((t) => t.id === task?.id)?.hours).toEqual(expected);
      const raw = again.database.prepare("select hours from tasks where id = ?").get(task?.id) as {
        hours: string;
      };
      expect(raw.hours).toBe(JSON.stringify(expected));
      await again.close();
    } finally {
      dir.cleanup();
    }
  });
});
