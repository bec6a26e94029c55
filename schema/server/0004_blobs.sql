-- Server schema, version 4: which villages' photo records name a photo file. A device may upload or
-- fetch a file only when a photo record in its scope names it.
CREATE TABLE blob_ref (
  hash       TEXT NOT NULL,
  village_id BLOB NOT NULL,
  PRIMARY KEY (hash, village_id)
) WITHOUT ROWID;
