#!/usr/bin/python3
"""A host of pyzmq sockets driven line by line from stdin, for the interop
matrix (interop_remote_test.go). Testdata/interop/Remote.java speaks the same
protocol for JeroMQ.

Usage: remote.py

Each command is one line, "SEQ VERB NAME ARG...", and gets exactly one
answer line, "SEQ ok [WORD...]" or "SEQ err REASON". SEQ lets the driver
skip the late answer of a command it gave up on. NAME names a socket; each
socket has a context of its own, so that closing it frees its endpoints at
once, as if a process had exited. A frame is written in hex, "-" when empty,
or "*N" for the first N bytes of the test pattern, byte i being
(7*i + i//4096) mod 256, N up to 1 MiB: answers write a frame longer than 64
bytes that way when it is one, so that large frames cross stdin and stdout
as a few bytes.

  new NAME TYPE [id=HEX] [mandatory=1] [monitor=1]
                        create a socket of TYPE (PUSH, ROUTER, ...) with a
                        routing id, ROUTER_MANDATORY, and a monitor that
                        records every event for "event"
  bind NAME ENDPOINT    bind; answers "ok ENDPOINT" with the endpoint bound
  connect NAME ENDPOINT connect
  send NAME FRAME...    send one message (waits up to 5 s)
  recv NAME [MS]        receive one message, answer "ok FRAME..."; wait up
                        to MS milliseconds (default 5000), then answer
                        "ok none" when MS was given, or fail
  sub NAME HEX, unsub NAME HEX
                        subscribe or unsubscribe a SUB socket (an XSUB
                        sends the subscription message)
  event NAME EVENT      wait up to 5 s for the next monitor event named
                        EVENT (HANDSHAKE_SUCCEEDED, DISCONNECTED, ...),
                        skipping others
  flood NAME            send [b"flood", b"0"], [b"flood", b"1"], ... from
                        another thread until "stop NAME"
  stop NAME             stop the flood; answers "ok COUNT"
  close NAME            close the socket (linger 0) and end its context

The host exits when stdin reaches EOF, and after 60 s without a command.
"""

import sys
import threading

import zmq

WAIT_MS = 5000
IDLE_S = 60.0


class Host:
    def __init__(self):
        self.socks = {}

    def sock(self, name):
        s = self.socks.get(name)
        if s is None:
            raise ValueError("no socket named %r" % name)
        return s


class Sock:
    def __init__(self, kind, opts):
        self.ctx = zmq.Context()
        self.s = self.ctx.socket(getattr(zmq, kind))
        self.s.linger = 0
        self.s.sndtimeo = WAIT_MS
        self.s.reconnect_ivl = 10
        self.mon = None
        self.flood_stop = None
        self.flood_thread = None
        self.flood_count = 0
        self.flood_error = None
        for opt in opts:
            key, _, value = opt.partition("=")
            if key == "id":
                self.s.identity = bytes.fromhex(value)
            elif key == "mandatory":
                self.s.router_mandatory = int(value)
            elif key == "monitor":
                self.mon = self.s.get_monitor_socket()
            else:
                raise ValueError("unknown option %r" % opt)

    def close(self):
        self.stop_flood()
        if self.mon is not None:
            self.s.disable_monitor()
            self.mon.close(linger=0)
        self.s.close(linger=0)
        self.ctx.term()

    def flood(self):
        if self.flood_thread is not None:
            raise ValueError("already flooding")
        self.flood_stop = threading.Event()

        def run():
            try:
                while not self.flood_stop.is_set():
                    # Wait for room a little at a time, to see "stop" soon.
                    if not self.s.poll(50, zmq.POLLOUT):
                        continue
                    msg = [b"flood", str(self.flood_count).encode()]
                    try:
                        self.s.send_multipart(msg, zmq.NOBLOCK)
                    except zmq.Again:
                        continue
                    self.flood_count += 1
            except Exception as e:  # noqa: BLE001 - reported by stop
                self.flood_error = e

        self.flood_thread = threading.Thread(target=run, daemon=True)
        self.flood_thread.start()

    def stop_flood(self):
        if self.flood_thread is None:
            return self.flood_count
        self.flood_stop.set()
        self.flood_thread.join()
        self.flood_thread = None
        if self.flood_error is not None:
            raise self.flood_error
        return self.flood_count


