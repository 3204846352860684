-- What made each uploaded component (its producers custom sections, as a
-- JSON list of {"field", "name", "version"}); '[]' for versions uploaded
-- before this column existed.
ALTER TABLE action_versions ADD COLUMN producers TEXT NOT NULL DEFAULT '[]';
