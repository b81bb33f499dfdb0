/**
 * The bundle's entry (run.sh): `runScenario` for runtimes that run a script, and a module worker
 * for workerd, which runs the scenario in `fetch()` and answers with its result as JSON.
 */
import { runScenario } from "./scenario.js";

export { EXPECTED_OUTCOMES, runScenario } from "./scenario.js";

export default {
  async fetch() {
    try {
      return Response.json(await runScenario());
    } catch (error) {
      return Response.json({ error: String(error?.stack ?? error) }, { status: 500 });
    }
  },
};
