CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`jwk` text NOT NULL,
	`jkt` text NOT NULL,
	`name` text,
	`owner` text,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	`disabled_at` integer,
	`disabled_reason` text,
	CONSTRAINT "agents_status_check" CHECK("agents"."status" in ('active', 'disabled'))
);
--> statement-breakpoint
CREATE INDEX `agents_jkt_idx` ON `agents` (`jkt`);--> statement-breakpoint
CREATE TABLE `approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`did` text NOT NULL,
	`agent` text NOT NULL,
	`task` text NOT NULL,
	`action` text NOT NULL,
	`resource` text NOT NULL,
	`reason` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`decided_at` integer,
	`decided_by` text,
	FOREIGN KEY (`did`) REFERENCES `delegations`(`did`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`agent`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`task`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "approvals_status_check" CHECK("approvals"."status" in ('pending', 'approved', 'denied'))
);
--> statement-breakpoint
CREATE INDEX `approvals_did_idx` ON `approvals` (`did`,`status`);--> statement-breakpoint
CREATE INDEX `approvals_status_idx` ON `approvals` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `audiences` (
	`id` text PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`name` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `decisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`decision` text NOT NULL,
	`task` text,
	`did` text,
	`jti` text,
	`agent` text,
	`audience` text,
	`action` text,
	`resource` text,
	`reasons` text NOT NULL,
	`detail` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	CONSTRAINT "decisions_decision_check" CHECK("decisions"."decision" in ('allow', 'deny', 'step_up'))
);
--> statement-breakpoint
CREATE INDEX `decisions_task_idx` ON `decisions` (`task`,`id`);--> statement-breakpoint
CREATE INDEX `decisions_agent_idx` ON `decisions` (`agent`,`id`);--> statement-breakpoint
CREATE INDEX `decisions_did_idx` ON `decisions` (`did`,`id`);--> statement-breakpoint
CREATE TABLE `delegations` (
	`did` text PRIMARY KEY NOT NULL,
	`parent` text,
	`root` text NOT NULL,
	`task` text NOT NULL,
	`depth` integer NOT NULL,
	`from_agent` text,
	`to_agent` text NOT NULL,
	`intent` text,
	`cap` text NOT NULL,
	`aud` text NOT NULL,
	`mdp` integer NOT NULL,
	`exp` integer NOT NULL,
	`rvi` integer,
	`created_at` integer NOT NULL,
	`status` text DEFAULT 'live' NOT NULL,
	`revoked_at` integer,
	`revoke_reason` text,
	`revoke_cause` text,
	`revocation_seq` integer,
	FOREIGN KEY (`parent`) REFERENCES `delegations`(`did`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`task`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`from_agent`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_agent`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "delegations_status_check" CHECK("delegations"."status" in ('live', 'revoked')),
	CONSTRAINT "delegations_depth_check" CHECK("delegations"."depth" >= 0 and "delegations"."mdp" >= 0),
	CONSTRAINT "delegations_root_shape_check" CHECK(("delegations"."depth" = 0 and "delegations"."parent" is null and "delegations"."from_agent" is null) or ("delegations"."depth" > 0 and "delegations"."parent" is not null and "delegations"."from_agent" is not null)),
	CONSTRAINT "delegations_revoked_check" CHECK(("delegations"."status" = 'live' and "delegations"."revocation_seq" is null) or ("delegations"."status" = 'revoked' and "delegations"."revocation_seq" is not null and "delegations"."revoked_at" is not null))
);
--> statement-breakpoint
CREATE INDEX `delegations_parent_idx` ON `delegations` (`parent`);--> statement-breakpoint
CREATE INDEX `delegations_task_idx` ON `delegations` (`task`,`depth`);--> statement-breakpoint
CREATE INDEX `delegations_from_idx` ON `delegations` (`from_agent`);--> statement-breakpoint
CREATE INDEX `delegations_to_idx` ON `delegations` (`to_agent`);--> statement-breakpoint
CREATE UNIQUE INDEX `delegations_revocation_seq_idx` ON `delegations` (`revocation_seq`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `signing_keys` (
	`kid` text PRIMARY KEY NOT NULL,
	`public_jwk` text NOT NULL,
	`private_key_pkcs8` text NOT NULL,
	`created_at` integer NOT NULL,
	`retired_at` integer
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`intent` text NOT NULL,
	`root_agent` text NOT NULL,
	`root_did` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`opened_at` integer NOT NULL,
	`closed_at` integer,
	`close_reason` text,
	FOREIGN KEY (`root_agent`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "tasks_status_check" CHECK("tasks"."status" in ('open', 'completed', 'revoked'))
);
--> statement-breakpoint
CREATE INDEX `tasks_root_agent_idx` ON `tasks` (`root_agent`);--> statement-breakpoint
CREATE TABLE `tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`did` text NOT NULL,
	`version` integer NOT NULL,
	`supersedes` text,
	`prf` text,
	`hash` text NOT NULL,
	`iat` integer NOT NULL,
	`exp` integer NOT NULL,
	`rvl` integer NOT NULL,
	`compact` text NOT NULL,
	`recorded_at` integer NOT NULL,
	FOREIGN KEY (`did`) REFERENCES `delegations`(`did`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`supersedes`) REFERENCES `tokens`(`jti`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tokens_did_version_idx` ON `tokens` (`did`,`version`);--> statement-breakpoint
CREATE UNIQUE INDEX `tokens_supersedes_idx` ON `tokens` (`supersedes`);--> statement-breakpoint
CREATE INDEX `tokens_hash_idx` ON `tokens` (`hash`);