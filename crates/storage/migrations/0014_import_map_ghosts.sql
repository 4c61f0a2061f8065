-- import_map is read by local id only to tell imported stand-ins for
-- deleted accounts ("ghosts") from members (export): an index of the
-- ghosts alone, instead of one entry per imported row (3 million for a
-- dump of a million posts, the longest index a bulk import built).
DELETE FROM deferred_indexes WHERE name = 'import_map_local';
DROP INDEX IF EXISTS import_map_local;
CREATE INDEX import_map_ghosts ON import_map(local_id) WHERE kind = 'ghost';
