#!/usr/bin/python3
"""Python peers for interop_test.go (pyzmq and txZMQ/Twisted).

Usage: peer.py ROLE ENDPOINT [ARG...]

ENDPOINT is the endpoint to connect to, or "bind": then the peer binds
tcp://127.0.0.1:* and prints the endpoint it got as its first stdout line;
"bind=ENDPOINT" (an ipc path, say) binds ENDPOINT and prints it likewise.

The peer reports on stdout, one line per event, flushed at once. Frames are
printed hex-encoded ("-" when empty) so that any bytes survive. A line
starting with "fail" reports a failure, after which the peer exits with 1.

The peer never outlives the test that started it: it exits on its own when
its work is done, when stdin reaches EOF (code 0 if its work was done,
4 otherwise), and after TIMEOUT seconds whatever happens (code 3).

Roles (N is a message count):
  zmq-rep N             pyzmq REP: reply [b"echo"] + request, N times.
  zmq-router-echo N     pyzmq ROUTER: check the txZMQ request envelope
                        [peer, 16-byte id, b"", parts...] and send the
                        whole message back, N times.
  zmq-req N             pyzmq REQ: N requests [b"q", i, b"", b"tail"],
                        each reply must be [b"rep"] + request.
  zmq-dealer-req N      pyzmq DEALER: N pipelined requests [b"", b"q", i],
                        then N replies [b"", b"rep", b"q", i] in order.
  zmq-dealer ID N       pyzmq DEALER with routing id ID: N messages
                        [b"hello", i], then N replies [b"reply", i].
  zmq-router N          pyzmq ROUTER: N messages [peer, b"ping", i], each
                        answered [peer, b"pong", i]; reports the peer id.
  zmq-pull N            pyzmq PULL: N messages [i, payload] in order.
  zmq-push N            pyzmq PUSH: N messages [i, payload], then wait
                        for stdin EOF.
  zmq-pub [FORM]        pyzmq PUB: publish (b"sync", b"ping") until stdin
                        says "go", then the test publications, then
                        (b"sync", b"end"); prints "sent" and waits for
                        stdin EOF. FORM "two" (the default) sends
                        send_multipart([topic, body]), "one" sends one
                        frame topic\\0body.
  zmq-sub FORM PREFIX...
                        pyzmq SUB subscribed to each PREFIX, reading with
                        recv_multipart: each message must be in FORM ("one":
                        one frame topic\\0body, split at the first zero;
                        "two": two frames [topic, body]). Prints "ready" at
                        the first b"sync" message, then "msg TOPIC BODY"
                        per message, and "end" (and exits) at topic b"sync",
                        body b"end".
  tx-rep N BATCH        txZMQ ZmqREPConnection: collect BATCH requests,
                        answer them newest first with
                        reply(messageId, b"tx", *parts); N in all.
  tx-req N              txZMQ ZmqREQConnection: N concurrent
                        sendMsg(b"req", i); each reply must be
                        [b"rep", b"req", i].
  tx-sub PREFIX...      txZMQ ZmqSubConnection subscribed to each PREFIX:
                        prints "ready" at the first (b"sync") message,
                        then "msg TAG MESSAGE" per gotMessage(message, tag),
                        and "end" (and exits) at tag b"sync", body b"end".
  tx-pub                txZMQ ZmqPubConnection, as zmq-pub but with
                        publish(message, tag) (one frame tag\\0message).
"""

import os
import sys
import threading

TIMEOUT = 30.0

# The test publications of zmq-pub and tx-pub: (tag, message). The Go
# subscriber subscribes to b"sync" and b"weather".
PUBLICATIONS = [
    (b"other", b"not subscribed"),
    (b"weather.paris", b"12C"),
    (b"weathe", b"shorter than the prefix"),
    (b"weather", b""),
    (b"weather.nul", b"a\x00b\x00c"),
    (b"news", b"not subscribed either"),
]

_done = threading.Event()


def say(*words):
    sys.stdout.write(" ".join(str(w) for w in words) + "\n")
    sys.stdout.flush()


# Functions run when the peer leaves, to say how far it got: when a test
# fails, the Go side prints this with the peer's stderr.
_on_leave = []


def leave(code):
    for report in _on_leave:
        report()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def fail(reason):
    say("fail", reason)
    leave(1)


def done():
    _done.set()


def hexes(frames):
    return "[" + ",".join(f.hex() for f in frames) + "]"


