-- GitHub analytics (issue 6): GH Archive events reduced to aggregates, so
-- the raw files are not needed afterwards, and the metrics computed from
-- them. Ids are GitHub's (repositories and accounts keep their id when
-- renamed); months are year * 12 + month - 1; times Unix seconds.
CREATE TABLE gh_repos (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE INDEX gh_repos_name ON gh_repos(name);
CREATE TABLE gh_actors (
    id BIGINT PRIMARY KEY,
    login TEXT NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE INDEX gh_actors_login ON gh_actors(login);
-- What each developer did in each repository and month.
CREATE TABLE gh_monthly (
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
);
CREATE INDEX gh_monthly_repo ON gh_monthly(repo_id, month);
CREATE INDEX gh_monthly_actor ON gh_monthly(actor_id, month);
-- Issues and pull requests: author, and when they opened, closed, merged.
CREATE TABLE gh_items (
    repo_id BIGINT NOT NULL,
    number BIGINT NOT NULL,
    is_pull BIGINT NOT NULL,
    author_id BIGINT,
    opened_at BIGINT,
    closed_at BIGINT,
    merged_at BIGINT,
    merge_unknown BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, number)
);
CREATE INDEX gh_items_merged ON gh_items(merged_at);
-- Each developer's part in an issue or pull request per month: community
-- OpenRank's edges, and first responses.
CREATE TABLE gh_item_activity (
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
);
CREATE INDEX gh_item_activity_item ON gh_item_activity(repo_id, number);
-- First star per repository and account.
CREATE TABLE gh_stars (
    repo_id BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    starred_at BIGINT NOT NULL,
    PRIMARY KEY (repo_id, actor_id)
);
CREATE INDEX gh_stars_actor ON gh_stars(actor_id);
-- Actions per account and day (days since the epoch): footprints of
-- stargazers.
CREATE TABLE gh_actor_days (
    actor_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    actions BIGINT NOT NULL,
    PRIMARY KEY (actor_id, day)
);
-- One row per import run, with its report.
CREATE TABLE gh_imports (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    events BIGINT NOT NULL DEFAULT 0,
    report TEXT NOT NULL DEFAULT ''
);
-- Computed per month by `guildhall analytics compute`: activity and global
-- OpenRank of repositories ('repo') and developers ('actor').
CREATE TABLE gh_rank (
    month BIGINT NOT NULL,
    kind TEXT NOT NULL,
    id BIGINT NOT NULL,
    activity DOUBLE PRECISION NOT NULL,
    -- Repositories: developers with activity; developers: repositories.
    participants BIGINT NOT NULL,
    openrank DOUBLE PRECISION,
    PRIMARY KEY (month, kind, id)
);
CREATE INDEX gh_rank_id ON gh_rank(kind, id, month);
-- Community OpenRank of developers inside a repository.
CREATE TABLE gh_community_rank (
    repo_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    openrank DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (repo_id, month, actor_id)
);
CREATE TABLE gh_computed (
    month BIGINT PRIMARY KEY,
    computed_at BIGINT NOT NULL,
    iterations BIGINT NOT NULL,
    converged BIGINT NOT NULL,
    robots TEXT NOT NULL DEFAULT '[]'
);
