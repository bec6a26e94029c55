-- Server database, version 2: records by village and kind, for the admin's village list and counts.
CREATE INDEX row_scope_village ON row_scope(village_id, entity);
