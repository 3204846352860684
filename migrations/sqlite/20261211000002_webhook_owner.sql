-- Webhooks a consumer subscribed through the consumer API name their owner
-- (a `users.id`); NULL for webhooks made by an admin or the deploy. Owned
-- webhooks are delivered through the egress guard (no loopback, private,
-- link-local or metadata address unless SLUICE_WEBHOOK_ALLOW_NETWORKS
-- allows it) and are listed and removed per owner.
ALTER TABLE webhooks ADD COLUMN owner_id TEXT;
CREATE INDEX webhooks_owner ON webhooks (owner_id);
