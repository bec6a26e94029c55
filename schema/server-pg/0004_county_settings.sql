-- The county office's settings (`zoufang_model::settings`): one value per county and key, sent to
-- every device of the county at sync. A key not set takes its default.
CREATE TABLE county_setting (
  county  TEXT NOT NULL,
  key     TEXT NOT NULL,
  value   BIGINT NOT NULL,
  set_by  UUID NOT NULL,
  set_at  TEXT NOT NULL,
  PRIMARY KEY (county, key)
);
