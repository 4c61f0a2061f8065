-- search_docs in eight parts by post. A count stops at max_counted, but
-- PostgreSQL reads a word's whole GIN list into a bitmap before it
-- returns the first match: in parts, a common word's count is done within
-- the first part or two, an eighth of the list each.
ALTER TABLE search_docs RENAME TO search_docs_whole;
ALTER INDEX search_docs_pkey RENAME TO search_docs_whole_pkey;
DROP INDEX IF EXISTS search_docs_tsv;
DROP INDEX IF EXISTS search_docs_pairs;
DROP INDEX IF EXISTS search_docs_created;
DROP INDEX IF EXISTS search_docs_score;
DROP INDEX IF EXISTS search_docs_author;
CREATE TABLE search_docs (
    post_id BIGINT NOT NULL,
    kind BIGINT NOT NULL,
    question_id BIGINT NOT NULL,
    author_id BIGINT NOT NULL,
    score BIGINT NOT NULL,
    answers BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    tsv TSVECTOR NOT NULL,
    pairs TSVECTOR NOT NULL DEFAULT '',
    PRIMARY KEY (post_id)
) PARTITION BY HASH (post_id);
CREATE TABLE search_docs_0 PARTITION OF search_docs FOR VALUES WITH (MODULUS 8, REMAINDER 0);
CREATE TABLE search_docs_1 PARTITION OF search_docs FOR VALUES WITH (MODULUS 8, REMAINDER 1);
CREATE TABLE search_docs_2 PARTITION OF search_docs FOR VALUES WITH (MODULUS 8, REMAINDER 2);
CREATE TABLE search_docs_3 PARTITION OF search_docs FOR VALUES WITH (MODULUS 8, REMAINDER 3);
CREATE TABLE search_docs_4 PARTITION OF search_docs FOR VALUES WITH (MODULUS 8, REMAINDER 4);
CREATE TABLE search_docs_5 PARTITION OF search_docs FOR VALUES WITH (MODULUS 8, REMAINDER 5);
CREATE TABLE search_docs_6 PARTITION OF search_docs FOR VALUES WITH (MODULUS 8, REMAINDER 6);
CREATE TABLE search_docs_7 PARTITION OF search_docs FOR VALUES WITH (MODULUS 8, REMAINDER 7);
-- As before (migration 13): pairs out of the row, words in it.
ALTER TABLE search_docs ALTER COLUMN pairs SET STORAGE EXTERNAL;
ALTER TABLE search_docs ALTER COLUMN tsv SET STORAGE MAIN;
INSERT INTO search_docs (post_id, kind, question_id, author_id, score, answers, accepted, closed, created_at, tsv, pairs)
    SELECT post_id, kind, question_id, author_id, score, answers, accepted, closed, created_at, tsv, pairs
    FROM search_docs_whole;
DROP TABLE search_docs_whole;
-- Built after the rows (a definition a killed rebuild saved would name
-- the old table's index).
DELETE FROM deferred_indexes WHERE name LIKE 'search_docs%';
CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);
CREATE INDEX search_docs_pairs ON search_docs USING GIN (pairs);
CREATE INDEX search_docs_created ON search_docs (created_at);
CREATE INDEX search_docs_score ON search_docs (score);
CREATE INDEX search_docs_author ON search_docs (author_id);
