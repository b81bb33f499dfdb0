-- The blast-radius walk reads the live children of a row from this index alone (issue 21).
CREATE INDEX `delegations_live_children_idx` ON `delegations` (`parent`,`did`) WHERE "delegations"."status" = 'live';