def start_guards(on_line=None):
    """Start the watchdog and the stdin reader (EOF ends the process)."""

    def expire():
        say("fail timeout after %gs" % TIMEOUT)
        leave(3)

    timer = threading.Timer(TIMEOUT, expire)
    timer.daemon = True
    timer.start()

    def read_stdin():
        buf = b""
        while True:
            try:
                chunk = os.read(0, 4096)
            except InterruptedError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if on_line is not None:
                    on_line(line.decode().strip())
        leave(0 if _done.is_set() else 4)

    reader = threading.Thread(target=read_stdin, daemon=True)
    reader.start()


# ---------------------------------------------------------------- pyzmq


def binds(endpoint):
    """Whether ENDPOINT asks the peer to bind (and say where)."""
    return endpoint == "bind" or endpoint.startswith("bind=")


def bind_address(endpoint):
    """The address to bind for a binding ENDPOINT."""
    return "tcp://127.0.0.1:*" if endpoint == "bind" else endpoint[len("bind="):]


def zmq_socket(kind, endpoint, identity=None):
    import zmq

    ctx = zmq.Context()
    sock = ctx.socket(kind)
    sock.setsockopt(zmq.LINGER, 5000)
    if identity is not None:
        sock.setsockopt(zmq.IDENTITY, identity)
    if binds(endpoint):
        sock.bind(bind_address(endpoint))
        say(sock.getsockopt(zmq.LAST_ENDPOINT).decode())
    else:
        sock.connect(endpoint)
    return ctx, sock


def zmq_finish(ctx, sock, *words):
    """Close (delivering what is queued, within LINGER) and exit 0."""
    sock.close()
    ctx.term()
    done()
    say(*words)
    leave(0)


def role_zmq_rep(endpoint, n):
    import zmq

    start_guards()
    ctx, sock = zmq_socket(zmq.REP, endpoint)
    for _ in range(int(n)):
        parts = sock.recv_multipart()
        sock.send_multipart([b"echo"] + parts)
    zmq_finish(ctx, sock, "ok", n)


def role_zmq_router_echo(endpoint, n):
    import zmq

    start_guards()
    ctx, sock = zmq_socket(zmq.ROUTER, endpoint)
    for _ in range(int(n)):
        m = sock.recv_multipart()
        if len(m) < 3 or len(m[1]) != 16 or m[2] != b"":
            fail("envelope is not [peer, 16-byte id, b'', parts...]: " + hexes(m))
        sock.send_multipart(m)
    zmq_finish(ctx, sock, "ok", n)


def role_zmq_req(endpoint, n):
    import zmq

    start_guards()
    ctx, sock = zmq_socket(zmq.REQ, endpoint)
    for i in range(int(n)):
        req = [b"q", str(i).encode(), b"", b"tail"]
        sock.send_multipart(req)
        rep = sock.recv_multipart()
        if rep != [b"rep"] + req:
            fail("request %s got reply %s" % (hexes(req), hexes(rep)))
    zmq_finish(ctx, sock, "ok", n)


def role_zmq_dealer_req(endpoint, n):
    import zmq

    start_guards()
    ctx, sock = zmq_socket(zmq.DEALER, endpoint)
    for i in range(int(n)):
        sock.send_multipart([b"", b"q", str(i).encode()])
    for i in range(int(n)):
        rep = sock.recv_multipart()
        want = [b"", b"rep", b"q", str(i).encode()]
        if rep != want:
            fail("reply %d: got %s, want %s" % (i, hexes(rep), hexes(want)))
    zmq_finish(ctx, sock, "ok", n)


def role_zmq_dealer(endpoint, identity, n):
    import zmq

    start_guards()
    ctx, sock = zmq_socket(zmq.DEALER, endpoint, identity=identity.encode())
    for i in range(int(n)):
        sock.send_multipart([b"hello", str(i).encode()])
    for i in range(int(n)):
        rep = sock.recv_multipart()
        want = [b"reply", str(i).encode()]
        if rep != want:
            fail("reply %d: got %s, want %s" % (i, hexes(rep), hexes(want)))
    zmq_finish(ctx, sock, "ok", n)


def role_zmq_router(endpoint, n):
    import zmq

    start_guards()
    ctx, sock = zmq_socket(zmq.ROUTER, endpoint)
    peers = set()
    for i in range(int(n)):
        m = sock.recv_multipart()
        want = [b"ping", str(i).encode()]
        if len(m) != 3 or m[1:] != want:
            fail("message %d: got %s, want [peer] + %s" % (i, hexes(m), hexes(want)))
        peers.add(m[0])
        sock.send_multipart([m[0], b"pong", m[2]])
    zmq_finish(ctx, sock, "ok", n, "peers", ",".join(sorted(p.hex() for p in peers)))


