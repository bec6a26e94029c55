-- Device database, version 2: member look-ups by ID number and name for the household search, and
-- conflicts by the record they concern.
CREATE INDEX member_id_number ON member(id_number);
CREATE INDEX conflict_row ON conflict(row_id, field);
CREATE INDEX rectification_household ON rectification(household_id, status);
