-- Apps that registered themselves (RFC 7591, /authorization/register):
-- when, in Unix seconds; NULL for apps an admin, a deploy or a consumer
-- made. Such an app may only use the authorization-code grant (and
-- refresh), never act on its own (client_credentials) or take a password.
ALTER TABLE apps ADD COLUMN registered_at BIGINT;