def role_zmq_pull(endpoint, n):
    import zmq

    start_guards()
    ctx, sock = zmq_socket(zmq.PULL, endpoint)
    for i in range(int(n)):
        m = sock.recv_multipart()
        want = [str(i).encode(), b"payload-%d" % i]
        if m != want:
            fail("message %d: got %s, want %s" % (i, hexes(m), hexes(want)))
    zmq_finish(ctx, sock, "ok", n)


def role_zmq_push(endpoint, n):
    import zmq

    start_guards()
    ctx, sock = zmq_socket(zmq.PUSH, endpoint)
    for i in range(int(n)):
        sock.send_multipart([str(i).encode(), b"payload-%d" % i])
    done()
    say("sent", n)
    threading.Event().wait()  # until stdin EOF (or the watchdog)


def topic_form(form):
    if form not in ("one", "two"):
        fail("unknown topic form %r, want one or two" % form)
    return form


def role_zmq_pub(endpoint, form="two"):
    import zmq

    form = topic_form(form)
    go = threading.Event()

    def on_line(line):
        if line == "go":
            go.set()

    start_guards(on_line)
    ctx, sock = zmq_socket(zmq.PUB, endpoint)

    def publish(topic, body):
        if form == "two":
            sock.send_multipart([topic, body])
        else:
            sock.send(topic + b"\0" + body)

    # Slow joiner: publish the sentinel until the subscriber has seen one.
    while not go.is_set():
        publish(b"sync", b"ping")
        go.wait(0.005)
    for tag, message in PUBLICATIONS:
        publish(tag, message)
    publish(b"sync", b"end")
    done()
    say("sent")
    threading.Event().wait()  # until stdin EOF (or the watchdog)


def role_zmq_sub(endpoint, form, *prefixes):
    import zmq

    form = topic_form(form)
    start_guards()
    ctx, sock = zmq_socket(zmq.SUB, endpoint)
    for p in prefixes:
        sock.setsockopt(zmq.SUBSCRIBE, p.encode())
    ready = False
    while True:
        frames = sock.recv_multipart()
        if form == "two":
            if len(frames) != 2:
                fail("got %d frames %s, want [topic, body]" % (len(frames), hexes(frames)))
            topic, body = frames
        else:
            if len(frames) != 1 or b"\0" not in frames[0]:
                fail("got %s, want one frame topic\\0body" % hexes(frames))
            topic, body = frames[0].split(b"\0", 1)
        if topic == b"sync":
            if body == b"end":
                zmq_finish(ctx, sock, "end")
            if not ready:
                ready = True
                say("ready")
            continue
        say("msg", topic.hex() or "-", body.hex() or "-")


# ---------------------------------------------------------------- txZMQ


def tx_setup():
    from twisted.python import log

    log.startLogging(sys.stderr, setStdout=False)
    from txzmq import ZmqFactory

    ZmqFactory.lingerPeriod = 5000
    return ZmqFactory()


def tx_endpoint(endpoint):
    from txzmq import ZmqEndpoint

    if binds(endpoint):
        return ZmqEndpoint("bind", bind_address(endpoint))
    return ZmqEndpoint("connect", endpoint)


def tx_announce(conn, endpoint):
    import zmq

    if binds(endpoint):
        say(conn.socket.getsockopt(zmq.LAST_ENDPOINT).decode())


def tx_finish(factory, *words):
    """Shut the factory down (LINGER delivers what is queued) and exit 0."""
    factory.shutdown()
    done()
    say(*words)
    leave(0)


def guarded(f):
    """Report an exception in a reactor callback as a failure."""

    def run(*args):
        try:
            return f(*args)
        except Exception as e:  # noqa: BLE001 - any error fails the peer
            import traceback

            traceback.print_exc()
            fail("%s: %r" % (f.__name__, e))

    return run


