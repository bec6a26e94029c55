-- Device database, version 3: the history chain. Each change-log entry keeps its link
-- SHA-256(previous link ‖ change) (see crates/sync/src/chain.rs); entries written before this version
-- have none, and the chain starts at the first entry written after it.
ALTER TABLE change_log ADD COLUMN chain BLOB;
