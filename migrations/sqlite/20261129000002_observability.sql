-- Observability: the trace of each logged request, the weight of a row
-- kept by sampling (it stands for `weight` requests in the statistics), the
-- trace context of each dispatched event (its deliveries' traces link to
-- it), and the scope that reads /system/metrics.
ALTER TABLE request_log ADD COLUMN trace_id TEXT;
ALTER TABLE request_log ADD COLUMN weight INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbox ADD COLUMN traceparent TEXT;
INSERT INTO scopes (name, description, created_at, updated_at)
VALUES ('metrics', 'Read the Prometheus metrics at /system/metrics', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
ON CONFLICT (name) DO NOTHING;
