-- The words of questions alone, for `is:question` and the similar
-- questions shown while a title is typed: a capped count still reads a
-- word's whole GIN list, and questions hold a quarter of the posts.
CREATE INDEX search_docs_question_tsv ON search_docs USING GIN (tsv) WHERE kind = 1;
