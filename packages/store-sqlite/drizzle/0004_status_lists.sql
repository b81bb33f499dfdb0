CREATE TABLE `status_lists` (
	`list` integer PRIMARY KEY NOT NULL,
	`allocated` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "status_lists_allocated_check" CHECK("status_lists"."allocated" >= 0 and "status_lists"."allocated" <= 65536)
);
--> statement-breakpoint
ALTER TABLE `delegations` ADD `status_list` integer;--> statement-breakpoint
ALTER TABLE `delegations` ADD `status_index` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `delegations_status_entry_idx` ON `delegations` (`status_list`,`status_index`);--> statement-breakpoint
CREATE INDEX `delegations_status_revoked_idx` ON `delegations` (`status_list`,`status_index`) WHERE "delegations"."status" = 'revoked';
--> statement-breakpoint
-- Hand-written: every delegation recorded before status lists gets an entry, in the order it was
-- created, 65,536 to a list. Revoked rows are updated too (their bit is their status, so they read
-- as set at once), which the revocation-is-final trigger forbids; it is lifted for this one
-- statement and put back unchanged.
DROP TRIGGER `delegations_revocation_is_final`;
--> statement-breakpoint
UPDATE `delegations` SET `status_list` = `numbered`.`n` / 65536, `status_index` = `numbered`.`n` % 65536
FROM (SELECT `did`, row_number() OVER (ORDER BY `created_at`, `did`) - 1 AS `n` FROM `delegations`) AS `numbered`
WHERE `delegations`.`did` = `numbered`.`did`;
--> statement-breakpoint
CREATE TRIGGER `delegations_revocation_is_final` BEFORE UPDATE ON `delegations`
WHEN OLD.`status` = 'revoked'
BEGIN
  SELECT RAISE(ABORT, 'a revoked delegation cannot change');
END;
--> statement-breakpoint
INSERT INTO `status_lists` (`list`, `allocated`, `created_at`)
SELECT `status_list`, max(`status_index`) + 1, max(`created_at`) FROM `delegations` GROUP BY `status_list`;
--> statement-breakpoint
-- An entry, once given, is the delegation's for good: moving it would un-revoke a token.
CREATE TRIGGER `delegations_status_entry_is_fixed` BEFORE UPDATE OF `status_list`, `status_index` ON `delegations`
WHEN OLD.`status_list` IS NOT NULL OR OLD.`status_index` IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'a delegation keeps its status list entry');
END;
