#!/usr/bin/env python3
"""Local stand-ins for the services the example actions talk to, so the
demo works offline:

- an HTTP server on --http-port with
  - GET /data/2.5/weather?q=<city>&appid=<key>&units=metric|imperial|standard:
    the shape of OpenWeatherMap's "current weather" answer, made up but
    stable per city; 401 for a wrong key, 404 for the city "Atlantis";
  - any method on /echo/...: the request as JSON (method, path, query,
    headers, body), the upstream of the `proxy` example;
  - POST /webhook: a webhook receiver that checks the Standard Webhooks
    signature with the `standardwebhooks` package and the secret in the
    file --webhook-secret-file (read on each request), prints the event,
    and answers 204 (401 for a bad signature);
- with --smtp-port and --maildir, an SMTP server (aiosmtpd) that stores
  every message it accepts in a Maildir.

Usage: standin.py --http-port 8081 --api-key KEY [--smtp-port 2525 --maildir DIR]
                  [--webhook-secret-file FILE]
"""

import argparse
import hashlib
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CONDITIONS = ["clear sky", "few clouds", "scattered clouds", "light rain", "mist", "snow"]


def weather(city, units):
    digest = hashlib.sha256(city.lower().encode()).digest()
    celsius = round(digest[0] / 255 * 35 - 5, 1)
    temp = {"metric": celsius, "imperial": round(celsius * 9 / 5 + 32, 1)}.get(
        units, round(celsius + 273.15, 2)
    )
    return {
        "coord": {"lon": 0.0, "lat": 0.0},
        "weather": [{"id": 800, "main": "Weather", "description": CONDITIONS[digest[1] % 6], "icon": "01d"}],
        "main": {"temp": temp, "feels_like": round(temp - 0.6, 1), "pressure": 1013, "humidity": 30 + digest[2] % 60},
        "wind": {"speed": round(digest[3] / 25.5, 1), "deg": digest[4]},
        "dt": int(time.time()),
        "sys": {"country": "XX"},
        "name": city.title(),
        "cod": 200,
    }


class Handler(BaseHTTPRequestHandler):
    api_key = ""
    secret_file = ""

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path.startswith("/echo"):
            return self.answer(200, {
                "method": self.command,
                "path": url.path,
                "query": {k: v if len(v) > 1 else v[0] for k, v in query.items()},
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            })
        if url.path == "/webhook" and self.command == "POST":
            return self.webhook(body)
        if url.path == "/data/2.5/weather" and self.command == "GET":
            if query.get("appid", [""])[0] != self.api_key:
                return self.answer(401, {"cod": 401, "message": "Invalid API key."})
            city = query.get("q", [""])[0]
            if not city or city.lower() == "atlantis":
                return self.answer(404, {"cod": "404", "message": "city not found"})
            return self.answer(200, weather(city, query.get("units", ["standard"])[0]))
        self.answer(404, {"message": "not found"})

    def webhook(self, body):
        from standardwebhooks import Webhook

        try:
            with open(self.secret_file) as f:
                secret = f.read().strip()
            if secret.startswith("{"):  # as `sluice up` saves it
                secret = json.loads(secret)["secret"]
            event = Webhook(secret).verify(body.decode(), {k.lower(): v for k, v in self.headers.items()})
        except Exception as e:  # a wrong signature, or no secret yet
            print(f"webhook refused: {e}", flush=True)
            return self.answer(401, {"message": "signature does not verify"})
        print(f"webhook: {event['type']} {json.dumps(event.get('data'))} (signature verified)", flush=True)
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--smtp-port", type=int)
    parser.add_argument("--maildir")
    parser.add_argument("--webhook-secret-file", default="")
    args = parser.parse_args()
    Handler.secret_file = args.webhook_secret_file
    if args.smtp_port:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Mailbox

        Controller(Mailbox(args.maildir), hostname="127.0.0.1", port=args.smtp_port).start()
    Handler.api_key = args.api_key
    ThreadingHTTPServer(("127.0.0.1", args.http_port), Handler).serve_forever()


if __name__ == "__main__":
    main()
