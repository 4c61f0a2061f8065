CREATE TRIGGER search_post_insert AFTER INSERT ON posts
BEGIN
    INSERT INTO search_outbox (post_id) VALUES (NEW.id);
END;
CREATE TRIGGER search_post_update AFTER UPDATE ON posts
WHEN OLD.title IS NOT NEW.title OR OLD.body_md IS NOT NEW.body_md OR OLD.tags IS NOT NEW.tags
  OR OLD.score IS NOT NEW.score OR OLD.status IS NOT NEW.status OR OLD.deleted_at IS NOT NEW.deleted_at
  OR OLD.closed_at IS NOT NEW.closed_at OR OLD.answer_count IS NOT NEW.answer_count
  OR OLD.accepted_answer_id IS NOT NEW.accepted_answer_id OR OLD.author_id IS NOT NEW.author_id
BEGIN
    INSERT INTO search_outbox (post_id) VALUES (NEW.id);
END;
-- An accepted answer is ranked higher: the answers losing and gaining it change too.
CREATE TRIGGER search_post_accept AFTER UPDATE OF accepted_answer_id ON posts
WHEN OLD.accepted_answer_id IS NOT NEW.accepted_answer_id
BEGIN
    INSERT INTO search_outbox (post_id)
    SELECT x FROM (SELECT OLD.accepted_answer_id AS x UNION ALL SELECT NEW.accepted_answer_id) WHERE x IS NOT NULL;
END;
-- Answers carry their question's visibility, tags and closed state.
CREATE TRIGGER search_question_answers AFTER UPDATE ON posts
WHEN NEW.kind = 1 AND (OLD.status IS NOT NEW.status OR OLD.deleted_at IS NOT NEW.deleted_at
  OR OLD.closed_at IS NOT NEW.closed_at OR OLD.tags IS NOT NEW.tags)
BEGIN
    INSERT INTO search_outbox (post_id) SELECT id FROM posts WHERE question_id = NEW.id;
END;
