-- The review center, moderation, notifications and badges (issue 3).
-- review_votes, flags, audit_log and badge_awards are append-only records;
-- posts.status / closed_at / locked_at and review_items.state are what
-- those records decided, and `guildhall recompute` checks them.

-- 0 published, 1 waiting for review, 2 changes requested, 3 rejected,
-- 4 hidden by flags. Only published posts are listed and counted.
ALTER TABLE posts ADD COLUMN status BIGINT NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN closed_at BIGINT;
ALTER TABLE posts ADD COLUMN close_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN duplicate_of BIGINT;
ALTER TABLE posts ADD COLUMN locked_at BIGINT;

DROP INDEX posts_questions_active;
DROP INDEX posts_questions_newest;
DROP INDEX posts_questions_votes;
DROP INDEX posts_questions_unanswered;
CREATE INDEX posts_questions_active ON posts(last_activity_at DESC, id DESC) WHERE kind = 1 AND deleted_at IS NULL AND status = 0;
CREATE INDEX posts_questions_newest ON posts(created_at DESC, id DESC) WHERE kind = 1 AND deleted_at IS NULL AND status = 0;
CREATE INDEX posts_questions_votes ON posts(score DESC, id DESC) WHERE kind = 1 AND deleted_at IS NULL AND status = 0;
CREATE INDEX posts_questions_unanswered ON posts(created_at DESC, id DESC) WHERE kind = 1 AND deleted_at IS NULL AND status = 0 AND answer_count = 0;

ALTER TABLE users ADD COLUMN location TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN website TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN notify_email BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN suspended_until BIGINT;
ALTER TABLE users ADD COLUMN suspension_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN blocked_caps TEXT NOT NULL DEFAULT '';

-- A suggested edit of a post (post_id) or of a tag description (tag_id).
CREATE TABLE suggested_edits (
    id INTEGER PRIMARY KEY,
    post_id BIGINT REFERENCES posts(id),
    tag_id BIGINT REFERENCES tags(id),
    editor_id BIGINT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL DEFAULT '',
    body_md TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    base_rev BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- One item to review. Thresholds are fixed when the item is created.
CREATE TABLE review_items (
    id INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    post_id BIGINT REFERENCES posts(id),
    edit_id BIGINT REFERENCES suggested_edits(id),
    tag_id BIGINT REFERENCES tags(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    post_author_id BIGINT,
    approve_needed BIGINT NOT NULL,
    changes_needed BIGINT NOT NULL,
    reject_needed BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',
    outcome TEXT NOT NULL DEFAULT '',
    outcome_reason TEXT NOT NULL DEFAULT '',
    outcome_message TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX review_items_queue ON review_items(queue, state, created_at, id);
CREATE INDEX review_items_post ON review_items(post_id, queue, state);

CREATE TABLE review_votes (
    id INTEGER PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES review_items(id),
    queue TEXT NOT NULL,
    reviewer_id BIGINT NOT NULL REFERENCES users(id),
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    duplicate_of BIGINT,
    binding BIGINT NOT NULL DEFAULT 0,
    day BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (item_id, reviewer_id)
);
CREATE INDEX review_votes_reviewer ON review_votes(reviewer_id, queue, day);

-- "Skip" moves a reviewer on without a vote.
CREATE TABLE review_skips (
    item_id BIGINT NOT NULL REFERENCES review_items(id),
    reviewer_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (item_id, reviewer_id)
);

CREATE TABLE flags (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts(id),
    flagger_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'open',
    resolved_by BIGINT,
    resolved_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX flags_post ON flags(post_id, state);
CREATE INDEX flags_state ON flags(state, created_at);
CREATE INDEX flags_flagger ON flags(flagger_id, state);

CREATE TABLE tag_revisions (
    id INTEGER PRIMARY KEY,
    tag_id BIGINT NOT NULL REFERENCES tags(id),
    rev BIGINT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users(id),
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tag_id, rev)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    actor_id BIGINT,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id BIGINT,
    detail TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_target ON audit_log(target_kind, target_id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    post_id BIGINT,
    detail TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    -- 0 not yet considered for e-mail, 1 handled (sent or not wanted).
    mailed BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notifications_mail ON notifications(mailed, id);
CREATE INDEX notifications_user ON notifications(user_id, id);

CREATE TABLE badge_awards (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    badge TEXT NOT NULL,
    source_key TEXT NOT NULL DEFAULT '',
    awarded_at BIGINT NOT NULL,
    UNIQUE (user_id, badge, source_key)
);
CREATE INDEX badge_awards_badge ON badge_awards(badge);

-- Badge criteria count a member's edits and comments.
CREATE INDEX revisions_author ON revisions(author_id, kind);
CREATE INDEX comments_author ON comments(author_id);

CREATE TABLE user_visits (
    user_id BIGINT NOT NULL REFERENCES users(id),
    day BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);
