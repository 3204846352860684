-- The built-in an action is made from (`sql-table` …), or NULL for an
-- uploaded component; the built-ins themselves (`builtin:<name>`) carry
-- their own name. Such actions follow the binary's component.
ALTER TABLE actions ADD COLUMN builtin TEXT;