def role_tx_rep(endpoint, n, batch):
    from twisted.internet import reactor
    from txzmq import ZmqREPConnection

    n, batch = int(n), int(batch)
    factory = tx_setup()
    state = {"pending": [], "replied": 0, "ids": set()}
    _on_leave.append(lambda: sys.stderr.write(
        "tx-rep: %d requests pending, %d replied, %d distinct ids\n"
        % (len(state["pending"]), state["replied"], len(state["ids"]))))

    class Rep(ZmqREPConnection):
        # txZMQ 0.8.0 (Debian's) delivers messages already waiting from
        # inside the base constructor, before that constructor creates
        # _routingInfo, and then resets it (txZMQ issue #79, fixed in
        # 0.8.1). When the Go side binds, its requests are waiting, so keep
        # one dict that the constructor's reset cannot empty.
        @property
        def _routingInfo(self):
            return self.__dict__.setdefault("_routing", {})

        @_routingInfo.setter
        def _routingInfo(self, value):
            self.__dict__.setdefault("_routing", {}).update(value)

        @guarded
        def gotMessage(self, messageId, *parts):
            state["ids"].add(messageId)
            if len(messageId) != 16:
                fail("messageId %s is not 16 bytes" % messageId.hex())
            state["pending"].append((messageId, parts))
            if len(state["pending"]) < batch:
                return
            # Answer newest first: the requester must match replies by id.
            while state["pending"]:
                mid, p = state["pending"].pop()
                self.reply(mid, b"tx", *p)
                state["replied"] += 1
            if state["replied"] >= n:
                tx_finish(factory, "ok", state["replied"], "ids", len(state["ids"]))

    start_guards(lambda line: None)
    conn = Rep(factory, tx_endpoint(endpoint))
    tx_announce(conn, endpoint)
    reactor.run()


def role_tx_req(endpoint, n):
    import zmq
    from twisted.internet import defer, reactor
    from txzmq import ZmqREQConnection

    n = int(n)
    factory = tx_setup()
    start_guards()
    conn = ZmqREQConnection(factory, tx_endpoint(endpoint))
    if binds(endpoint):
        # A bound DEALER with no peer fails every send with EAGAIN (txZMQ
        # sends with NOBLOCK): wait until the Go side has connected.
        from zmq.utils.monitor import recv_monitor_message

        mon = conn.socket.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
        tx_announce(conn, endpoint)
        recv_monitor_message(mon)
        conn.socket.disable_monitor()
        mon.close()

    @guarded
    def check(results):
        for i, (ok, reply) in enumerate(results):
            want = [b"rep", b"req", str(i).encode()]
            if not ok:
                fail("request %d failed: %r" % (i, reply.value))
            if reply != want:
                fail("request %d: got %s, want %s" % (i, hexes(reply), hexes(want)))
        tx_finish(factory, "ok", len(results))

    @guarded
    def send_all():
        ds = [conn.sendMsg(b"req", str(i).encode(), timeout=TIMEOUT - 5) for i in range(n)]
        defer.DeferredList(ds, consumeErrors=True).addCallback(check)

    reactor.callWhenRunning(send_all)
    reactor.run()


def role_tx_sub(endpoint, *prefixes):
    from twisted.internet import reactor
    from txzmq import ZmqSubConnection

    factory = tx_setup()
    state = {"ready": False}

    class Sub(ZmqSubConnection):
        @guarded
        def gotMessage(self, message, tag):
            if tag == b"sync":
                if message == b"end":
                    tx_finish(factory, "end")
                if not state["ready"]:
                    state["ready"] = True
                    say("ready")
                return
            say("msg", tag.hex() or "-", message.hex() or "-")

    start_guards()
    conn = Sub(factory, tx_endpoint(endpoint))
    for p in prefixes:
        conn.subscribe(p.encode())
    tx_announce(conn, endpoint)
    reactor.run()


def role_tx_pub(endpoint):
    from twisted.internet import reactor, task
    from txzmq import ZmqPubConnection

    factory = tx_setup()
    conn = ZmqPubConnection(factory, tx_endpoint(endpoint))

    # Slow joiner: publish the sentinel until the subscriber has seen one.
    ping = task.LoopingCall(guarded(lambda: conn.publish(b"ping", b"sync")))

    @guarded
    def on_go():
        ping.stop()
        for tag, message in PUBLICATIONS:
            conn.publish(message, tag)
        conn.publish(b"end", b"sync")
        done()
        say("sent")

    def on_line(line):
        if line == "go":
            reactor.callFromThread(on_go)

    start_guards(on_line)
    tx_announce(conn, endpoint)
    ping.start(0.005)
    reactor.run()


ROLES = {
    "zmq-rep": role_zmq_rep,
    "zmq-router-echo": role_zmq_router_echo,
    "zmq-req": role_zmq_req,
    "zmq-dealer-req": role_zmq_dealer_req,
    "zmq-dealer": role_zmq_dealer,
    "zmq-router": role_zmq_router,
    "zmq-pull": role_zmq_pull,
    "zmq-push": role_zmq_push,
    "zmq-pub": role_zmq_pub,
    "zmq-sub": role_zmq_sub,
    "tx-rep": role_tx_rep,
    "tx-req": role_tx_req,
    "tx-sub": role_tx_sub,
    "tx-pub": role_tx_pub,
}


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ROLES:
        sys.stderr.write(__doc__)
        return 2
    ROLES[sys.argv[1]](*sys.argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
