-- Lockstep groups of stargazers found by `analytics compute` (issue 6):
-- accounts that starred the same repositories within a few days of each
-- other. Replaced as a whole on every compute.
CREATE TABLE gh_lockstep_groups (
    id BIGINT PRIMARY KEY,
    accounts BIGINT NOT NULL,
    repositories BIGINT NOT NULL,
    from_at BIGINT NOT NULL,
    to_at BIGINT NOT NULL
);
CREATE TABLE gh_lockstep_members (
    group_id BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    PRIMARY KEY (group_id, actor_id)
);
CREATE INDEX gh_lockstep_members_actor ON gh_lockstep_members(actor_id);
CREATE TABLE gh_lockstep_repos (
    group_id BIGINT NOT NULL,
    repo_id BIGINT NOT NULL,
    PRIMARY KEY (group_id, repo_id)
);
CREATE INDEX gh_lockstep_repos_repo ON gh_lockstep_repos(repo_id);
-- A developer's pull requests (developer pages).
CREATE INDEX gh_items_author ON gh_items(author_id);
