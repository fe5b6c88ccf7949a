// Batch helpers: move many frames across one cgo crossing.
//
// Frames travel as one byte arena plus a table of 64-bit words, one per
// frame: the low 63 bits hold the frame length, the top bit says that
// another frame of the same message follows (ZMQ_SNDMORE / ZMQ_RCVMORE).
// Every call is non-blocking (ZMQ_DONTWAIT) and retries EINTR itself.
// No pointer passed in is kept after the call returns.

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <zmq.h>

#define ZMQX_MORE ((uint64_t)1 << 63)
// Metadata words: a message's properties copied into the arena right before
// its first frame that carries any (only when the socket asks for them). On
// a ROUTER that is the second frame: libzmq makes the routing id frame
// itself, without properties.
#define ZMQX_META_USER ((uint64_t)1 << 62)
#define ZMQX_META_PEER ((uint64_t)1 << 61)
#define ZMQX_SIZE_MASK (((uint64_t)1 << 61) - 1)
// Room kept free at each message boundary for its metadata: a ZAP user id
// is at most 255 bytes, a peer address far less.
#define ZMQX_META_RESERVE 512

static int zmqx_meta(const char *v, uint64_t flag, char *arena, size_t *used,
                     uint64_t *words, int n) {
	if (v == NULL) {
		return n;
	}
	size_t len = strlen(v);
	if (len > ZMQX_META_RESERVE / 2) {
		len = ZMQX_META_RESERVE / 2;
	}
	memcpy(arena + *used, v, len);
	*used += len;
	words[n] = (uint64_t)len | flag;
	return n + 1;
}

// zmqx_rx is per-socket receive state kept in C memory: a frame that did not
// fit into the caller's arena waits here until the caller has copied it out.
typedef struct {
	zmq_msg_t big;
	int has_big;
} zmqx_rx;

static void zmqx_rx_release(zmqx_rx *rx) {
	if (rx->has_big) {
		zmq_msg_close(&rx->big);
		rx->has_big = 0;
	}
}

// zmqx_recv receives frames into arena (capacity cap) and words (capacity
// maxframes) until maxmsgs whole messages were read, the socket has nothing
// more (EAGAIN), a table fills up, or a frame does not fit into the arena.
// It may stop inside a message; the caller continues it before releasing the
// socket. A frame that does not fit is kept in rx and its data pointer and
// size are returned through big/bigsize; its word is the last one written and
// has length 0 in the arena (the caller copies it from *big).
// Returns the number of frames written; *err is 0 or the errno that stopped
// the batch (EAGAIN when the socket ran dry).
// The socket is passed as an integer: cgo would otherwise check it as a
// pointer on every crossing, though it points to C memory.
static int zmqx_recv(uintptr_t sockp, zmqx_rx *rx, char *arena, size_t cap,
                     uint64_t *words, int maxframes, int maxmsgs, int meta,
                     int *nmsgs, int *err, void **big, size_t *bigsize) {
	void *sock = (void *)sockp;
	zmqx_rx_release(rx);
	*err = 0;
	*nmsgs = 0;
	*big = NULL;
	*bigsize = 0;
	size_t used = 0;
	int n = 0;
	// The current message's properties are still to be copied. A call that
	// continues a message may copy them twice; the caller keeps the last.
	int meta_pending = meta;
	while (n < maxframes && *nmsgs < maxmsgs) {
		if (meta_pending && (cap - used < ZMQX_META_RESERVE || maxframes - n < 3)) {
			return n; // no room for this message's metadata in this batch
		}
		zmq_msg_t m;
		zmq_msg_init(&m);
		int rc;
		do {
			rc = zmq_msg_recv(&m, sock, ZMQ_DONTWAIT);
		} while (rc < 0 && zmq_errno() == EINTR);
		if (rc < 0) {
			*err = zmq_errno();
			zmq_msg_close(&m);
			return n;
		}
		if (meta_pending) {
			const char *user = zmq_msg_gets(&m, "User-Id");
			const char *peer = zmq_msg_gets(&m, "Peer-Address");
			if (user != NULL || peer != NULL) {
				n = zmqx_meta(user, ZMQX_META_USER, arena, &used, words, n);
				n = zmqx_meta(peer, ZMQX_META_PEER, arena, &used, words, n);
				meta_pending = 0;
			}
		}
		size_t size = zmq_msg_size(&m);
		uint64_t more = zmq_msg_more(&m) ? ZMQX_MORE : 0;
		if (!more) {
			(*nmsgs)++;
			meta_pending = meta;
		}
		if (size > cap - used) {
			zmq_msg_init(&rx->big);
			zmq_msg_move(&rx->big, &m);
			zmq_msg_close(&m);
			rx->has_big = 1;
			*big = zmq_msg_data(&rx->big);
			*bigsize = size;
			words[n++] = more;
			return n;
		}
		memcpy(arena + used, zmq_msg_data(&m), size);
		used += size;
		zmq_msg_close(&m);
		words[n++] = (uint64_t)size | more;
	}
	return n;
}

// zmqx_send sends nframes frames laid out in data/words. It stops at the
// first error; EAGAIN can only stop it at a message boundary in practice,
// because libzmq counts the high-water mark per whole message.
// Returns the number of frames sent; *err is 0 or the errno that stopped it.
static int zmqx_send(uintptr_t sockp, const char *data, const uint64_t *words,
                     int nframes, int *err) {
	void *sock = (void *)sockp;
	*err = 0;
	size_t off = 0;
	for (int i = 0; i < nframes; i++) {
		size_t size = (size_t)(words[i] & ~ZMQX_MORE);
		int flags = ZMQ_DONTWAIT | ((words[i] & ZMQX_MORE) ? ZMQ_SNDMORE : 0);
		int rc;
		do {
			rc = zmq_send(sock, data + off, size, flags);
		} while (rc < 0 && zmq_errno() == EINTR);
		if (rc < 0) {
			*err = zmq_errno();
			return i;
		}
		off += size;
	}
	return nframes;
}
