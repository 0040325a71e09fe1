"""A TCP proxy that drops the first kernel WebSocket once, mid-run.

usage: drop_proxy.py PORTFILE TARGET_PORT DELAY_S
Forwards every connection to 127.0.0.1:TARGET_PORT.  The first connection
whose request line names /channels is cut DELAY_S seconds after the server
answered its upgrade
(both directions closed, as a network drop); every later one is kept."""
import os
import socket
import sys
import threading
import time

dropped = threading.Event()


def pump(src, dst, started=None):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            if started:
                started.set()
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def handle(client, target, delay):
    upstream = socket.create_connection(("127.0.0.1", target))
    first = client.recv(65536)
    upstream.sendall(first)
    answered = threading.Event()
    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client, answered), daemon=True).start()
    if b"/channels" in first.split(b"\r\n", 1)[0] and not dropped.is_set():
        dropped.set()
        answered.wait()
        time.sleep(delay)
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    portfile, target, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, target, delay), daemon=True).start()


if __name__ == "__main__":
    main()
