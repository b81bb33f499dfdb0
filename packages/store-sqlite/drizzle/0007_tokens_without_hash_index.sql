-- The one read of tokens by hash also names the did (a hop's parent token, by its prf), which
-- tokens_did_version_idx finds. An index on a random key costs every recorded hop one more page
-- written to the WAL, and this one had no other reader.
DROP INDEX `tokens_hash_idx`;
