#!/usr/bin/python3
"""A tiny SMTP server for tests (stdlib only): accepts every message and
appends it to --out as one JSON line {"from", "to", "data", "auth"}.

Binds 127.0.0.1 on a free port and prints the port on stdout.
  --auth USER:PASS   advertise AUTH PLAIN LOGIN and require these credentials
  --rcpt-code CODE   answer RCPT TO with CODE (e.g. 450 or 550) instead of 250
"""
import argparse
import base64
import json
import socketserver
import sys
import threading

args = None
lock = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def line(self):
        raw = self.rfile.readline(65536)
        if not raw:
            raise EOFError
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    def check_auth(self, user, password):
        if args.auth == "%s:%s" % (user, password):
            self.user = user
            self.send("235 2.7.0 Authentication successful")
        else:
            self.send("535 5.7.8 Authentication credentials invalid")

    def auth(self, words):
        mech = words[1].upper() if len(words) > 1 else ""
        if mech == "PLAIN":
            token = words[2] if len(words) > 2 else None
            if token is None:
                self.send("334 ")
                token = self.line()
            parts = base64.b64decode(token).decode().split("\0")
            self.check_auth(parts[1], parts[2])
        elif mech == "LOGIN":
            if len(words) > 2:
                user = base64.b64decode(words[2]).decode()
            else:
                self.send("334 VXNlcm5hbWU6")
                user = base64.b64decode(self.line()).decode()
            self.send("334 UGFzc3dvcmQ6")
            password = base64.b64decode(self.line()).decode()
            self.check_auth(user, password)
        else:
            self.send("504 5.5.4 mechanism not supported")

    def handle(self):
        self.user = None
        sender, rcpts = None, []
        self.send("220 sink ESMTP")
        try:
            while True:
                cmd = self.line()
                words = cmd.split(" ")
                verb = words[0].upper()
                if verb == "EHLO":
                    self.send("250-sink")
                    if args.auth:
                        self.send("250-AUTH PLAIN LOGIN")
                    self.send("250 8BITMIME")
                elif verb == "HELO":
                    self.send("250 sink")
                elif verb == "AUTH":
                    self.auth(words)
                elif verb == "MAIL":
                    if args.auth and self.user is None:
                        self.send("530 5.7.0 Authentication required")
                        continue
                    sender = cmd.split(":", 1)[1].strip().split(" ")[0]
                    rcpts = []
                    self.send("250 OK")
                elif verb == "RCPT":
                    if args.rcpt_code != 250:
                        self.send("%d recipient refused" % args.rcpt_code)
                        continue
                    rcpts.append(cmd.split(":", 1)[1].strip())
                    self.send("250 OK")
                elif verb == "DATA":
                    self.send("354 end with .")
                    lines = []
                    while True:
                        raw = self.rfile.readline(1 << 20)
                        if raw in (b".\r\n", b""):
                            break
                        if raw.startswith(b".."):
                            raw = raw[1:]
                        lines.append(raw)
                    with lock, open(args.out, "a") as f:
                        f.write(json.dumps({"from": sender, "to": rcpts, "auth": self.user,
                                            "data": b"".join(lines).decode("utf-8", "replace")}) + "\n")
                    self.send("250 OK queued")
                elif verb in ("RSET", "NOOP"):
                    self.send("250 OK")
                elif verb == "QUIT":
                    self.send("221 bye")
                    return
                else:
                    self.send("502 command not implemented")
        except (EOFError, ConnectionError):
            return


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--auth")
    ap.add_argument("--rcpt-code", type=int, default=250)
    args = ap.parse_args()
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
