-- Hand-written (drizzle-kit generate --custom): the head rows every instance serializes on, and
-- the integrity rules the schema cannot state as constraints. The triggers stop the application,
-- or anyone with an ordinary client, from rewriting history; someone who can drop them can still
-- tamper, and the decision log's hash chain is what detects that.
INSERT INTO "decision_log_head" ("singleton", "last_id", "last_hash") VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
--> statement-breakpoint
INSERT INTO "revocation_feed_head" ("singleton", "last_seq") VALUES (1, 0);
--> statement-breakpoint
CREATE FUNCTION "baton_refuse"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "decisions_append_only" BEFORE UPDATE OR DELETE ON "decisions"
  FOR EACH ROW EXECUTE FUNCTION "baton_refuse"('decisions are append-only');
--> statement-breakpoint
CREATE TRIGGER "decision_dids_append_only" BEFORE UPDATE OR DELETE ON "decision_dids"
  FOR EACH ROW EXECUTE FUNCTION "baton_refuse"('decisions are append-only');
--> statement-breakpoint
CREATE TRIGGER "tokens_immutable" BEFORE UPDATE OR DELETE ON "tokens"
  FOR EACH ROW EXECUTE FUNCTION "baton_refuse"('token versions are immutable');
--> statement-breakpoint
CREATE TRIGGER "delegations_no_delete" BEFORE DELETE ON "delegations"
  FOR EACH ROW EXECUTE FUNCTION "baton_refuse"('delegations are never deleted; revoke them');
--> statement-breakpoint
CREATE TRIGGER "delegations_revocation_is_final" BEFORE UPDATE ON "delegations"
  FOR EACH ROW WHEN (OLD."status" = 'revoked')
  EXECUTE FUNCTION "baton_refuse"('a revoked delegation cannot change');
--> statement-breakpoint
CREATE TRIGGER "delegations_edge_is_fixed" BEFORE UPDATE OF "did", "parent", "root", "task", "depth", "from_agent", "to_agent", "cap", "aud", "mdp", "exp" ON "delegations"
  FOR EACH ROW EXECUTE FUNCTION "baton_refuse"('a delegation edge cannot change; issue a new one');
--> statement-breakpoint
CREATE TRIGGER "decision_log_head_kept" BEFORE DELETE ON "decision_log_head"
  FOR EACH ROW EXECUTE FUNCTION "baton_refuse"('the decision log head is never deleted');
--> statement-breakpoint
CREATE TRIGGER "revocation_feed_head_kept" BEFORE DELETE ON "revocation_feed_head"
  FOR EACH ROW EXECUTE FUNCTION "baton_refuse"('the revocation feed head is never deleted');
--> statement-breakpoint
CREATE FUNCTION "baton_decision_head_forward"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."last_id" < OLD."last_id" THEN
    RAISE EXCEPTION 'the decision log head never moves back' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION "baton_feed_head_forward"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."last_seq" < OLD."last_seq" THEN
    RAISE EXCEPTION 'the revocation feed head never moves back' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "decision_log_head_forward" BEFORE UPDATE ON "decision_log_head"
  FOR EACH ROW EXECUTE FUNCTION "baton_decision_head_forward"();
--> statement-breakpoint
CREATE TRIGGER "revocation_feed_head_forward" BEFORE UPDATE ON "revocation_feed_head"
  FOR EACH ROW EXECUTE FUNCTION "baton_feed_head_forward"();
