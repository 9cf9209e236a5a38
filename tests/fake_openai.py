"""A fake OpenAI-compatible HTTP server on 127.0.0.1, defined once for every test that
needs the real HTTP path without a model: it counts requests and reports token usage."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    """Serves /v1/chat/completions.

    Args:
        content: the assistant's answer text, the same for every request.
        key: the API key it accepts; any other key gets 401, echoing the key as some
            servers do (so that redaction is really tested). None accepts any key.
        usage: prompt and completion tokens reported with every answer.
        first: (HTTP status, raw body) pairs served to the first requests, in order: a
            passing 500, a body cut in transit.
    """

    def __init__(self, content: str, key: str | None = None, usage: tuple[int, int] = (11, 7),
                 first: list[tuple[int, bytes]] | None = None):
        self.content, self.key, self.usage = content, key, usage
        self.first = list(first or [])  # (status, raw body) served, in order, before any answer
        self.requests = 0
        self.keys: list[str] = []  # the key of every request, as received
        self.bodies: list[dict] = []  # the JSON body of every request
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                fake.requests += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                fake.keys.append(key)
                fake.bodies.append(body)
                if fake.first:
                    code, raw = fake.first.pop(0)
                    self._send_raw(code, raw)
                    return
                if fake.key is not None and key != fake.key:
                    self._send(
                        401, {"error": {"message": f"Incorrect API key provided: {key}", "type": "auth"}}
                    )
                    return
                if (body.get("response_format") or {}).get("type") == "json_schema":
                    self._send(500, {"error": {"message": "json_schema not supported"}})
                    return
                p, c = fake.usage
                self._send(
                    200,
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": fake.content},
                            }
                        ],
                        "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
                    },
                )

            def _send(self, code, payload):
                self._send_raw(code, json.dumps(payload).encode())

            def _send_raw(self, code, data: bytes):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


__all__ = ["FakeOpenAI"]
