"""A libzmq peer (through pyzmq) driven line by line from stdin.

Usage: peer.py TYPE bind|connect PORT [option=value ...]
  PORT is ignored for bind: the socket binds tcp://127.0.0.1:* and prints
  "port N". Options: identity=TEXT, subscribe=TEXT,
  heartbeat=IVL_MS:TTL_MS[:TIMEOUT_MS] (the timeout defaults to IVL_MS),
  plain_server=USER:PASSWORD (a ZAP authenticator with that one account),
  plain_client=USER:PASSWORD,
  curve_server=SECRET (CURVE server with a ZAP authenticator that admits
  the client public keys of curve_allow=PUBLIC,PUBLIC...; none if unset),
  curve_client=SERVERPUBLIC,PUBLIC,SECRET (keys in Z85, which has no comma),
  monitor=1 (record handshake events for "event").
Commands: "send HEX..." sends one message, one hex argument per frame ("-"
is an empty frame); "recv" prints "msg HEX..." or "timeout" after 10 s;
"event" prints the next handshake event as "event NAME VALUE" (VALUE is the
ZAP status or protocol error code) or "timeout" after 10 s; "quit" exits.
Every command is acknowledged with one line.
"""
import os
import sys
import tempfile

import zmq


def hexes(parts):
    return " ".join(p.hex() if p else "-" for p in parts)


HANDSHAKE_EVENTS = {
    zmq.EVENT_HANDSHAKE_SUCCEEDED: "HANDSHAKE_SUCCEEDED",
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL: "HANDSHAKE_FAILED_NO_DETAIL",
    zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL: "HANDSHAKE_FAILED_PROTOCOL",
    zmq.EVENT_HANDSHAKE_FAILED_AUTH: "HANDSHAKE_FAILED_AUTH",
}


def next_handshake_event(monitor):
    from zmq.utils.monitor import recv_monitor_message
    while monitor.poll(10000):
        ev = recv_monitor_message(monitor)
        if ev["event"] in HANDSHAKE_EVENTS:
            return "event %s %d" % (HANDSHAKE_EVENTS[ev["event"]], ev["value"])
    return "timeout"


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
        ivl, ttl, *timeout = opts["heartbeat"].split(":")
        s.heartbeat_ivl, s.heartbeat_ttl = int(ivl), int(ttl)
        if timeout:
            s.heartbeat_timeout = int(timeout[0])
    if "plain_server" in opts:
        from zmq.auth.thread import ThreadAuthenticator
        user, password = opts["plain_server"].split(":", 1)
        auth = ThreadAuthenticator(ctx)
        auth.start()
        auth.configure_plain(domain="test", passwords={user: password})
        s.plain_server = True
        s.zap_domain = b"test"
    if "curve_server" in opts:
        from zmq.auth.thread import ThreadAuthenticator
        certs = tempfile.mkdtemp()
        allowed = [k for k in opts.get("curve_allow", "").split(",") if k]
        for i, key in enumerate(allowed):
            with open(os.path.join(certs, "client%d.key" % i), "w") as f:
                f.write('metadata\ncurve\n    public-key = "%s"\n' % key)
        auth = ThreadAuthenticator(ctx)
        auth.start()
        auth.configure_curve(domain="*", location=certs)
        s.curve_server = True
        s.curve_secretkey = opts["curve_server"].encode()
    if "curve_client" in opts:
        server, public, secret = opts["curve_client"].split(",")
        s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server.encode(), public.encode(), secret.encode()
    monitor = s.get_monitor_socket() if "monitor" in opts else None
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
        elif words[0] == "event":
            print(next_handshake_event(monitor), flush=True)
        elif words[0] == "quit":
            break
    if monitor is not None:
        s.disable_monitor()
        monitor.close()
    s.close()
    if auth:
        auth.stop()
    ctx.term()


main()
