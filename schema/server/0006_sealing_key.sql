-- The county office's public key, one per county: inspectors' devices seal 暗访 findings to it. The
-- private key never reaches the server.
CREATE TABLE sealing_key (
  county  TEXT PRIMARY KEY,
  key     TEXT NOT NULL,
  set_by  BLOB NOT NULL,
  set_at  TEXT NOT NULL
);
