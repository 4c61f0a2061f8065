-- Knowledge community core. Ledgers (vote_events, accept_events,
-- reputation_ledger, revisions) are append-only; counters on users, posts
-- and tags are caches that `guildhall recompute` rebuilds from them.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user',
    about TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    activated_at BIGINT,
    reputation BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    purpose TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at BIGINT NOT NULL,
    succeeded BIGINT NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts(key, at);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT
);
CREATE TABLE settings_history (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by BIGINT
);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    question_count BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    kind BIGINT NOT NULL,
    question_id BIGINT REFERENCES posts(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL DEFAULT '',
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    score BIGINT NOT NULL DEFAULT 0,
    upvotes BIGINT NOT NULL DEFAULT 0,
    downvotes BIGINT NOT NULL DEFAULT 0,
    answer_count BIGINT NOT NULL DEFAULT 0,
    comment_count BIGINT NOT NULL DEFAULT 0,
    accepted_answer_id BIGINT,
    view_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    edited_at BIGINT,
    last_activity_at BIGINT NOT NULL,
    deleted_at BIGINT,
    deleted_by BIGINT
);
-- One partial index per list order, matching ORDER BY exactly, so a page
-- of a list reads 31 index entries instead of sorting every question.
CREATE INDEX posts_questions_active ON posts(last_activity_at DESC, id DESC) WHERE kind = 1 AND deleted_at IS NULL;
CREATE INDEX posts_questions_newest ON posts(created_at DESC, id DESC) WHERE kind = 1 AND deleted_at IS NULL;
CREATE INDEX posts_questions_votes ON posts(score DESC, id DESC) WHERE kind = 1 AND deleted_at IS NULL;
CREATE INDEX posts_questions_unanswered ON posts(created_at DESC, id DESC) WHERE kind = 1 AND deleted_at IS NULL AND answer_count = 0;
CREATE INDEX posts_parent ON posts(question_id);
CREATE INDEX posts_author ON posts(author_id, kind, created_at);
CREATE TABLE post_tags (
    post_id BIGINT NOT NULL REFERENCES posts(id),
    tag_id BIGINT NOT NULL REFERENCES tags(id),
    PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX post_tags_tag ON post_tags(tag_id, post_id);
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts(id),
    rev BIGINT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    tags TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    rolled_back_to BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (post_id, rev)
);
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX comments_post ON comments(post_id, created_at);
CREATE TABLE vote_events (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts(id),
    voter_id BIGINT NOT NULL REFERENCES users(id),
    value BIGINT NOT NULL,
    previous BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX vote_events_post_voter ON vote_events(post_id, voter_id, id);
CREATE TABLE votes (
    post_id BIGINT NOT NULL REFERENCES posts(id),
    voter_id BIGINT NOT NULL REFERENCES users(id),
    value BIGINT NOT NULL,
    event_id BIGINT NOT NULL,
    PRIMARY KEY (post_id, voter_id)
);
CREATE INDEX votes_voter ON votes(voter_id, post_id);
CREATE TABLE accept_events (
    id INTEGER PRIMARY KEY,
    question_id BIGINT NOT NULL REFERENCES posts(id),
    answer_id BIGINT,
    actor_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX accept_events_question ON accept_events(question_id, id);
CREATE TABLE reputation_ledger (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    amount BIGINT NOT NULL,
    requested BIGINT NOT NULL,
    capped BIGINT NOT NULL,
    reason TEXT NOT NULL,
    post_id BIGINT,
    source TEXT NOT NULL,
    source_id BIGINT,
    reverses_id BIGINT,
    day BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX reputation_user ON reputation_ledger(user_id, id);
CREATE INDEX reputation_user_day ON reputation_ledger(user_id, day, capped);
CREATE INDEX reputation_source ON reputation_ledger(source, source_id);
