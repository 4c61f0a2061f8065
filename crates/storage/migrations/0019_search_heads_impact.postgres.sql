-- A head's impact (the order in which a word's heads are taken as
-- candidates) is now divided by log2(1 + its column's length), as
-- `ts_rank` divides a rank: without it, the many posts with a word once in
-- their title tied, and the oldest of them were taken. Every post is
-- queued for the background indexer, which writes its heads again; until
-- it has caught up, the old and new impacts mix, which changes only which
-- candidates are ranked, never a rank.
INSERT INTO search_outbox (post_id) SELECT post_id FROM search_docs;
