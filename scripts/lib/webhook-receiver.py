#!/usr/bin/env python3
"""A webhook receiver for scripts/bench-webhooks: accepts every POST, answers 204 and appends
one line per delivery to the file given: arrival time (microseconds since the epoch), the
webhook-id and the event's course id. Prints its port on standard output, then serves."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out = open(sys.argv[1], "a", buffering=1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (the http.server name)
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        at = time.time_ns() // 1000
        try:
            course = json.loads(body).get("course_id") or 0
        except ValueError:
            course = 0
        out.write(f"{at} {self.headers.get('webhook-id', '')} {course}\n")
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
