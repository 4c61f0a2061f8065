-- SQLite: the aggregate tables are clustered on their primary key (WITHOUT
-- ROWID), so an upsert writes one b-tree instead of a rowid table plus its
-- key index; imports write them in key order.
CREATE TABLE gh_monthly_new (
    month BIGINT NOT NULL,
    repo_id BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    issue_comments BIGINT NOT NULL DEFAULT 0,
    issues_opened BIGINT NOT NULL DEFAULT 0,
    issues_closed BIGINT NOT NULL DEFAULT 0,
    prs_opened BIGINT NOT NULL DEFAULT 0,
    reviews BIGINT NOT NULL DEFAULT 0,
    review_comments BIGINT NOT NULL DEFAULT 0,
    pushes BIGINT NOT NULL DEFAULT 0,
    commits BIGINT NOT NULL DEFAULT 0,
    stars BIGINT NOT NULL DEFAULT 0,
    forks BIGINT NOT NULL DEFAULT 0,
    creates BIGINT NOT NULL DEFAULT 0,
    releases BIGINT NOT NULL DEFAULT 0,
    members BIGINT NOT NULL DEFAULT 0,
    other BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, repo_id, actor_id)
) WITHOUT ROWID;
INSERT INTO gh_monthly_new SELECT * FROM gh_monthly;
DROP TABLE gh_monthly;
ALTER TABLE gh_monthly_new RENAME TO gh_monthly;
CREATE INDEX gh_monthly_actor ON gh_monthly(actor_id, month);

CREATE TABLE gh_items_new (
    repo_id BIGINT NOT NULL,
    number BIGINT NOT NULL,
    is_pull BIGINT NOT NULL,
    author_id BIGINT,
    opened_at BIGINT,
    closed_at BIGINT,
    merged_at BIGINT,
    merge_unknown BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, number)
) WITHOUT ROWID;
INSERT INTO gh_items_new SELECT * FROM gh_items;
DROP TABLE gh_items;
ALTER TABLE gh_items_new RENAME TO gh_items;
CREATE INDEX gh_items_merged ON gh_items(merged_at);
CREATE INDEX gh_items_author ON gh_items(author_id);

CREATE TABLE gh_item_activity_new (
    repo_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    number BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    opened BIGINT NOT NULL DEFAULT 0,
    comments BIGINT NOT NULL DEFAULT 0,
    reviews BIGINT NOT NULL DEFAULT 0,
    review_comments BIGINT NOT NULL DEFAULT 0,
    closed BIGINT NOT NULL DEFAULT 0,
    first_response_at BIGINT,
    PRIMARY KEY (repo_id, month, number, actor_id)
) WITHOUT ROWID;
INSERT INTO gh_item_activity_new SELECT * FROM gh_item_activity;
DROP TABLE gh_item_activity;
ALTER TABLE gh_item_activity_new RENAME TO gh_item_activity;
CREATE INDEX gh_item_activity_item ON gh_item_activity(repo_id, number);

CREATE TABLE gh_stars_new (
    repo_id BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    starred_at BIGINT NOT NULL,
    PRIMARY KEY (repo_id, actor_id)
) WITHOUT ROWID;
INSERT INTO gh_stars_new SELECT * FROM gh_stars;
DROP TABLE gh_stars;
ALTER TABLE gh_stars_new RENAME TO gh_stars;
CREATE INDEX gh_stars_actor ON gh_stars(actor_id);

CREATE TABLE gh_actor_days_new (
    actor_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    actions BIGINT NOT NULL,
    PRIMARY KEY (actor_id, day)
) WITHOUT ROWID;
INSERT INTO gh_actor_days_new SELECT * FROM gh_actor_days;
DROP TABLE gh_actor_days;
ALTER TABLE gh_actor_days_new RENAME TO gh_actor_days;
