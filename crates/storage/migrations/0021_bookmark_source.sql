-- Which import a bookmark came from (NULL: a member's own). The export
-- writes members' own bookmarks as favourites; imported favourites are in
-- imported_votes already.
ALTER TABLE bookmarks ADD COLUMN source BIGINT;
UPDATE bookmarks SET source = (
    SELECT MIN(i.source) FROM imported_votes i
    WHERE i.post_id = bookmarks.post_id AND i.user_id = bookmarks.user_id AND i.vote_type = 5
);
CREATE INDEX bookmarks_own ON bookmarks(user_id, post_id) WHERE source IS NULL;
