-- Heads of equal impact (a tag's, which weighs every post alike, or a
-- word once in many titles) were read in post order, so the oldest came
-- first; ranking prefers the newest of equals (age is part of the
-- multiplier), so they are read newest first. Only the index changes.
DROP INDEX search_heads_best;
CREATE INDEX search_heads_best ON search_heads (term, impact DESC, created_at DESC, post_id DESC)
    INCLUDE (positions, length, score, accepted);
