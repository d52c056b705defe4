"""A minimal OpenID Connect provider on a loopback port, for browser tests of the login:
discovery, an authorize endpoint that signs in whoever the test names (no password page),
a token endpoint issuing an RS256-signed ID token, and its JWKS. Test use only."""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse


class FakeProvider:
    """``provider.user = {"email": ...}`` decides who the next login is."""

    def __init__(self, client_id: str) -> None:
        from joserfc.jwk import RSAKey

        self.client_id = client_id
        self.key = RSAKey.generate_key(2048, parameters={"kid": "e2e"})
        self.user: dict[str, object] = {}
        self.codes: dict[str, tuple[str | None, dict[str, object]]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _id_token(self, nonce: str | None, user: dict[str, object]) -> str:
        from joserfc import jwt

        now = int(time.time())
        claims = {"iss": self.url, "aud": self.client_id, "sub": str(user["email"]),
                  "iat": now, "exp": now + 600, **user}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": "e2e"}, claims, self.key)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json({
                        "issuer": provider.url,
                        "authorization_endpoint": provider.url + "/authorize",
                        "token_endpoint": provider.url + "/token",
                        "jwks_uri": provider.url + "/jwks",
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                    })
                elif url.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    q = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = secrets.token_urlsafe(12)
                    provider.codes[code] = (q.get("nonce"), dict(provider.user))
                    self.send_response(302)
                    self.send_header("Location", q["redirect_uri"] + "?" + urlencode(
                        {"code": code, "state": q.get("state", "")}))
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlparse(self.path).path != "/token" or form.get("code") not in provider.codes:
                    self.send_error(400)
                    return
                nonce, user = provider.codes.pop(form["code"])
                self._json({"access_token": secrets.token_urlsafe(12), "token_type": "Bearer",
                            "expires_in": 600, "id_token": provider._id_token(nonce, user)})

        return Handler
