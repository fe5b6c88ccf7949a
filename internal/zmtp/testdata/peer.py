"""A libzmq peer (through pyzmq) driven line by line from stdin.

Usage: peer.py TYPE bind|connect PORT [option=value ...]
  PORT is ignored for bind: the socket binds tcp://127.0.0.1:* and prints
  "port N". Options: identity=TEXT, subscribe=TEXT, heartbeat=IVL_MS:TTL_MS,
  plain_server=USER:PASSWORD (a ZAP authenticator with that one account),
  plain_client=USER:PASSWORD.
Commands: "send HEX..." sends one message, one hex argument per frame ("-"
is an empty frame); "recv" prints "msg HEX..." or "timeout" after 10 s;
"quit" exits. Every command is acknowledged with one line.
"""
import sys

import zmq


def hexes(parts):
    return " ".join(p.hex() if p else "-" for p in parts)


def main():
    kind, mode, port = sys.argv[1], sys.argv[2], sys.argv[3]
    opts = dict(a.split("=", 1) for a in sys.argv[4:])
    ctx = zmq.Context()
    auth = None
    s = ctx.socket(getattr(zmq, kind))
    s.linger = 0
    if "identity" in opts:
        s.identity = opts["identity"].encode()
    if "heartbeat" in opts:
        ivl, ttl = opts["heartbeat"].split(":")
        s.heartbeat_ivl, s.heartbeat_ttl = int(ivl), int(ttl)
    if "plain_server" in opts:
        from zmq.auth.thread import ThreadAuthenticator
        user, password = opts["plain_server"].split(":", 1)
        auth = ThreadAuthenticator(ctx)
        auth.start()
        auth.configure_plain(domain="test", passwords={user: password})
        s.plain_server = True
        s.zap_domain = b"test"
    if "plain_client" in opts:
        user, password = opts["plain_client"].split(":", 1)
        s.plain_username, s.plain_password = user.encode(), password.encode()
    if "subscribe" in opts:
        s.setsockopt(zmq.SUBSCRIBE, opts["subscribe"].encode())
    if mode == "bind":
        print("port", s.bind_to_random_port("tcp://127.0.0.1"), flush=True)
    else:
        s.connect("tcp://127.0.0.1:%s" % port)
        print("connected", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "send":
            s.send_multipart([b"" if w == "-" else bytes.fromhex(w) for w in words[1:]])
            print("sent", flush=True)
        elif words[0] == "recv":
            if s.poll(10000):
                print("msg", hexes(s.recv_multipart()), flush=True)
            else:
                print("timeout", flush=True)
        elif words[0] == "quit":
            break
    s.close()
    if auth:
        auth.stop()
    ctx.term()


main()
