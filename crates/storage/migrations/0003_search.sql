-- Search (issue 4): tag synonyms and follows, and the outbox through which
-- every committed change to a post reaches the search index. Triggers (per
-- backend, below) write the outbox in the same transaction as the change,
-- so a killed process never loses an index update: the indexer reads the
-- outbox, updates the index, and only then deletes what it read.
CREATE TABLE tag_synonyms (
    synonym TEXT PRIMARY KEY,
    tag_id BIGINT NOT NULL REFERENCES tags(id),
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX tag_synonyms_tag ON tag_synonyms(tag_id);
CREATE TABLE tag_follows (
    user_id BIGINT NOT NULL REFERENCES users(id),
    tag_id BIGINT NOT NULL REFERENCES tags(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, tag_id)
);
CREATE INDEX tag_follows_tag ON tag_follows(tag_id);
CREATE TABLE search_outbox (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL
);
INSERT INTO search_outbox (post_id) SELECT id FROM posts;
