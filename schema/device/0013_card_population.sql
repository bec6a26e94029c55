-- Device database, version 13: 明白卡人口, the number on the household's card, for the population check
-- (系统 / 手册 / 明白卡 / 实际) where the county still uses the card.
ALTER TABLE household ADD COLUMN card_population INTEGER;
