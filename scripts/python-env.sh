#!/usr/bin/env bash
# Makes (once) a Python virtual environment with the PyPI packages the
# start and test commands use — aiosmtpd (a real SMTP server),
# openapi-spec-validator, schemathesis and openapi-python-client (checks of
# the generated OpenAPI documents), authlib and requests (an independent
# OAuth2 client), authlib with flask (an OAuth2 authorization server for the
# tests and the start command's calendar stand-in), mcp (the official MCP
# Python SDK, a client of /mcp) — and prints its
# python's path:
#
#   PY=$(scripts/python-env.sh)
set -euo pipefail
VENV="${SLUICE_VENV:-$HOME/.cache/sluice/venv}"
PACKAGES=(aiosmtpd==1.4.6 openapi-spec-validator==0.9.0 schemathesis==4.32.5 openapi-python-client==0.29.1 authlib==1.9.9 requests==2.32.5 standardwebhooks==1.1.0 flask==3.1.3 mcp==2.3.0)
if [[ ! -x "$VENV/bin/python" ]]; then
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" >&2
  fi
fi
if ! "$VENV/bin/python" -c 'import aiosmtpd, openapi_spec_validator, schemathesis, openapi_python_client, authlib, requests, standardwebhooks, flask, mcp' 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PACKAGES[@]}" >&2
fi
echo "$VENV/bin/python"
