#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A plain HTTP/1.1 backend for the guest tests (keep-alive, threaded).

  GET /files/NAME    the file NAME from the directory given as argv[2]
  POST /sha256       the SHA-256 (hex) of the request body
  GET /hello         a short fixed text
  GET /drip/N        N bytes of the pattern i % 251, written 16 bytes at a
                     time with TCP_NODELAY (many tiny segments)

Usage: backend.py PORT DIR
"""
import hashlib
import http.server
import os
import socket
import socketserver
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, body, ctype="text/plain"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            self.reply(b"hello from the backend\n")
            return
        if self.path.startswith("/drip/"):
            n = int(self.path[len("/drip/"):])
            body = bytes(i % 251 for i in range(n))
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.flush()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(0, n, 16):
                self.connection.sendall(body[i:i + 16])
            return
        if self.path.startswith("/files/"):
            name = os.path.basename(self.path[len("/files/"):])
            path = os.path.join(sys.argv[2], name)
            try:
                f = open(path, "rb")
            except OSError:
                self.send_error(404)
                return
            with f:
                size = os.fstat(f.fileno()).st_size
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                self.wfile.flush()
                if size:
                    os.sendfile(self.wfile.fileno(), f.fileno(), 0, size)
            return
        self.send_error(404)

    def do_POST(self):
        left = int(self.headers.get("Content-Length", "0"))
        h = hashlib.sha256()
        while left:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
        self.reply((h.hexdigest() + "\n").encode())


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
