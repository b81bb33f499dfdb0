CREATE TABLE `decision_dids` (
	`did` text NOT NULL,
	`decision_id` integer NOT NULL,
	PRIMARY KEY(`did`, `decision_id`)
);
--> statement-breakpoint
ALTER TABLE `decisions` ADD `format` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `decisions` ADD `reporter` text;--> statement-breakpoint
ALTER TABLE `decisions` ADD `actor_proven` integer;--> statement-breakpoint
ALTER TABLE `decisions` ADD `args_digest` text;--> statement-breakpoint
ALTER TABLE `decisions` ADD `chain` text;--> statement-breakpoint
-- Hand-written: the trace index is append-only like the log it indexes.
CREATE TRIGGER `decision_dids_append_only_update` BEFORE UPDATE ON `decision_dids`
BEGIN
  SELECT RAISE(ABORT, 'decisions are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `decision_dids_append_only_delete` BEFORE DELETE ON `decision_dids`
BEGIN
  SELECT RAISE(ABORT, 'decisions are append-only');
END;
--> statement-breakpoint
-- Rows written before this migration are found by their own did.
INSERT INTO `decision_dids` (`did`, `decision_id`) SELECT `did`, `id` FROM `decisions` WHERE `did` IS NOT NULL;
