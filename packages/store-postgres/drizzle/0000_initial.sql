CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"jwk" text NOT NULL,
	"jkt" text NOT NULL,
	"name" text,
	"owner" text,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" bigint NOT NULL,
	"disabled_at" bigint,
	"disabled_reason" text,
	CONSTRAINT "agents_status_check" CHECK ("agents"."status" in ('active', 'disabled'))
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" text PRIMARY KEY NOT NULL,
	"did" text NOT NULL,
	"agent" text NOT NULL,
	"task" text NOT NULL,
	"action" text NOT NULL,
	"resource" text NOT NULL,
	"reason" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"decided_at" bigint,
	"decided_by" text,
	CONSTRAINT "approvals_status_check" CHECK ("approvals"."status" in ('pending', 'approved', 'denied'))
);
--> statement-breakpoint
CREATE TABLE "audiences" (
	"id" text PRIMARY KEY NOT NULL,
	"secret_hash" text NOT NULL,
	"name" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "decision_dids" (
	"did" text NOT NULL,
	"decision_id" bigint NOT NULL,
	CONSTRAINT "decision_dids_did_decision_id_pk" PRIMARY KEY("did","decision_id")
);
--> statement-breakpoint
CREATE TABLE "decision_log_head" (
	"singleton" integer PRIMARY KEY NOT NULL,
	"last_id" bigint NOT NULL,
	"last_hash" text NOT NULL,
	CONSTRAINT "decision_log_head_singleton_check" CHECK ("decision_log_head"."singleton" = 1)
);
--> statement-breakpoint
CREATE TABLE "decisions" (
	"id" bigint PRIMARY KEY NOT NULL,
	"at" bigint NOT NULL,
	"kind" text NOT NULL,
	"decision" text NOT NULL,
	"task" text,
	"did" text,
	"jti" text,
	"agent" text,
	"audience" text,
	"action" text,
	"resource" text,
	"reasons" text NOT NULL,
	"detail" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	"format" integer DEFAULT 2 NOT NULL,
	"reporter" text,
	"actor_proven" boolean,
	"args_digest" text,
	"chain" text,
	CONSTRAINT "decisions_decision_check" CHECK ("decisions"."decision" in ('allow', 'deny', 'step_up'))
);
--> statement-breakpoint
CREATE TABLE "delegations" (
	"did" text PRIMARY KEY NOT NULL,
	"parent" text,
	"root" text NOT NULL,
	"task" text NOT NULL,
	"depth" integer NOT NULL,
	"from_agent" text,
	"to_agent" text NOT NULL,
	"intent" text,
	"cap" text NOT NULL,
	"aud" text NOT NULL,
	"mdp" integer NOT NULL,
	"exp" bigint NOT NULL,
	"rvi" bigint,
	"created_at" bigint NOT NULL,
	"status" text DEFAULT 'live' NOT NULL,
	"revoked_at" bigint,
	"revoke_reason" text,
	"revoke_cause" text,
	"revocation_seq" bigint,
	CONSTRAINT "delegations_status_check" CHECK ("delegations"."status" in ('live', 'revoked')),
	CONSTRAINT "delegations_depth_check" CHECK ("delegations"."depth" >= 0 and "delegations"."mdp" >= 0),
	CONSTRAINT "delegations_root_shape_check" CHECK (("delegations"."depth" = 0 and "delegations"."parent" is null and "delegations"."from_agent" is null) or ("delegations"."depth" > 0 and "delegations"."parent" is not null and "delegations"."from_agent" is not null)),
	CONSTRAINT "delegations_revoked_check" CHECK (("delegations"."status" = 'live' and "delegations"."revocation_seq" is null) or ("delegations"."status" = 'revoked' and "delegations"."revocation_seq" is not null and "delegations"."revoked_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "revocation_feed_head" (
	"singleton" integer PRIMARY KEY NOT NULL,
	"last_seq" bigint NOT NULL,
	CONSTRAINT "revocation_feed_head_singleton_check" CHECK ("revocation_feed_head"."singleton" = 1)
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"public_jwk" text NOT NULL,
	"private_key_pkcs8" text NOT NULL,
	"created_at" bigint NOT NULL,
	"retired_at" bigint
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"intent" text NOT NULL,
	"root_agent" text NOT NULL,
	"root_did" text NOT NULL,
	"hours" text,
	"status" text DEFAULT 'open' NOT NULL,
	"opened_at" bigint NOT NULL,
	"closed_at" bigint,
	"close_reason" text,
	CONSTRAINT "tasks_status_check" CHECK ("tasks"."status" in ('open', 'completed', 'revoked'))
);
--> statement-breakpoint
CREATE TABLE "tokens" (
	"jti" text PRIMARY KEY NOT NULL,
	"did" text NOT NULL,
	"version" integer NOT NULL,
	"supersedes" text,
	"prf" text,
	"hash" text NOT NULL,
	"iat" bigint NOT NULL,
	"exp" bigint NOT NULL,
	"rvl" bigint NOT NULL,
	"compact" text NOT NULL,
	"recorded_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_did_delegations_did_fk" FOREIGN KEY ("did") REFERENCES "public"."delegations"("did") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_agent_agents_id_fk" FOREIGN KEY ("agent") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_task_tasks_id_fk" FOREIGN KEY ("task") REFERENCES "public"."tasks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_parent_delegations_did_fk" FOREIGN KEY ("parent") REFERENCES "public"."delegations"("did") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_task_tasks_id_fk" FOREIGN KEY ("task") REFERENCES "public"."tasks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_from_agent_agents_id_fk" FOREIGN KEY ("from_agent") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_to_agent_agents_id_fk" FOREIGN KEY ("to_agent") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_root_agent_agents_id_fk" FOREIGN KEY ("root_agent") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tokens" ADD CONSTRAINT "tokens_did_delegations_did_fk" FOREIGN KEY ("did") REFERENCES "public"."delegations"("did") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tokens" ADD CONSTRAINT "tokens_supersedes_tokens_jti_fk" FOREIGN KEY ("supersedes") REFERENCES "public"."tokens"("jti") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agents_jkt_idx" ON "agents" USING btree ("jkt");--> statement-breakpoint
CREATE INDEX "agents_id_lower_idx" ON "agents" USING btree (lower("id"));--> statement-breakpoint
CREATE INDEX "approvals_did_idx" ON "approvals" USING btree ("did","status");--> statement-breakpoint
CREATE INDEX "approvals_status_idx" ON "approvals" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "decisions_task_idx" ON "decisions" USING btree ("task","id");--> statement-breakpoint
CREATE INDEX "decisions_agent_idx" ON "decisions" USING btree ("agent","id");--> statement-breakpoint
CREATE INDEX "decisions_did_idx" ON "decisions" USING btree ("did","id");--> statement-breakpoint
CREATE INDEX "delegations_parent_idx" ON "delegations" USING btree ("parent");--> statement-breakpoint
CREATE INDEX "delegations_task_idx" ON "delegations" USING btree ("task","depth");--> statement-breakpoint
CREATE INDEX "delegations_from_idx" ON "delegations" USING btree ("from_agent");--> statement-breakpoint
CREATE INDEX "delegations_to_idx" ON "delegations" USING btree ("to_agent");--> statement-breakpoint
CREATE UNIQUE INDEX "delegations_revocation_seq_idx" ON "delegations" USING btree ("revocation_seq");--> statement-breakpoint
CREATE INDEX "tasks_root_agent_idx" ON "tasks" USING btree ("root_agent");--> statement-breakpoint
CREATE INDEX "tasks_opened_idx" ON "tasks" USING btree ("opened_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "tokens_did_version_idx" ON "tokens" USING btree ("did","version");--> statement-breakpoint
CREATE UNIQUE INDEX "tokens_supersedes_idx" ON "tokens" USING btree ("supersedes");--> statement-breakpoint
CREATE INDEX "tokens_did_hash_idx" ON "tokens" USING btree ("did","hash");