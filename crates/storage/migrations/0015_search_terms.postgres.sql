-- How many indexed posts hold each lexeme (words, and the pairs of
-- consecutive words two-word phrases look up). A single word's count is then
-- one row instead of its whole list read from the GIN index, which took
-- 10-20 ms for a word in a few percent of a million posts. A cache of
-- search_docs, kept in the indexer's transaction; a rebuild recounts it.
CREATE TABLE search_terms (
    term TEXT PRIMARY KEY,
    docs BIGINT NOT NULL
);
INSERT INTO search_terms (term, docs)
    SELECT word, ndoc FROM ts_stat('SELECT tsv || pairs FROM search_docs');
