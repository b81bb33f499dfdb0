-- The blast-radius walk follows integer keys from here on (below); the text-keyed live-children
-- index migration 0005 built for it has no other reader.
DROP INDEX `delegations_live_children_idx`;--> statement-breakpoint
ALTER TABLE `delegations` ADD `node` integer;--> statement-breakpoint
ALTER TABLE `delegations` ADD `parent_node` integer;--> statement-breakpoint
-- Hand-written from here to the indexes: every delegation already recorded gets its number (its
-- rowid today, which is unique; later rows take the largest number plus one) and its parent's.
-- Revoked rows are numbered too, which the revocation-is-final trigger forbids; it is lifted for
-- these two statements and put back unchanged.
DROP TRIGGER `delegations_revocation_is_final`;
--> statement-breakpoint
UPDATE `delegations` SET `node` = `rowid`;
--> statement-breakpoint
UPDATE `delegations` SET `parent_node` = (SELECT `p`.`node` FROM `delegations` `p` WHERE `p`.`did` = `delegations`.`parent`)
WHERE `parent` IS NOT NULL;
--> statement-breakpoint
CREATE TRIGGER `delegations_revocation_is_final` BEFORE UPDATE ON `delegations`
WHEN OLD.`status` = 'revoked'
BEGIN
  SELECT RAISE(ABORT, 'a revoked delegation cannot change');
END;
--> statement-breakpoint
CREATE UNIQUE INDEX `delegations_node_idx` ON `delegations` (`node`);--> statement-breakpoint
CREATE INDEX `delegations_live_held_idx` ON `delegations` (`to_agent`,`node`) WHERE "delegations"."status" = 'live';--> statement-breakpoint
CREATE INDEX `delegations_live_child_nodes_idx` ON `delegations` (`parent_node`,`node`) WHERE "delegations"."status" = 'live';
--> statement-breakpoint
-- A row inserted without its numbers (by an ordinary SQLite client) is numbered at once, so no
-- walk can miss it.
CREATE TRIGGER `delegations_node_assigned` AFTER INSERT ON `delegations`
WHEN NEW.`node` IS NULL
BEGIN
  UPDATE `delegations` SET `node` = (SELECT coalesce(max(`node`), 0) + 1 FROM `delegations`),
    `parent_node` = (SELECT `p`.`node` FROM `delegations` `p` WHERE `p`.`did` = NEW.`parent`)
  WHERE `rowid` = NEW.`rowid`;
END;
--> statement-breakpoint
-- A row inserted with its numbers must name its parent's: the walks trust `parent_node`.
CREATE TRIGGER `delegations_parent_node_matches` BEFORE INSERT ON `delegations`
WHEN NEW.`node` IS NOT NULL
  AND NEW.`parent_node` IS NOT (SELECT `p`.`node` FROM `delegations` `p` WHERE `p`.`did` = NEW.`parent`)
BEGIN
  SELECT RAISE(ABORT, 'parent_node must be the parent''s node');
END;
--> statement-breakpoint
-- Once numbered, a row keeps its numbers: moving them would move it in the graph.
CREATE TRIGGER `delegations_node_is_fixed` BEFORE UPDATE OF `node`, `parent_node` ON `delegations`
WHEN OLD.`node` IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'a delegation keeps its node');
END;
