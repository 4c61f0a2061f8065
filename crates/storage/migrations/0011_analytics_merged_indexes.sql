-- Both indexes on gh_items serve merged pull requests only (a month's
-- merges; a developer's merges), and about one item in five is merged:
-- partial indexes hold a fifth of the entries, which a bulk import builds
-- at its end and every other import writes row by row.
DELETE FROM deferred_indexes WHERE name IN ('gh_items_merged', 'gh_items_author');
DROP INDEX IF EXISTS gh_items_merged;
DROP INDEX IF EXISTS gh_items_author;
CREATE INDEX gh_items_merged ON gh_items(merged_at) WHERE merged_at IS NOT NULL;
CREATE INDEX gh_items_author ON gh_items(author_id) WHERE merged_at IS NOT NULL;
