// thr: plain-libzmq throughput and latency peer, the C side of bench/run.sh.
//
//   thr recv <bind-endpoint> <count> <size>     PULL: bind, receive count messages
//   thr send <connect-endpoint> <count> <size>  PUSH: connect, send count messages
//   thr rep  <bind-endpoint> <count> <size>     REP: echo count requests
//   thr req  <connect-endpoint> <count> <size>  REQ: time count round trips
//
// The binding roles print the endpoint they actually bound (so a wildcard
// port such as tcp://127.0.0.1:* can be used) as the first line on stderr.
// recv prints "msgs_per_s=<f> mb_per_s=<f> cpu_ns_per_msg=<f>" (MB = 10^6
// bytes), timed from the arrival of the first message to the arrival of the
// last, so the rate is (count-1) messages over that span; the CPU time is
// the whole process's (every thread, libzmq's I/O thread included, user and
// system) over the same span. send prints "cpu_ns_per_msg=<f>": the
// process's CPU time from the first send until zmq_close has delivered
// everything, per message. CPU time per message is the figure to compare
// when the machine is busy with other work. req prints
// "rtt_us_mean=<f> rtt_us_p50=<f> rtt_us_p99=<f>" over count round trips.
//
// Build: gcc -O2 thr.c -o thr $(pkg-config --cflags --libs libzmq)

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zmq.h>

static void die(const char *what) {
	fprintf(stderr, "thr: %s: %s\n", what, zmq_strerror(zmq_errno()));
	exit(1);
}

static double now_s(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// cpu_s is the CPU time of the whole process so far, user plus system.
static double cpu_s(void) {
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void announce(void *s) {
	char ep[256];
	size_t n = sizeof ep;
	if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &n) != 0)
		die("getsockopt(ZMQ_LAST_ENDPOINT)");
	fprintf(stderr, "%s\n", ep);
	fflush(stderr);
}

static void *open_socket(void *ctx, int type, const char *ep, int bind) {
	void *s = zmq_socket(ctx, type);
	if (!s)
		die("zmq_socket");
	int linger = -1; // deliver everything before close returns
	if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0)
		die("setsockopt(ZMQ_LINGER)");
	if (bind) {
		if (zmq_bind(s, ep) != 0)
			die("zmq_bind");
		announce(s);
	} else if (zmq_connect(s, ep) != 0) {
		die("zmq_connect");
	}
	return s;
}

// recv_msg receives into m, retrying EINTR; it checks the size.
static void recv_msg(void *s, zmq_msg_t *m, size_t size) {
	while (zmq_msg_recv(m, s, 0) < 0) {
		if (zmq_errno() != EINTR)
			die("zmq_msg_recv");
	}
	if (zmq_msg_size(m) != size) {
		fprintf(stderr, "thr: got a %zu-byte message, want %zu\n", zmq_msg_size(m), size);
		exit(1);
	}
}

static void send_buf(void *s, const void *buf, size_t size) {
	while (zmq_send(s, buf, size, 0) < 0) {
		if (zmq_errno() != EINTR)
			die("zmq_send");
	}
}

static void do_recv(void *ctx, const char *ep, long count, size_t size) {
	void *s = open_socket(ctx, ZMQ_PULL, ep, 1);
	zmq_msg_t m;
	zmq_msg_init(&m);
	recv_msg(s, &m, size);
	double start = now_s(), cpu0 = cpu_s();
	for (long i = 1; i < count; i++)
		recv_msg(s, &m, size);
	double elapsed = now_s() - start, cpu = cpu_s() - cpu0;
	zmq_msg_close(&m);
	double rate = count > 1 && elapsed > 0 ? (double)(count - 1) / elapsed : 0;
	printf("msgs_per_s=%.0f mb_per_s=%.2f cpu_ns_per_msg=%.1f\n", rate, rate * (double)size / 1e6,
	       count > 1 ? cpu * 1e9 / (double)(count - 1) : 0);
	zmq_close(s);
}

static void do_send(void *ctx, const char *ep, long count, size_t size) {
	void *s = open_socket(ctx, ZMQ_PUSH, ep, 0);
	char *buf = calloc(1, size ? size : 1);
	double cpu0 = cpu_s();
	for (long i = 0; i < count; i++)
		send_buf(s, buf, size);
	zmq_close(s); // linger -1: returns once everything is delivered
	printf("cpu_ns_per_msg=%.1f\n", (cpu_s() - cpu0) * 1e9 / (double)count);
	free(buf);
}

static void do_rep(void *ctx, const char *ep, long count, size_t size) {
	void *s = open_socket(ctx, ZMQ_REP, ep, 1);
	zmq_msg_t m;
	zmq_msg_init(&m);
	for (long i = 0; i < count; i++) {
		recv_msg(s, &m, size);
		while (zmq_msg_send(&m, s, 0) < 0) {
			if (zmq_errno() != EINTR)
				die("zmq_msg_send");
		}
	}
	zmq_msg_close(&m);
	zmq_close(s);
}

static int cmp_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void do_req(void *ctx, const char *ep, long count, size_t size) {
	void *s = open_socket(ctx, ZMQ_REQ, ep, 0);
	char *buf = calloc(1, size ? size : 1);
	double *rtt = malloc(sizeof(double) * (size_t)count);
	zmq_msg_t m;
	zmq_msg_init(&m);
	double sum = 0;
	for (long i = 0; i < count; i++) {
		double t0 = now_s();
		send_buf(s, buf, size);
		recv_msg(s, &m, size);
		rtt[i] = (now_s() - t0) * 1e6;
		sum += rtt[i];
	}
	zmq_msg_close(&m);
	qsort(rtt, (size_t)count, sizeof(double), cmp_double);
	printf("rtt_us_mean=%.2f rtt_us_p50=%.2f rtt_us_p99=%.2f\n",
	       sum / (double)count, rtt[count / 2], rtt[(count * 99) / 100]);
	free(rtt);
	free(buf);
	zmq_close(s);
}

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: thr recv|send|rep|req <endpoint> <count> <size>\n");
		return 2;
	}
	const char *mode = argv[1], *ep = argv[2];
	long count = atol(argv[3]);
	long size = atol(argv[4]);
	if (count < 1 || size < 0) {
		fprintf(stderr, "thr: want count >= 1 and size >= 0\n");
		return 2;
	}
	void *ctx = zmq_ctx_new();
	if (!ctx)
		die("zmq_ctx_new");
	if (strcmp(mode, "recv") == 0)
		do_recv(ctx, ep, count, (size_t)size);
	else if (strcmp(mode, "send") == 0)
		do_send(ctx, ep, count, (size_t)size);
	else if (strcmp(mode, "rep") == 0)
		do_rep(ctx, ep, count, (size_t)size);
	else if (strcmp(mode, "req") == 0)
		do_req(ctx, ep, count, (size_t)size);
	else {
		fprintf(stderr, "thr: unknown mode %s\n", mode);
		return 2;
	}
	zmq_ctx_term(ctx);
	return 0;
}
