// Batch helpers: move many frames across one cgo crossing.
//
// Frames travel as one byte arena plus a table of 64-bit words, one per
// frame: the low 56 bits hold the frame length, the top bit says that
// another frame of the same message follows (ZMQ_SNDMORE / ZMQ_RCVMORE).
// Every call is non-blocking (ZMQ_DONTWAIT) and retries EINTR itself.
// No pointer passed in is kept after the call returns.

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define ZMQX_MORE ((uint64_t)1 << 63)
// Property words: a message's connection properties copied into the arena
// right before its first frame that carries any (only for the property
// names the socket asked for). On a ROUTER that is the second frame:
// libzmq makes the routing id frame itself, without properties. A property
// word has ZMQX_PROP set and the index of the property's name in bits 56
// to 61.
#define ZMQX_PROP ((uint64_t)1 << 62)
#define ZMQX_PROP_SHIFT 56
#define ZMQX_SIZE_MASK (((uint64_t)1 << ZMQX_PROP_SHIFT) - 1)
#define ZMQX_MAX_PROPS 16
// The longest property value copied; longer ones are cut (a ZAP user id is
// at most 255 bytes, a peer address far less).
#define ZMQX_PROP_MAX 1024

// zmqx_rx is per-socket receive state kept in C memory: a frame that did not
// fit into the caller's arena waits here until the caller has copied it out,
// and the names of the properties to capture.
typedef struct {
	zmq_msg_t big;
	int has_big;
	int nprops;
	char *props[ZMQX_MAX_PROPS];
} zmqx_rx;

// zmqx_props copies the message's properties that rx names into the arena,
// one word each, and reports through *found whether it had any.
static int zmqx_props(zmqx_rx *rx, zmq_msg_t *m, char *arena, size_t *used,
                      uint64_t *words, int n, int *found) {
	*found = 0;
	for (int i = 0; i < rx->nprops; i++) {
		const char *v = zmq_msg_gets(m, rx->props[i]);
		if (v == NULL) {
			continue;
		}
		*found = 1;
		size_t len = strlen(v);
		if (len > ZMQX_PROP_MAX) {
			len = ZMQX_PROP_MAX;
		}
		memcpy(arena + *used, v, len);
		*used += len;
		words[n++] = (uint64_t)len | ZMQX_PROP | ((uint64_t)i << ZMQX_PROP_SHIFT);
	}
	return n;
}

// zmqx_set_props replaces the property names to capture (at most
// ZMQX_MAX_PROPS, each NUL-terminated in names, count of them n).
static void zmqx_set_props(zmqx_rx *rx, const char *names, int n) {
	for (int i = 0; i < rx->nprops; i++) {
		free(rx->props[i]);
	}
	rx->nprops = 0;
	for (int i = 0; i < n && i < ZMQX_MAX_PROPS; i++) {
		rx->props[i] = strdup(names);
		names += strlen(names) + 1;
		rx->nprops++;
	}
}

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
                     uint64_t *words, int maxframes, int maxmsgs,
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
	int meta = rx->nprops > 0;
	int meta_pending = meta;
	size_t reserve = (size_t)rx->nprops * ZMQX_PROP_MAX;
	while (n < maxframes && *nmsgs < maxmsgs) {
		if (meta_pending && (cap - used < reserve || maxframes - n < rx->nprops + 1)) {
			return n; // no room for this message's properties in this batch
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
			int found;
			n = zmqx_props(rx, &m, arena, &used, words, n, &found);
			if (found) {
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
		size_t size = (size_t)(words[i] & ZMQX_SIZE_MASK);
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
