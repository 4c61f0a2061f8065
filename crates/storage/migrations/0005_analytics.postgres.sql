-- The ids of imported events per month, as a serialized roaring bitmap: an
-- event already counted is skipped when a file is imported again.
CREATE TABLE gh_seen (month BIGINT PRIMARY KEY, ids BYTEA NOT NULL);
