-- Server schema, version 9: the guess guard counts attempts being checked apart from wrong secrets, so
-- a burst of honest enrolments from one address waits its turn instead of being refused.
ALTER TABLE guard ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
