-- Failed token requests per client network (an IPv4 address or an IPv6
-- client's subnet), counted here when the control plane is shared so a
-- cluster bans after the same number of failures as one node. A window
-- starts at a network's first failure and ends at `window_ends_ms` (Unix
-- milliseconds).
CREATE TABLE ip_failures (
    network        TEXT PRIMARY KEY,
    failures       BIGINT NOT NULL,
    window_ends_ms BIGINT NOT NULL
);
CREATE INDEX ip_failures_window_ends ON ip_failures (window_ends_ms);
