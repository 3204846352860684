"""A small OAuth2 provider with a calendar API behind it, built on Authlib
(RFC 6749 authorization code with PKCE, refresh tokens that rotate, client
credentials; RFC 6750 bearer tokens) and Flask. It stands in for Google
Calendar in the start command (`calendar-digest`) and is the real
authorization server of the OAuth2 connection tests.

    python oauth2_provider.py --port 8083 --client-id sluice --client-secret s3cret

It has no login page: /authorize approves at once for the one user, ada.
Beside the OAuth2 endpoints (/authorize, /token):

    GET  /calendar/today      today's events (needs a bearer token)
    GET  /user                who the token is for, GitHub-style (id, login, email, name)
    POST /control/expire      makes every access token answer 401 as expired
    POST /control/revoke      revokes every refresh token (and access token)
    GET  /control/stats       {"grants": {...}, "unauthorized": n, "tokens_seen": [...]}
"""

from __future__ import annotations

import argparse
import datetime
import secrets
import threading
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, jsonify, request

LOCK = threading.Lock()
STATS = {"grants": {}, "unauthorized": 0, "tokens_seen": []}


class User:
    def __init__(self, name: str) -> None:
        self.name = name

    def get_user_id(self) -> str:
        return self.name


ADA = User("ada")


class Client(ClientMixin):
    def __init__(self, client_id: str, secret: str, redirect_uris: list[str], grant_types: list[str]) -> None:
        self.client_id = client_id
        self.secret = secret
        self.redirect_uris = redirect_uris
        self.grant_types = grant_types

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope):
        return scope or ""

    def check_redirect_uri(self, redirect_uri):
        # Any path on the registered origins: the tests learn the server's
        # port only when it starts.
        return any(redirect_uri.startswith(prefix) for prefix in self.redirect_uris)

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(self.secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


class Code:
    def __init__(self, code, client_id, redirect_uri, scope, challenge, method):
        self.code = code
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.scope = scope
        self.code_challenge = challenge
        self.code_challenge_method = method
        self.created = time.time()

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope


class Token:
    def __init__(self, data: dict, client_id: str, user: User | None) -> None:
        self.access_token = data["access_token"]
        self.refresh_token = data.get("refresh_token")
        self.scope = data.get("scope", "")
        self.expires_in = data.get("expires_in", 0)
        self.issued_at = time.time()
        self.client_id = client_id
        self.user = user
        self.revoked = False
        self.expired = False

    def check_client(self, client):
        return client.client_id == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return self.expired or time.time() > self.issued_at + self.expires_in

    def is_revoked(self):
        return self.revoked

    def get_user(self):
        return self.user

    def get_client(self):
        return CLIENTS.get(self.client_id)


CLIENTS: dict[str, Client] = {}
CODES: dict[str, Code] = {}
TOKENS: dict[str, Token] = {}
REFRESH: dict[str, Token] = {}


def count(grant_type: str) -> None:
    with LOCK:
        STATS["grants"][grant_type] = STATS["grants"].get(grant_type, 0) + 1


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        payload = request.payload.data
        CODES[code] = Code(
            code,
            request.client.client_id,
            request.payload.redirect_uri,
            request.payload.scope or "",
            payload.get("code_challenge"),
            payload.get("code_challenge_method"),
        )

    def query_authorization_code(self, code, client):
        item = CODES.get(code)
        if item and item.client_id == client.client_id and time.time() - item.created < 300:
            return item
        return None

    def delete_authorization_code(self, authorization_code):
        CODES.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        count("authorization_code")
        return ADA


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        token = REFRESH.get(refresh_token)
        if token and not token.revoked:
            return token
        return None

    def authenticate_user(self, refresh_token):
        count("refresh_token")
        return refresh_token.user

    def revoke_old_credential(self, refresh_token):
        refresh_token.revoked = True


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self):
        count("client_credentials")
        return super().validate_token_request()


class Validator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        with LOCK:
            STATS["tokens_seen"].append(token_string[:8])
        return TOKENS.get(token_string)


def create_app(args: argparse.Namespace) -> Flask:
    app = Flask(__name__)
    app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {
        "authorization_code": args.token_ttl,
        "refresh_token": args.token_ttl,
        "client_credentials": args.token_ttl,
    }

    def save_token(data, request):
        client = request.client
        token = Token(data, client.client_id, request.user)
        TOKENS[token.access_token] = token
        if token.refresh_token:
            REFRESH[token.refresh_token] = token

    server = AuthorizationServer(app, query_client=CLIENTS.get, save_token=save_token)
    server.register_grant(AuthorizationCodeGrant, [CodeChallenge(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    protect = ResourceProtector()
    protect.register_token_validator(Validator())

    @app.get("/authorize")
    def authorize():
        return server.create_authorization_response(grant_user=ADA)

    @app.post("/token")
    def token():
        return server.create_token_response()

    @app.get("/calendar/today")
    def today():
        from authlib.oauth2 import OAuth2Error

        try:
            protect.acquire_token()
        except OAuth2Error as error:
            with LOCK:
                STATS["unauthorized"] += 1
            return jsonify(dict(error.get_body())), error.status_code, error.get_headers()
        day = datetime.date.today().isoformat()
        return jsonify(
            {
                "date": day,
                "events": [
                    {"start": "09:00", "title": "Stand-up"},
                    {"start": "12:30", "title": "Lunch with Ada"},
                    {"start": "16:00", "title": "Review the Sluice deploy"},
                ],
            }
        )

    @app.get("/user")
    def user():
        # Who the token is for, as GitHub's /user answers it (the id a
        # number, no email_verified member).
        from authlib.oauth2 import OAuth2Error

        try:
            protect.acquire_token()
        except OAuth2Error as error:
            return jsonify(dict(error.get_body())), error.status_code, error.get_headers()
        return jsonify({"id": 4242, "login": "ada", "email": "Ada@Example.com", "name": "Ada Lovelace"})

    @app.post("/control/expire")
    def expire():
        for t in TOKENS.values():
            t.expired = True
        return jsonify({"expired": len(TOKENS)})

    @app.post("/control/revoke")
    def revoke():
        for t in list(TOKENS.values()) + list(REFRESH.values()):
            t.revoked = True
        return jsonify({"revoked": True})

    @app.get("/control/stats")
    def stats():
        with LOCK:
            return jsonify(STATS)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", default="sluice")
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-prefix", action="append", default=[],
                        help="allowed start of redirect URIs (default http://127.0.0.1:, http://localhost:)")
    parser.add_argument("--cc-client-id", default="sluice-machine")
    parser.add_argument("--token-ttl", type=int, default=3600, help="access token lifetime, seconds")
    args = parser.parse_args()
    prefixes = args.redirect_prefix or ["http://127.0.0.1:", "http://localhost:"]
    CLIENTS[args.client_id] = Client(args.client_id, args.client_secret, prefixes,
                                     ["authorization_code", "refresh_token"])
    CLIENTS[args.cc_client_id] = Client(args.cc_client_id, args.client_secret, [], ["client_credentials"])
    app = create_app(args)
    # Plain HTTP on loopback, as the stand-ins; authlib refuses that unless told.
    import os

    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    print(f"oauth2 provider on http://127.0.0.1:{args.port}", flush=True)
    app.run(host="127.0.0.1", port=args.port, threaded=True)


if __name__ == "__main__":
    main()
