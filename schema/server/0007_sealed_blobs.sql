-- Server schema, version 7: which kind of record names a file. A photo record's file may be fetched by
-- roles that read photos; a 暗访 inspection's sealed photos only by roles that read inspections.
ALTER TABLE blob_ref ADD COLUMN entity TEXT NOT NULL DEFAULT 'photo';
