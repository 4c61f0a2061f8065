-- Several app nodes share PostgreSQL, so search runs in it: one row per
-- indexed post, its text already segmented by guildhall (jieba) and written
-- as a tsvector literal, so no database extension is needed.
CREATE TABLE search_docs (
    post_id BIGINT PRIMARY KEY,
    kind BIGINT NOT NULL,
    question_id BIGINT NOT NULL,
    author_id BIGINT NOT NULL,
    score BIGINT NOT NULL,
    answers BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    tsv TSVECTOR NOT NULL
);
CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);
CREATE INDEX search_docs_created ON search_docs (created_at);
CREATE INDEX search_docs_score ON search_docs (score);
CREATE INDEX search_docs_author ON search_docs (author_id);
CREATE FUNCTION guildhall_search_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_outbox (post_id) VALUES (NEW.id);
    IF TG_OP = 'UPDATE' AND OLD.accepted_answer_id IS DISTINCT FROM NEW.accepted_answer_id THEN
        IF OLD.accepted_answer_id IS NOT NULL THEN
            INSERT INTO search_outbox (post_id) VALUES (OLD.accepted_answer_id);
        END IF;
        IF NEW.accepted_answer_id IS NOT NULL THEN
            INSERT INTO search_outbox (post_id) VALUES (NEW.accepted_answer_id);
        END IF;
    END IF;
    -- Answers carry their question's visibility, tags and closed state.
    IF TG_OP = 'UPDATE' AND NEW.kind = 1 AND (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.closed_at IS DISTINCT FROM NEW.closed_at
        OR OLD.tags IS DISTINCT FROM NEW.tags) THEN
        INSERT INTO search_outbox (post_id) SELECT id FROM posts WHERE question_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER search_post_insert AFTER INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION guildhall_search_enqueue();
CREATE TRIGGER search_post_update AFTER UPDATE ON posts FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.body_md IS DISTINCT FROM NEW.body_md
      OR OLD.tags IS DISTINCT FROM NEW.tags OR OLD.score IS DISTINCT FROM NEW.score
      OR OLD.status IS DISTINCT FROM NEW.status OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
      OR OLD.closed_at IS DISTINCT FROM NEW.closed_at OR OLD.answer_count IS DISTINCT FROM NEW.answer_count
      OR OLD.accepted_answer_id IS DISTINCT FROM NEW.accepted_answer_id OR OLD.author_id IS DISTINCT FROM NEW.author_id)
    EXECUTE FUNCTION guildhall_search_enqueue();
