-- Every (lexeme, post) of the words column, in lexeme then post order: the
-- posts with all of several words are then a merge of sorted index ranges
-- that stops at the first thousand, where the GIN index intersects the
-- words' whole lists (20-40 ms for two common words at a million posts, 1
-- ms this way). A second copy of search_docs' words, kept in the indexer's
-- transaction; a rebuild writes it again. The index is not unique so a
-- rebuild can set it aside and build it once, sorted.
CREATE TABLE search_postings (
    term TEXT NOT NULL,
    post_id BIGINT NOT NULL
);
INSERT INTO search_postings (term, post_id)
    SELECT w, d.post_id FROM search_docs d, unnest(tsvector_to_array(d.tsv)) w ORDER BY 1, 2;
CREATE INDEX search_postings_term ON search_postings (term, post_id);
