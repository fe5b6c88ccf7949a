# A libzmq 4.3.4 CURVE server for the live tests: REP, echoing every
# request, with a ZAP handler (pyzmq's ThreadAuthenticator) that admits only
# the client public key given, and heartbeats.
#
# argv: server-secret-z85 allowed-client-public-z85 heartbeat-ivl-ms heartbeat-timeout-ms
# Prints the bound port, then serves until stdin closes.
import os
import sys
import tempfile

import zmq
from zmq.auth.thread import ThreadAuthenticator

server_secret, allowed_public, hb_ivl, hb_timeout = sys.argv[1:5]

ctx = zmq.Context()
auth = ThreadAuthenticator(ctx)
auth.start()
certs = tempfile.mkdtemp()
with open(os.path.join(certs, "client.key"), "w") as f:
    f.write('metadata\ncurve\n    public-key = "%s"\n' % allowed_public)
auth.configure_curve(domain="*", location=certs)

sock = ctx.socket(zmq.REP)
sock.linger = 0
sock.curve_server = True
sock.curve_secretkey = server_secret.encode()
sock.heartbeat_ivl = int(hb_ivl)
sock.heartbeat_timeout = int(hb_timeout)
port = sock.bind_to_random_port("tcp://127.0.0.1")
print(port, flush=True)

poller = zmq.Poller()
poller.register(sock, zmq.POLLIN)
poller.register(sys.stdin.fileno(), zmq.POLLIN)
while True:
    ready = dict(poller.poll())
    if sys.stdin.fileno() in ready and not os.read(sys.stdin.fileno(), 1024):
        break
    if sock in ready:
        sock.send_multipart(sock.recv_multipart())

sock.close()
auth.stop()
ctx.term()
