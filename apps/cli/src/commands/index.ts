/** Every `baton` command, in the order `baton help` lists them. */
import type { Command } from "../command.ts";
import { agentsAdd, agentsDisable, agentsList } from "./agents.ts";
import { approvalsApprove, approvalsDeny, approvalsList } from "./approvals.ts";
import { audiencesAdd } from "./audiences.ts";
import { auditVerify } from "./audit.ts";
import { decisions } from "./decisions.ts";
import { demo } from "./demo.ts";
import { explain } from "./explain.ts";
import { grant } from "./grant.ts";
import { graph } from "./graph.ts";
import { inspect } from "./inspect.ts";
import { keysList, keysRewrap, keysRotate } from "./keys.ts";
import { revoke } from "./revoke.ts";
import { tasksComplete, tasksList } from "./tasks.ts";
import { trace } from "./trace.ts";

/** The commands other than `serve` and `help`, which the dispatcher handles itself. */
export const COMMANDS: readonly Command[] = [
  demo,
  agentsAdd,
  agentsList,
  agentsDisable,
  audiencesAdd,
  grant,
  revoke,
  tasksComplete,
  tasksList,
  approvalsList,
  approvalsApprove,
  approvalsDeny,
  keysRotate,
  keysList,
  keysRewrap,
  inspect,
  trace,
  graph,
  decisions,
  explain,
  auditVerify,
];
