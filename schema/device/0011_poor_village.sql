-- Device database, version 11: the 贫困村 flag of a village (督查 covers every 贫困村 in the year,
-- whatever its number of poor households). Villages written before are not flagged.
ALTER TABLE village ADD COLUMN poor_village INTEGER;
