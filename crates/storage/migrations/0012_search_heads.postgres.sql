-- Where a ranked search on PostgreSQL finds its candidates without reading
-- every match: for each word (and tag) in a post's title and tags, how
-- strongly the post stands for it, so the strongest posts for a word are
-- one index range away. A common word matches most posts, and ranking all
-- of them took seconds at a million posts.
CREATE TABLE search_heads (
    post_id BIGINT NOT NULL,
    term TEXT NOT NULL,
    impact REAL NOT NULL,
    PRIMARY KEY (post_id, term)
);
CREATE INDEX search_heads_best ON search_heads (term, impact DESC, post_id);
-- Indexed posts are indexed again by the background indexer, which now
-- also writes their heads.
INSERT INTO search_outbox (post_id) SELECT post_id FROM search_docs;
