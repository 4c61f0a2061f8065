-- Pairs of consecutive words, as lexemes of a column of their own, so a
-- two-word phrase is one index lookup (PostgreSQL checks `a <-> b` by
-- reading every post that has both words) and phrases have heads. Only
-- phrase queries read the column: in the same tsvector as the words it
-- made every word query read twice the data.
ALTER TABLE search_docs ADD COLUMN pairs TSVECTOR NOT NULL DEFAULT '';
CREATE INDEX search_docs_pairs ON search_docs USING GIN (pairs);
INSERT INTO search_outbox (post_id) SELECT post_id FROM search_docs;
-- Rows now pass PostgreSQL's 2 kB threshold for moving values out. The
-- pairs go out of line (read by phrase queries only); the words stay in
-- the row and uncompressed, since every word query reads them.
ALTER TABLE search_docs ALTER COLUMN pairs SET STORAGE EXTERNAL;
ALTER TABLE search_docs ALTER COLUMN tsv SET STORAGE MAIN;
