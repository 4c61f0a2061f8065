-- Imports and exports (issue 5). Each imported dump is a source; import_map
-- keeps the source's ids of what it created, so an import is idempotent by
-- source id, resumable after an interruption, and can be rolled back.
CREATE TABLE import_sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    format TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'running',
    -- JSON: rows read per file, so a resumed import skips what it did.
    progress TEXT NOT NULL DEFAULT '{}',
    report TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE import_map (
    source BIGINT NOT NULL REFERENCES import_sources(id),
    kind TEXT NOT NULL,
    source_id BIGINT NOT NULL,
    local_id BIGINT NOT NULL,
    PRIMARY KEY (source, kind, source_id)
);
CREATE INDEX import_map_local ON import_map(kind, local_id);
-- Votes whose voters a dump does not name (up, down, and the other kinds it
-- records). Up and down votes are part of a post's score: `recompute` adds
-- them to the votes guildhall's members cast.
CREATE TABLE imported_votes (
    id INTEGER PRIMARY KEY,
    source BIGINT NOT NULL REFERENCES import_sources(id),
    source_id BIGINT NOT NULL,
    post_id BIGINT NOT NULL REFERENCES posts(id),
    vote_type BIGINT NOT NULL,
    value BIGINT NOT NULL,
    user_id BIGINT,
    bounty BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX imported_votes_post ON imported_votes(post_id);
CREATE TABLE bookmarks (
    user_id BIGINT NOT NULL REFERENCES users(id),
    post_id BIGINT NOT NULL REFERENCES posts(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, post_id)
);
CREATE INDEX bookmarks_post ON bookmarks(post_id);
-- Links between posts (related; duplicates also set posts.duplicate_of).
CREATE TABLE post_links (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts(id),
    related_post_id BIGINT NOT NULL REFERENCES posts(id),
    link_type BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    source BIGINT,
    source_id BIGINT,
    UNIQUE (source, source_id)
);
CREATE INDEX post_links_post ON post_links(post_id);
-- Badges a dump awarded that guildhall has no rule for, kept as awarded.
CREATE TABLE imported_badges (
    id INTEGER PRIMARY KEY,
    source BIGINT NOT NULL REFERENCES import_sources(id),
    source_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    class BIGINT NOT NULL,
    tag_based BIGINT NOT NULL,
    awarded_at BIGINT NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX imported_badges_user ON imported_badges(user_id);
