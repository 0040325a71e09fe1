"""What the service simulators of tests/sim share (Python stdlib only): the
request handler's JSON replies, reading and hanging up, and the server
start-up on a chosen or free port, its port printed alone on stdout's first
line."""
import json
import os
import socket
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SimHandler(BaseHTTPRequestHandler):
    """Base of a simulator's handler; subclasses set server_version and
    json_content_type, and find their model at self.server.model."""
    protocol_version = "HTTP/1.1"
    json_content_type = "application/json"

    def log_message(self, fmt, *args):  # tests read state, not access logs
        pass

    def _send(self, status, body):
        """body as JSON; None sends an empty body."""
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", self.json_content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _hang_up(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(handler, model, port=0, cert=None, key=None, port_file=None):
    """Serves model with handler on 127.0.0.1:port (0: a free one), over
    HTTPS when cert is given; prints the port (and writes it atomically to
    port_file when given), then serves until interrupted."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.model = model
    chosen = server.server_address[1]
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("%d\n" % chosen)
        os.replace(tmp, port_file)
    sys.stdout.write("%d\n" % chosen)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
