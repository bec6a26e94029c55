-- Server database, version 3: devices' history chains (see crates/sync/src/chain.rs).
-- Each device's last accepted link; each stored change's link; and the changes the server refused,
-- kept as received, because they are part of the device's history (and of the audit trail).
ALTER TABLE device ADD COLUMN chain_head BLOB;
ALTER TABLE change_log ADD COLUMN chain BLOB;
CREATE TABLE rejected_change (
  id          BLOB PRIMARY KEY,
  device      BLOB NOT NULL,
  hlc         INTEGER NOT NULL,
  change      TEXT NOT NULL,      -- the change as received (JSON)
  reason      TEXT NOT NULL,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rejected_change_device ON rejected_change(device, hlc);
