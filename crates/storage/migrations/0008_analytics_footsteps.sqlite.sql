-- Footprints per account and month instead of per day: the days active as
-- a bitmask (bit d - 1 for day d) and the actions. Same information for the
-- vanity metrics, about a tenth of the rows an import writes.
CREATE TABLE gh_actor_months (
    actor_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    days BIGINT NOT NULL,
    actions BIGINT NOT NULL,
    PRIMARY KEY (actor_id, month)
) WITHOUT ROWID;
INSERT INTO gh_actor_months (actor_id, month, days, actions)
SELECT actor_id,
       CAST(strftime('%Y', day * 86400, 'unixepoch') AS INTEGER) * 12
         + CAST(strftime('%m', day * 86400, 'unixepoch') AS INTEGER) - 1,
       SUM(1 << (CAST(strftime('%d', day * 86400, 'unixepoch') AS INTEGER) - 1)),
       SUM(actions)
FROM gh_actor_days GROUP BY 1, 2;
DROP TABLE gh_actor_days;
