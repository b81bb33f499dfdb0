-- Integrity rules the schema cannot state as constraints (custom migration, written by hand).
-- They stop the application, or anyone using an ordinary SQLite client, from rewriting history.
-- Someone with the file can still drop them: the decision log's hash chain is what detects that.
CREATE TRIGGER `decisions_append_only_update` BEFORE UPDATE ON `decisions`
BEGIN
  SELECT RAISE(ABORT, 'decisions are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `decisions_append_only_delete` BEFORE DELETE ON `decisions`
BEGIN
  SELECT RAISE(ABORT, 'decisions are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `tokens_immutable_update` BEFORE UPDATE ON `tokens`
BEGIN
  SELECT RAISE(ABORT, 'token versions are immutable');
END;
--> statement-breakpoint
CREATE TRIGGER `tokens_immutable_delete` BEFORE DELETE ON `tokens`
BEGIN
  SELECT RAISE(ABORT, 'token versions are immutable');
END;
--> statement-breakpoint
CREATE TRIGGER `delegations_no_delete` BEFORE DELETE ON `delegations`
BEGIN
  SELECT RAISE(ABORT, 'delegations are never deleted; revoke them');
END;
--> statement-breakpoint
CREATE TRIGGER `delegations_revocation_is_final` BEFORE UPDATE ON `delegations`
WHEN OLD.`status` = 'revoked'
BEGIN
  SELECT RAISE(ABORT, 'a revoked delegation cannot change');
END;
--> statement-breakpoint
CREATE TRIGGER `delegations_edge_is_fixed` BEFORE UPDATE OF `did`, `parent`, `root`, `task`, `depth`, `from_agent`, `to_agent`, `cap`, `aud`, `mdp`, `exp` ON `delegations`
BEGIN
  SELECT RAISE(ABORT, 'a delegation edge cannot change; issue a new one');
END;
