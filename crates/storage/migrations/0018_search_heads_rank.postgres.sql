-- A head carries what ranks its post for its word, so a one-word query
-- ranks its candidates from the heads' index alone: looking each of some
-- 760 candidates up in search_docs was most of a word query's time. The
-- word's positions in the post (a tsvector of that lexeme alone) and the
-- length of the column it is in give `ts_rank` exactly, with the weights
-- in force when the query runs; score, acceptance and date give the
-- standing. Heads are written again by the background indexer; until it
-- has caught up, a word query finds fewer candidates among titles.
TRUNCATE search_heads;
ALTER TABLE search_heads
    ADD COLUMN positions TSVECTOR NOT NULL,
    ADD COLUMN length INTEGER NOT NULL,
    ADD COLUMN score BIGINT NOT NULL,
    ADD COLUMN accepted BIGINT NOT NULL,
    ADD COLUMN created_at BIGINT NOT NULL;
DROP INDEX search_heads_best;
CREATE INDEX search_heads_best ON search_heads (term, impact DESC, post_id)
    INCLUDE (positions, length, score, accepted, created_at);
INSERT INTO search_outbox (post_id) SELECT post_id FROM search_docs;
