-- Device database, version 18: the derived tables' rows for new records are added by the store, not by
-- insert triggers, and references between records are checked when a transaction commits.
--
-- Why: a pull writes a county's 460,000 records in multi-row statements. With an insert trigger or an
-- immediate foreign key on a table, SQLite keeps a statement journal for every such statement (a copy of
-- each page the statement touches, in case it must be undone half-way) and runs the trigger's program
-- once a record. A pull now writes the records it knows to be new with plain inserts (no trigger, no
-- statement journal), then adds what they contribute to `household_digest` and `household_search` in a
-- few statements over the records just written (`crates/store/src/derived.rs`, the one place those rules
-- live now); local writes do the same for the record they insert. The update triggers stay: an edited,
-- moved, deleted or restored record still has its household's rows made again from the records.
--
-- The foreign keys become DEFERRABLE INITIALLY DEFERRED: still enforced, for every write and pull, but
-- at COMMIT, which is where a pull's or a write's transaction fails anyway (nothing of it is kept). The
-- change is to the tables' declared text only: SQLite's documented way to change a constraint without
-- rebuilding a table (the same bytes on disk, the schema read again afterwards).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql =
  replace(replace(replace(replace(replace(sql,
    'REFERENCES village(id)', 'REFERENCES village(id) DEFERRABLE INITIALLY DEFERRED'),
    'REFERENCES household(id)', 'REFERENCES household(id) DEFERRABLE INITIALLY DEFERRED'),
    'REFERENCES member(id)', 'REFERENCES member(id) DEFERRABLE INITIALLY DEFERRED'),
    'REFERENCES exit_decision(id)', 'REFERENCES exit_decision(id) DEFERRABLE INITIALLY DEFERRED'),
    'REFERENCES rectification(id)', 'REFERENCES rectification(id) DEFERRABLE INITIALLY DEFERRED')
WHERE type = 'table' AND sql LIKE '%REFERENCES%';
PRAGMA writable_schema = RESET;

DROP TRIGGER visit_digest_insert;
DROP TRIGGER calc_digest_insert;
DROP TRIGGER member_digest_insert;
DROP TRIGGER household_search_insert;
DROP TRIGGER member_search_insert;
