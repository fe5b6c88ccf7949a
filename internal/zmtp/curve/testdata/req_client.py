# A libzmq 4.3.4 CURVE client for the live tests: REQ with heartbeats,
# sending each request given and printing each reply on its own line.
#
# argv: port server-public-z85 client-public-z85 client-secret-z85 heartbeat-ivl-ms request...
import sys

import zmq

port, server_public, client_public, client_secret, hb_ivl = sys.argv[1:6]
requests = sys.argv[6:]

ctx = zmq.Context()
sock = ctx.socket(zmq.REQ)
sock.linger = 0
sock.rcvtimeo = 15000
sock.curve_serverkey = server_public.encode()
sock.curve_publickey = client_public.encode()
sock.curve_secretkey = client_secret.encode()
sock.heartbeat_ivl = int(hb_ivl)
sock.connect("tcp://127.0.0.1:%s" % port)
for r in requests:
    sock.send_string(r)
    print(sock.recv_string(), flush=True)
sock.close()
ctx.term()
