"""The sample shop's API: ``GET /api/basket`` answers the basket as JSON (standard library only)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, HTTPServer

BASKET = {"items": [{"sku": "TEA-01", "quantity": 2}]}


class Handler(BaseHTTPRequestHandler):
    """Serves the basket; anything else is 404."""

    def do_GET(self) -> None:
        if self.path != "/api/basket":
            self.send_error(404)
            return
        body = json.dumps(BASKET).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8080), Handler).serve_forever()
