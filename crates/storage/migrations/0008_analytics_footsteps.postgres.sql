-- Footprints per account and month instead of per day: the days active as
-- a bitmask (bit d - 1 for day d) and the actions. Same information for the
-- vanity metrics, about a tenth of the rows an import writes.
CREATE TABLE gh_actor_months (
    actor_id BIGINT NOT NULL,
    month BIGINT NOT NULL,
    days BIGINT NOT NULL,
    actions BIGINT NOT NULL,
    PRIMARY KEY (actor_id, month)
);
INSERT INTO gh_actor_months (actor_id, month, days, actions)
SELECT actor_id,
       EXTRACT(YEAR FROM d)::BIGINT * 12 + EXTRACT(MONTH FROM d)::BIGINT - 1,
       SUM(1::BIGINT << (EXTRACT(DAY FROM d)::INT - 1)),
       SUM(actions)
FROM (SELECT actor_id, actions, to_timestamp(day * 86400) AT TIME ZONE 'UTC' AS d
      FROM gh_actor_days) x
GROUP BY 1, 2;
DROP TABLE gh_actor_days;
