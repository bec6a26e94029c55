-- Device database, version 14: presence that can be trusted. Villages get the committee's location and
-- the radius a check-in counts within (set by the county office); a check-in records whether it was
-- inside, and, at the first sync after it, how far the device's clock was from the server's.
ALTER TABLE village ADD COLUMN lat REAL;
ALTER TABLE village ADD COLUMN lon REAL;
ALTER TABLE village ADD COLUMN radius_m INTEGER;
ALTER TABLE presence ADD COLUMN inside INTEGER;
ALTER TABLE presence ADD COLUMN clock_offset_ms INTEGER;
