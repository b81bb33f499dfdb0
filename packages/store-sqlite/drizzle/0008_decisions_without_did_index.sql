-- Decisions are found by did through decision_dids (migration 0003), which files each one under
-- its own did and its chain's leaf. This index on decisions.did had no reader left, and a hop's
-- did is random, so it cost every logged hop one more page in its commit.
DROP INDEX `decisions_did_idx`;
