-- Apps that registered themselves (RFC 7591, /authorization/register):
-- when, in Unix seconds; NULL for apps an admin, a deploy or a consumer
-- made. Such an app may only use the authorization-code grant (and
-- refresh), never act on its own (client_credentials) or take a password.
ALTER TABLE apps ADD COLUMN registered_at BIGINT;
-- How the app authenticates at the token endpoint (RFC 7591 §2): `none`
-- for a public client (a browser app, a CLI), which names itself by
-- client_id and proves a code with PKCE; NULL for a confidential one,
-- which always presents its secret.
ALTER TABLE apps ADD COLUMN token_endpoint_auth_method TEXT;
