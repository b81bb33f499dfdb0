/**
 * Graph reads for the inspector and the CLI (issue 10), operator only: the task list with the
 * size of each tree and its last decision, one task's tree with each hop's current state and
 * what narrowed at it, the agent list, and an agent's blast radius. Writes stay where they were
 * (`POST /v1/revocations`, `POST /v1/approvals/{id}/approve|deny`).
 */
import { inspectTask, lastDecision } from "@baton/core";
import { createRoute } from "@hono/zod-openapi";
import { operatorOnly } from "../auth.ts";
import { errorResponses, jsonResponse, notFound, type ServiceApp, z } from "../openapi.ts";
import { problems } from "../problem.ts";
import { AgentParam, AnyObjectSchema, TaskParam, TasksQuery } from "../schemas.ts";
import type { ServiceContext } from "../service-context.ts";

const security = [{ operator: [] }];

const HopStateSchema = z.enum(["live", "revalidation_due", "expired", "revoked"]).openapi("HopState");

const TaskSummarySchema = z
  .object({
    id: z.string(),
    intent: z.string(),
    status: z.enum(["open", "completed", "revoked"]),
    rootAgent: z.string(),
    rootDid: z.string(),
    openedAt: z.number().int(),
    closedAt: z.number().int().nullable(),
    liveDelegations: z.number().int(),
    revokedDelegations: z.number().int(),
    lastDecision: AnyObjectSchema.nullable(),
  })
  .passthrough()
  .openapi("TaskSummary");

const TaskNodeSchema = z
  .object({
    did: z.string(),
    parent: z.string().nullable(),
    depth: z.number().int(),
    from: z.string().nullable(),
    to: z.string(),
    status: z.enum(["live", "revoked"]),
    state: HopStateSchema,
    token: z
      .object({
        jti: z.string(),
        version: z.number().int(),
        iat: z.number().int(),
        exp: z.number().int(),
        rvl: z.number().int(),
      })
      .nullable(),
    narrowing: z.array(AnyObjectSchema).nullable(),
  })
  .passthrough()
  .openapi("TaskNode");

const tasksRoute = createRoute({
  method: "get",
  path: "/v1/tasks",
  tags: ["investigation"],
  summary: "List tasks, newest first, with live and revoked counts and the last decision",
  security,
  request: { query: TasksQuery },
  responses: {
    200: jsonResponse(z.object({ items: z.array(TaskSummarySchema) }).openapi("TaskList"), "tasks"),
    ...errorResponses,
  },
});

const taskRoute = createRoute({
  method: "get",
  path: "/v1/tasks/{id}",
  tags: ["investigation"],
  summary: "A task and its delegation tree: each hop's state, latest token times and what narrowed",
  security,
  request: { params: TaskParam },
  responses: {
    200: jsonResponse(
      z
        .object({
          task: AnyObjectSchema,
          now: z.number().int(),
          lastDecision: AnyObjectSchema.nullable(),
          nodes: z.array(TaskNodeSchema),
        })
        .openapi("TaskTree"),
      "the task and its tree, root first then by depth",
    ),
    404: notFound,
    ...errorResponses,
  },
});

const agentsRoute = createRoute({
  method: "get",
  path: "/v1/agents",
  tags: ["investigation"],
  summary: "List registered agents",
  security,
  responses: {
    200: jsonResponse(z.object({ items: z.array(AnyObjectSchema) }).openapi("AgentList"), "agents"),
    ...errorResponses,
  },
});

const blastRadiusRoute = createRoute({
  method: "get",
  path: "/v1/agents/{id}/blast-radius",
  tags: ["investigation"],
  summary: "Everything an agent could still reach through live delegations",
  security,
  request: { params: AgentParam },
  responses: {
    200: jsonResponse(
      z
        .object({
          agent: z.string(),
          held: z.array(AnyObjectSchema),
          reachable: z.array(AnyObjectSchema),
          agents: z.array(z.string()),
          tasks: z.array(z.string()),
        })
        .openapi("BlastRadius"),
      "the agent's live delegations, everything live below them, and the agents and tasks involved",
    ),
    404: notFound,
    ...errorResponses,
  },
});

/** Registers the graph routes. */
export function registerGraphRoutes(app: ServiceApp, ctx: ServiceContext): void {
  operatorOnly(app, ctx, "GET", ["/v1/tasks", "/v1/tasks/:id", "/v1/agents", "/v1/agents/:id/blast-radius"]);

  app.openapi(tasksRoute, async (c) => {
    const query = c.req.valid("query");
    const tasks = await ctx.store.listTasks({
      limit: query.limit ?? 100,
      ...(query.status === undefined ? {} : { status: query.status }),
    });
    const items = await Promise.all(
      tasks.map(async (task) => ({ ...task, lastDecision: await lastDecision(ctx.store, task.id) })),
    );
    return c.json({ items }, 200);
  });

  app.openapi(taskRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await inspectTask(ctx.useCases, id), 200);
  });

  app.openapi(agentsRoute, async (c) => c.json({ items: await ctx.store.listAgents() }, 200));

  app.openapi(blastRadiusRoute, async (c) => {
    const { id } = c.req.valid("param");
    if ((await ctx.store.getAgent(id)) === undefined)
      throw problems.notFound(`agent ${id} is not registered`);
    return c.json(await ctx.store.blastRadius(id), 200);
  });
}