PATTERN_MAX = 1 << 20
_pattern = []


def pattern(n):
    """The first n bytes of the test pattern."""
    if not 0 <= n <= PATTERN_MAX:
        raise ValueError("pattern of %d bytes: at most %d" % (n, PATTERN_MAX))
    if not _pattern:
        _pattern.append(bytes((7 * i + (i >> 12)) & 0xFF for i in range(PATTERN_MAX)))
    return _pattern[0][:n]


def frame_out(f):
    if len(f) > 64 and len(f) <= PATTERN_MAX and f == pattern(len(f)):
        return "*%d" % len(f)
    return f.hex() if f else "-"


def frame_in(word):
    if word.startswith("*"):
        return pattern(int(word[1:]))
    return b"" if word == "-" else bytes.fromhex(word)


EVENT_NAMES = {
    getattr(zmq, n): n[len("EVENT_"):]
    for n in dir(zmq)
    if n.startswith("EVENT_") and n not in ("EVENT_ALL",) and isinstance(getattr(zmq, n), int)
}


def run(host, verb, name, args):
    if verb == "new":
        if name in host.socks:
            raise ValueError("socket %r exists" % name)
        host.socks[name] = Sock(args[0], args[1:])
        return []
    s = host.sock(name)
    if verb == "bind":
        s.s.bind(args[0])
        return [s.s.last_endpoint.decode()]
    if verb == "connect":
        s.s.connect(args[0])
        return []
    if verb == "send":
        s.s.send_multipart([frame_in(w) for w in args])
        return []
    if verb == "recv":
        ms = int(args[0]) if args else WAIT_MS
        if not s.s.poll(ms, zmq.POLLIN):
            if args:
                return ["none"]
            raise TimeoutError("nothing received in %d ms" % ms)
        return [frame_out(f) for f in s.s.recv_multipart()]
    if verb in ("sub", "unsub"):
        if s.s.type == zmq.XSUB:
            # An XSUB subscribes by sending the subscription upstream.
            s.s.send((b"\x01" if verb == "sub" else b"\x00") + frame_in(args[0]))
        else:
            opt = zmq.SUBSCRIBE if verb == "sub" else zmq.UNSUBSCRIBE
            s.s.setsockopt(opt, frame_in(args[0]))
        return []
    if verb == "event":
        from zmq.utils.monitor import recv_monitor_message

        if s.mon is None:
            raise ValueError("socket %r has no monitor" % name)
        while s.mon.poll(WAIT_MS):
            ev = recv_monitor_message(s.mon)
            if EVENT_NAMES.get(ev["event"]) == args[0]:
                return []
        raise TimeoutError("no %s event in %d ms" % (args[0], WAIT_MS))
    if verb == "flood":
        s.flood()
        return []
    if verb == "stop":
        return [str(s.stop_flood())]
    if verb == "close":
        del host.socks[name]
        s.close()
        return []
    raise ValueError("unknown command %r" % verb)


def main():
    host = Host()
    idle = [None]

    def expire():
        sys.stderr.write("remote.py: no command for %gs, exiting\n" % IDLE_S)
        sys.stderr.flush()
        import os

        os._exit(3)

    def rearm():
        if idle[0] is not None:
            idle[0].cancel()
        idle[0] = threading.Timer(IDLE_S, expire)
        idle[0].daemon = True
        idle[0].start()

    rearm()
    for line in sys.stdin:
        rearm()
        words = line.split()
        if not words:
            continue
        seq = words[0]
        try:
            if len(words) < 3:
                raise ValueError("want SEQ VERB NAME ARG..., got %r" % line.strip())
            answer = "ok " + " ".join(run(host, words[1], words[2], words[3:]))
        except Exception as e:  # noqa: BLE001 - every failure is an answer
            answer = "err %s: %s" % (type(e).__name__, str(e).replace("\n", " "))
        sys.stdout.write("%s %s\n" % (seq, answer.rstrip()))
        sys.stdout.flush()
    for s in list(host.socks.values()):
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
