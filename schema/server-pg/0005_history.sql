-- A household's history (痕迹管理): find the records that name a household, and the conflicts that
-- name a record, without reading the whole log.
CREATE INDEX change_log_parent ON change_log(field, value) WHERE live AND field IN ('household_id', 'row_id');
CREATE INDEX change_log_row ON change_log(row_id, seq);
