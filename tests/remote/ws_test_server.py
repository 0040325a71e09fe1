"""A small WebSocket server (RFC 6455, by hand) for the host's WebSocket
client tests.  usage: ws_test_server.py PORTFILE TOKEN

Writes its port to PORTFILE, then serves each connection in a thread:
- the handshake needs "Authorization: token TOKEN" (else HTTP 403) and
  picks "v1.test" when offered;
- text "frag:N:TEXT" is answered with TEXT split into N fragments;
- text "pings?" is answered with the number of pings received so far;
- text "close" is answered with a close frame (code 4000);
- anything else is echoed with its opcode (text or binary)."""
import base64
import hashlib
import socket
import struct
import sys
import threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def recv_exact(c, n):
    data = b""
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_frame(c):
    b0, b1 = recv_exact(c, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", recv_exact(c, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", recv_exact(c, 8))[0]
    mask = recv_exact(c, 4) if b1 & 0x80 else b"\0\0\0\0"
    data = bytes(x ^ mask[i % 4] for i, x in enumerate(recv_exact(c, n)))
    return b0 & 0x80, b0 & 0x0F, data


def frame(opcode, data, fin=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(data)
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + data


def handshake(c, token):
    req = b""
    while b"\r\n\r\n" not in req:
        chunk = c.recv(4096)
        if not chunk:
            raise EOFError
        req += chunk
    lines = req.decode("latin-1").split("\r\n")
    headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    if headers.get("authorization") != "token " + token or "token=" in lines[0]:
        c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return False
    accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + GUID).digest()).decode()
    extra = ""
    if "v1.test" in [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")]:
        extra = "Sec-WebSocket-Protocol: v1.test\r\n"
    c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Accept: {accept}\r\n{extra}\r\n").encode())
    return True


def serve(c, token):
    if not handshake(c, token):
        return
    pings = 0
    parts, first_op = b"", None
    while True:
        fin, op, data = read_frame(c)
        if op == 9:
            pings += 1
            c.sendall(frame(10, data))
            continue
        if op == 8:
            c.sendall(frame(8, data[:2]))
            return
        if op == 10:
            continue
        if op != 0:
            first_op, parts = op, b""
        parts += data
        if not fin:
            continue
        msg, op = parts, first_op
        if op == 1 and msg.startswith(b"frag:"):
            _, n, text = msg.split(b":", 2)
            n = int(n)
            size = max(1, -(-len(text) // n))
            chunks = [text[i:i + size] for i in range(0, len(text), size)] or [b""]
            for i, ch in enumerate(chunks):
                c.sendall(frame(1 if i == 0 else 0, ch, fin=i == len(chunks) - 1))
        elif op == 1 and msg == b"pings?":
            c.sendall(frame(1, str(pings).encode()))
        elif op == 1 and msg == b"close":
            c.sendall(frame(8, struct.pack("!H", 4000)))
        else:
            c.sendall(frame(op, msg))


def main():
    portfile, token = sys.argv[1], sys.argv[2]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    while True:
        c, _ = s.accept()
        threading.Thread(target=run_one, args=(c, token), daemon=True).start()


def run_one(c, token):
    try:
        serve(c, token)
    except (EOFError, ConnectionError, ValueError):
        pass
    finally:
        c.close()


if __name__ == "__main__":
    main()
