/**
 * Step-up approvals: requested when policy says `step_up`, decided once by an operator, and
 * honoured for one delegation until they expire.
 */

import type {
  ApprovalRecord,
  ApprovalStatus,
  CreateApprovalInput,
  DecideApprovalInput,
} from "@baton/store/adapter-kit";
import {
  checkActiveApprovalsInput,
  checkCreateApprovalInput,
  checkDecideApprovalInput,
  checkListApprovalsOptions,
  checkPendingApprovalInput,
  createApprovalFits,
  decideApprovalFits,
} from "@baton/store/adapter-kit";
import {
  audit,
  findAgent,
  findDelegation,
  findTask,
  linkStatus,
  type PgContext,
  type Prepared,
  type Tx,
} from "./pg-context.ts";

const APPROVAL_COLUMNS = `id, did, agent, task, action, resource, reason, status, created_at as "createdAt",
  expires_at as "expiresAt", decided_at as "decidedAt", decided_by as "decidedBy"`;
/** The approvals read on every verify of a chain. */
const ACTIVE_APPROVALS: Prepared = {
  name: "baton_active_approvals",
  text: `select ${APPROVAL_COLUMNS} from approvals where did = $1 and status = 'approved' and expires_at > $2
     order by created_at, id`,
};
const PENDING_APPROVAL: Prepared = {
  name: "baton_pending_approval",
  text: `select ${APPROVAL_COLUMNS} from approvals
     where did = $1 and action = $2 and resource = $3 and status = 'pending' and expires_at > $4
     order by created_at desc, id limit 1`,
};

async function findApproval(tx: Pick<Tx, "row">, id: string, lock = ""): Promise<ApprovalRecord | undefined> {
  return tx.row<ApprovalRecord>(`select ${APPROVAL_COLUMNS} from approvals where id = $1 ${lock}`, [id]);
}

/** Records a pending approval request for a live delegation. */
export async function createApproval(ctx: PgContext, input: CreateApprovalInput): Promise<ApprovalRecord> {
  const approval = checkCreateApprovalInput(input);
  const { id, did, agent, task, action, resource, reason, at, expiresAt } = approval;
  return ctx.write(async (tx) => {
    // Locked: requests for one delegation take turns, so the pending count below cannot be
    // passed by two instances at once, and a revocation of it waits for this commit.
    const delegation = await findDelegation(tx, did, "for update of d");
    const status = delegation === undefined ? undefined : (await linkStatus(tx, [did]))[0];
    const pending =
      approval.maxPending === undefined
        ? 0
        : ((
            await tx.row<{ n: number }>(
              "select count(*) as n from approvals where did = $1 and status = 'pending' and expires_at > $2",
              [did, at],
            )
          )?.n ?? 0);
    createApprovalFits(approval, {
      idTaken: (await findApproval(tx, id)) !== undefined,
      delegation,
      agentExists: (await findAgent(tx, agent)) !== undefined,
      taskExists: (await findTask(tx, task)) !== undefined,
      notLive: status !== undefined && !status.live ? status.problem : undefined,
      pending,
    });
    const row = await tx.row<ApprovalRecord>(
      `insert into approvals (id, did, agent, task, action, resource, reason, created_at, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning ${APPROVAL_COLUMNS}`,
      [id, did, agent, task, action, resource, reason, at, expiresAt],
    );
    await audit(tx, approval.audit);
    return row as ApprovalRecord;
  });
}

/** The approval, if any. */
export async function getApproval(ctx: PgContext, id: string): Promise<ApprovalRecord | undefined> {
  if (typeof id !== "string") return undefined;
  return findApproval(ctx, id);
}

/** Approvals, newest first, optionally of one status. */
export async function listApprovals(
  ctx: PgContext,
  options: { readonly status?: ApprovalStatus; readonly limit?: number } = {},
): Promise<ApprovalRecord[]> {
  const { status, limit } = checkListApprovalsOptions(options);
  return ctx.rows<ApprovalRecord>(
    `select ${APPROVAL_COLUMNS} from approvals where ($1::text is null or status = $1)
     order by created_at desc, id limit $2`,
    [status ?? null, limit],
  );
}

/** Decides a pending, unexpired approval. */
export async function decideApproval(
  ctx: PgContext,
  id: string,
  input: DecideApprovalInput,
): Promise<ApprovalRecord> {
  const decision = checkDecideApprovalInput(id, input);
  return ctx.write(async (tx) => {
    // Locked, so two operators deciding at once on two instances decide it once.
    decideApprovalFits(decision, { approval: await findApproval(tx, decision.id, "for update") });
    const row = await tx.row<ApprovalRecord>(
      `update approvals set status = $2, decided_at = $3, decided_by = $4 where id = $1 returning ${APPROVAL_COLUMNS}`,
      [decision.id, decision.decision, decision.at, decision.by],
    );
    await audit(tx, decision.audit);
    if (row === undefined) throw new Error(`approval ${decision.id} vanished inside its transaction`);
    return row;
  });
}

/** Approvals for `did` that are approved and unexpired at `at`. */
export async function activeApprovals(ctx: PgContext, did: string, at: number): Promise<ApprovalRecord[]> {
  const checked = checkActiveApprovalsInput(did, at);
  return ctx.rows<ApprovalRecord>(ACTIVE_APPROVALS, [checked.did, checked.at]);
}

/**
 * The pending, unexpired approval request for exactly this call on `did`, if one exists: a refused
 * call retried before an operator decides reuses it instead of queueing another request.
 */
export async function pendingApproval(
  ctx: PgContext,
  subject: { readonly did: string; readonly action: string; readonly resource: string },
  at: number,
): Promise<ApprovalRecord | undefined> {
  const checked = checkPendingApprovalInput(subject, at);
  return ctx.row<ApprovalRecord>(PENDING_APPROVAL, [
    checked.did,
    checked.action,
    checked.resource,
    checked.at,
  ]);
}
