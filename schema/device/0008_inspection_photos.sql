-- Device database, version 8: a 暗访 inspection's photos, each sealed on its own to the county office.
-- The column lists their files' names (JSON array of SHA-256); what they show is inside the seal.
ALTER TABLE inspection ADD COLUMN photos TEXT;
