"""A minimal Jupyter kernel (python3-zmq) that misbehaves on purpose.

Usage: fake_kernel.py MODE CONNECTION_FILE
  forge     answers like a kernel; for each execute_request it publishes a
            stream "forged" signed with a wrong key, a stream "tampered"
            whose content was changed after signing, a message without the
            <IDS|MSG> delimiter, a signed message whose content is not
            UTF-8, then a genuine stream "genuine", the execute_reply and
            idle.
  wrongkey  signs everything with a key other than the connection file's.
  interrupt answers execute_request only when an interrupt_request arrives
            on control (interrupt_mode "message"), with a KeyboardInterrupt
            error.
"""
import datetime
import hashlib
import hmac
import json
import os
import sys
import uuid

import zmq

DELIM = b"<IDS|MSG>"


def main():
    mode, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        cf = json.load(f)
    key = cf["key"].encode()
    if mode == "wrongkey":
        key = b"not-the-connection-key"
    ctx = zmq.Context()
    url = "tcp://%s:%%d" % cf["ip"]
    shell = ctx.socket(zmq.ROUTER)
    shell.bind(url % cf["shell_port"])
    control = ctx.socket(zmq.ROUTER)
    control.bind(url % cf["control_port"])
    stdin = ctx.socket(zmq.ROUTER)
    stdin.bind(url % cf["stdin_port"])
    iopub = ctx.socket(zmq.PUB)
    iopub.bind(url % cf["iopub_port"])
    hb = ctx.socket(zmq.REP)
    hb.bind(url % cf["hb_port"])
    session = str(uuid.uuid4())

    def sign(parts, k=None):
        d = hmac.HMAC(k or key, digestmod=hashlib.sha256)
        for p in parts:
            d.update(p)
        return d.hexdigest().encode()

    def build(msg_type, content, parent):
        header = {
            "msg_id": str(uuid.uuid4()),
            "session": session,
            "username": "fake",
            "date": datetime.datetime.utcnow().isoformat() + "Z",
            "msg_type": msg_type,
            "version": "5.3",
        }
        return [json.dumps(x).encode() for x in (header, parent, {}, content)]

    def send(sock, idents, msg_type, content, parent, sig_key=None, tamper=None, raw_content=None):
        parts = build(msg_type, content, parent)
        if raw_content is not None:
            parts[3] = raw_content
        sig = sign(parts, sig_key)
        if tamper is not None:
            parts[3] = json.dumps(tamper).encode()
        sock.send_multipart(list(idents) + [DELIM, sig] + parts)

    def recv(sock):
        frames = sock.recv_multipart()
        i = frames.index(DELIM)
        header = json.loads(frames[i + 2])
        return frames[:i], header, json.loads(frames[i + 5])

    def status(state, parent):
        send(iopub, [b"status"], "status", {"execution_state": state}, parent)

    poller = zmq.Poller()
    for s in (shell, control, hb):
        poller.register(s, zmq.POLLIN)
    pending = None
    count = 0
    parent = os.getppid()
    while True:
        events = poller.poll(200)
        if os.getppid() != parent:
            return  # our test died: do not outlive it holding its pipes
        for sock, _ in events:
            if sock is hb:
                hb.send(hb.recv())
                continue
            idents, header, content = recv(sock)
            t = header["msg_type"]
            if t == "shutdown_request":
                send(control, idents, "shutdown_reply", {"status": "ok", "restart": False}, header)
                return
            if t == "interrupt_request" and pending:
                send(control, idents, "interrupt_reply", {"status": "ok"}, header)
                p_idents, p_header = pending
                pending = None
                err = {"ename": "KeyboardInterrupt", "evalue": "", "traceback": ["KeyboardInterrupt"]}
                send(iopub, [b"error"], "error", err, p_header)
                reply = dict(err, status="error", execution_count=count)
                send(shell, p_idents, "execute_reply", reply, p_header)
                status("idle", p_header)
                continue
            status("busy", header)
            if t == "kernel_info_request":
                info = {"status": "ok", "protocol_version": "5.3", "implementation": "fake",
                        "language_info": {"name": "fake", "version": "0"}}
                send(shell, idents, "kernel_info_reply", info, header)
            elif t == "execute_request" and mode == "interrupt":
                count += 1
                pending = (idents, header)
                continue
            elif t == "execute_request":
                count += 1
                stream = {"name": "stdout"}
                send(iopub, [b"stream"], "stream", dict(stream, text="forged\n"), header, sig_key=b"wrong")
                send(iopub, [b"stream"], "stream", dict(stream, text="signed\n"), header,
                     tamper=dict(stream, text="tampered\n"))
                iopub.send_multipart([b"stream", b"no delimiter", b"{}"])
                send(iopub, [b"stream"], "stream", {}, header, raw_content=b'{"name": "stdout", "text": "\xff"}')
                send(iopub, [b"stream"], "stream", dict(stream, text="genuine\n"), header)
                send(shell, idents, "execute_reply", {"status": "ok", "execution_count": count}, header)
            status("idle", header)


if __name__ == "__main__":
    main()
