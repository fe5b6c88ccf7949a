// zmqx_probe reads, back to back, whether a socket's notification fd is
// readable and the socket's ZMQ_EVENTS: the lost-wake-up watchdog needs
// the two as close together as they can be (see Socket.Probe).
#include <poll.h>
#include <errno.h>
#include <zmq.h>

static int zmqx_probe(void *s, int fd, int *readable, int *events) {
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int n;
	do {
		n = poll(&p, 1, 0);
	} while (n < 0 && errno == EINTR);
	*readable = n > 0 && (p.revents & POLLIN) != 0;
	size_t len = sizeof(*events);
	int rc;
	do {
		rc = zmq_getsockopt(s, ZMQ_EVENTS, events, &len);
	} while (rc != 0 && errno == EINTR);
	return rc == 0 ? 0 : errno;
}
