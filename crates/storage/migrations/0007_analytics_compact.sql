-- A repository's rows are found through the primary key, month by month
-- (`month IN (SELECT month FROM gh_seen) AND repo_id = …`: every month with
-- events has its bitmap there), so the second index on (repo_id, month)
-- that every imported row also had to be written into goes.
DROP INDEX gh_monthly_repo;
