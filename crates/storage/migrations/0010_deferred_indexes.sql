-- Secondary indexes a large load set aside to build once at its end. The
-- definition is written in the transaction that drops the index, so a load
-- killed half-way leaves what the next start needs to build it again.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL
);
