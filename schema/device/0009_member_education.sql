-- Device database, version 9: a member's 文化程度 (the register's five levels, or 学龄前儿童), kept
-- beside 在校生状况. Records written before are left without it.
ALTER TABLE member ADD COLUMN education TEXT;
