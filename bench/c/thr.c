// thr: plain-libzmq throughput, latency and fan-out peer, the C side of
// bench/run.sh; bench/gothr is its mirror image in Go.
//
//   thr recv   <bind-endpoint> <count> <size>     PULL: bind, receive count messages
//   thr send   <connect-endpoint> <count> <size>  PUSH: connect, send count messages
//   thr rep    <bind-endpoint> <count> <size>     REP: echo count requests
//   thr req    <connect-endpoint> <count> <size>  REQ: time count round trips
//   thr router <bind-endpoint> <count> <size>     ROUTER: echo count requests, envelope and all
//   thr dealer <connect-endpoint> <count> <size>  DEALER: time count round trips of
//                                                 [empty delimiter, payload]
//   thr pub    <bind-endpoint> <count> <size> [subscribers]
//                                                 XPUB: wait for that many subscriptions
//                                                 (default 4), then publish count
//                                                 sequence-numbered messages
//   thr sub    <connect-endpoint> <count> <size>  SUB: receive the count messages,
//                                                 checking the sequence numbers
//   thr conn   <connect-endpoint> <count> <size>  REQ: count connections one after
//                                                 another, each a new socket that makes
//                                                 one round trip (against rep)
//
// The binding roles print the endpoint they actually bound (so a wildcard
// port such as tcp://127.0.0.1:* can be used) as the first line on stderr.
// recv prints "msgs_per_s=<f> mb_per_s=<f> cpu_ns_per_msg=<f>" (MB = 10^6
// bytes), timed from the arrival of the first message to the arrival of the
// last, so the rate is (count-1) messages over that span; the CPU time is
// the whole process's (every thread, libzmq's I/O thread included, user and
// system) over the same span. send prints "cpu_ns_per_msg=<f>": the
// process's CPU time from the first send until the context has terminated,
// which (linger -1) is once everything has been handed to the kernel, per
// message (with BENCH_HOLD set in the environment, send keeps its socket
// open until its standard input ends). CPU time per message is the figure to compare when the machine
// is busy with other work. req and dealer print
// "rtt_us_mean=<f> rtt_us_p50=<f> rtt_us_p99=<f>" over count round trips.
// conn prints "conns_per_s=<f> cpu_us_per_conn=<f>": connections (socket,
// handshake, one round trip, close with linger 0) per second over the
// whole run, and the process's CPU time per connection.
//
// Fan-out: pub binds an XPUB with ZMQ_XPUB_NODROP (a full subscriber makes
// the send wait instead of losing the message), ZMQ_XPUB_VERBOSE (every
// subscription reaches it, not only the first for a prefix) and ZMQ_SNDHWM
// FAN_HWM; it reads subscriptions off the XPUB until the given number of
// subscribers have subscribed, then sends count messages of size bytes
// (size >= 8) whose first 8 bytes are the sequence number 0..count-1,
// little-endian, the rest zero. It prints "msgs_per_s=<f> cpu_ns_per_msg=<f>"
// from the first send until the context has terminated (everything
// delivered). sub subscribes to everything with ZMQ_RCVHWM FAN_HWM and
// receives (linger 0) until the message numbered count-1 arrives, or until nothing
// has come for IDLE_MS after the first message; it prints
// "msgs_per_s=<f> received=<n> lost=<n> gaps=<n> cpu_ns_per_msg=<f>",
// the rate and the CPU time per message timed from the first message's
// arrival to the last's, lost the numbers never seen, gaps the number of
// holes in the sequence.
//
// CURVE: with THR_CURVE=1 in the environment, every binding socket is a
// CURVE server and every connecting one its client, with the key pairs of
// libzmq's documentation (zmq_curve(7)); no ZAP handler runs, so libzmq
// admits every client that knows the server's key.
//
// Build: gcc -O2 -Wall thr.c -o thr $(pkg-config --cflags --libs libzmq)

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zmq.h>

enum {
	FAN_HWM = 1000,   // pub's ZMQ_SNDHWM and every sub's ZMQ_RCVHWM
	IDLE_MS = 5000,   // sub: give up after this long without a message
	MAX_PARTS = 8,    // router: most frames in one request
	DEFAULT_SUBS = 4, // pub: subscribers to wait for
};

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

static void set_int(void *s, int opt, int v, const char *name) {
	if (zmq_setsockopt(s, opt, &v, sizeof v) != 0)
		die(name);
}

static void announce(void *s) {
	char ep[256];
	size_t n = sizeof ep;
	if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &n) != 0)
		die("getsockopt(ZMQ_LAST_ENDPOINT)");
	fprintf(stderr, "%s\n", ep);
	fflush(stderr);
}

// new_socket makes a socket with linger -1: the context's termination
// waits until everything queued has been delivered.
static void *new_socket(void *ctx, int type) {
	void *s = zmq_socket(ctx, type);
	if (!s)
		die("zmq_socket");
	set_int(s, ZMQ_LINGER, -1, "setsockopt(ZMQ_LINGER)");
	return s;
}

// attach binds (and announces the endpoint bound) or connects s.
static void attach(void *s, const char *ep, int bind) {
	if (bind) {
		if (zmq_bind(s, ep) != 0)
			die("zmq_bind");
		announce(s);
	} else if (zmq_connect(s, ep) != 0) {
		die("zmq_connect");
	}
}

static void set_str(void *s, int opt, const char *v, const char *what) {
	if (zmq_setsockopt(s, opt, v, strlen(v)) != 0)
		die(what);
}

// curve makes s a CURVE server (bind) or client when THR_CURVE=1.
static void curve(void *s, int bind) {
	const char *on = getenv("THR_CURVE");
	if (!on || strcmp(on, "1") != 0)
		return;
	static const char server_public[] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
	static const char server_secret[] = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
	static const char client_public[] = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
	static const char client_secret[] = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
	if (bind) {
		set_int(s, ZMQ_CURVE_SERVER, 1, "setsockopt(ZMQ_CURVE_SERVER)");
		set_str(s, ZMQ_CURVE_SECRETKEY, server_secret, "setsockopt(ZMQ_CURVE_SECRETKEY)");
	} else {
		set_str(s, ZMQ_CURVE_SERVERKEY, server_public, "setsockopt(ZMQ_CURVE_SERVERKEY)");
		set_str(s, ZMQ_CURVE_PUBLICKEY, client_public, "setsockopt(ZMQ_CURVE_PUBLICKEY)");
		set_str(s, ZMQ_CURVE_SECRETKEY, client_secret, "setsockopt(ZMQ_CURVE_SECRETKEY)");
	}
}

static void *open_socket(void *ctx, int type, const char *ep, int bind) {
	void *s = new_socket(ctx, type);
	curve(s, bind);
	attach(s, ep, bind);
	return s;
}

// hold waits, when BENCH_HOLD is set, until standard input ends: a
// sender over ipc keeps its connection open until the receiver is done,
// because a libzmq 4.3 receiver over ipc loses what it has not read yet
// when its peer goes away (libzmq issue 4660).
static void hold(void) {
	if (getenv("BENCH_HOLD") == NULL)
		return;
	while (getchar() != EOF) {
	}
}

// finish closes s and terminates ctx, which waits (linger -1) until
// everything s had queued is delivered.
static void finish(void *ctx, void *s) {
	zmq_close(s);
	while (zmq_ctx_term(ctx) != 0) {
		if (zmq_errno() != EINTR)
			die("zmq_ctx_term");
	}
}

// recv_part receives one frame into m, retrying EINTR. It returns -1 on
// EAGAIN (a receive timeout), else 0.
static int recv_part(void *s, zmq_msg_t *m) {
	while (zmq_msg_recv(m, s, 0) < 0) {
		if (zmq_errno() == EAGAIN)
			return -1;
		if (zmq_errno() != EINTR)
			die("zmq_msg_recv");
	}
	return 0;
}

static void check_size(zmq_msg_t *m, size_t size) {
	if (zmq_msg_size(m) != size) {
		fprintf(stderr, "thr: got a %zu-byte frame, want %zu\n", zmq_msg_size(m), size);
		exit(1);
	}
}

// recv_msg receives a one-frame message of size bytes into m.
static void recv_msg(void *s, zmq_msg_t *m, size_t size) {
	recv_part(s, m);
	if (zmq_msg_more(m)) {
		fprintf(stderr, "thr: got a multi-frame message, want one frame\n");
		exit(1);
	}
	check_size(m, size);
}

static void send_buf_flags(void *s, const void *buf, size_t size, int flags) {
	while (zmq_send(s, buf, size, flags) < 0) {
		if (zmq_errno() != EINTR)
			die("zmq_send");
	}
}

static void send_buf(void *s, const void *buf, size_t size) { send_buf_flags(s, buf, size, 0); }

static void send_msg(void *s, zmq_msg_t *m, int flags) {
	while (zmq_msg_send(m, s, flags) < 0) {
		if (zmq_errno() != EINTR)
			die("zmq_msg_send");
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
	finish(ctx, s);
}

static void do_send(void *ctx, const char *ep, long count, size_t size) {
	void *s = open_socket(ctx, ZMQ_PUSH, ep, 0);
	char *buf = calloc(1, size ? size : 1);
	double cpu0 = cpu_s();
	for (long i = 0; i < count; i++)
		send_buf(s, buf, size);
	hold();
	finish(ctx, s); // linger -1: returns once everything is delivered
	printf("cpu_ns_per_msg=%.1f\n", (cpu_s() - cpu0) * 1e9 / (double)count);
	free(buf);
}

static void do_conn(void *ctx, const char *ep, long count, size_t size) {
	char *buf = calloc(1, size ? size : 1);
	zmq_msg_t m;
	zmq_msg_init(&m);
	double start = now_s(), cpu0 = cpu_s();
	for (long i = 0; i < count; i++) {
		void *s = open_socket(ctx, ZMQ_REQ, ep, 0);
		send_buf(s, buf, size);
		recv_msg(s, &m, size);
		set_int(s, ZMQ_LINGER, 0, "setsockopt(ZMQ_LINGER)");
		zmq_close(s);
	}
	double elapsed = now_s() - start, cpu = cpu_s() - cpu0;
	zmq_msg_close(&m);
	printf("conns_per_s=%.1f cpu_us_per_conn=%.1f\n", (double)count / elapsed, cpu * 1e6 / (double)count);
	free(buf);
	while (zmq_ctx_term(ctx) != 0) {
		if (zmq_errno() != EINTR)
			die("zmq_ctx_term");
	}
}

static void do_rep(void *ctx, const char *ep, long count, size_t size) {
	void *s = open_socket(ctx, ZMQ_REP, ep, 1);
	zmq_msg_t m;
	zmq_msg_init(&m);
	for (long i = 0; i < count; i++) {
		recv_msg(s, &m, size);
		send_msg(s, &m, 0);
	}
	zmq_msg_close(&m);
	finish(ctx, s);
}

// do_router echoes every request, a message [routing id, empty, payload],
// back to its sender as it came.
static void do_router(void *ctx, const char *ep, long count, size_t size) {
	void *s = open_socket(ctx, ZMQ_ROUTER, ep, 1);
	zmq_msg_t parts[MAX_PARTS];
	for (int k = 0; k < MAX_PARTS; k++)
		zmq_msg_init(&parts[k]);
	for (long i = 0; i < count; i++) {
		int n = 0, more;
		do {
			if (n == MAX_PARTS) {
				fprintf(stderr, "thr: a request of more than %d frames\n", MAX_PARTS);
				exit(1);
			}
			recv_part(s, &parts[n]);
			more = zmq_msg_more(&parts[n]);
			n++;
		} while (more);
		if (n != 3 || zmq_msg_size(&parts[1]) != 0) {
			fprintf(stderr, "thr: got a %d-frame request, want [id, empty, payload]\n", n);
			exit(1);
		}
		check_size(&parts[2], size);
		for (int k = 0; k < n; k++)
			send_msg(s, &parts[k], k < n - 1 ? ZMQ_SNDMORE : 0);
	}
	for (int k = 0; k < MAX_PARTS; k++)
		zmq_msg_close(&parts[k]);
	finish(ctx, s);
}

static int cmp_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void print_rtt(double *rtt, long count, double sum) {
	qsort(rtt, (size_t)count, sizeof(double), cmp_double);
	printf("rtt_us_mean=%.2f rtt_us_p50=%.2f rtt_us_p99=%.2f\n",
	       sum / (double)count, rtt[count / 2], rtt[(count * 99) / 100]);
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
	print_rtt(rtt, count, sum);
	free(rtt);
	free(buf);
	finish(ctx, s);
}

// do_dealer sends every request as [empty, payload], the envelope a REQ
// socket would add, and expects it back the same.
static void do_dealer(void *ctx, const char *ep, long count, size_t size) {
	void *s = open_socket(ctx, ZMQ_DEALER, ep, 0);
	char *buf = calloc(1, size ? size : 1);
	double *rtt = malloc(sizeof(double) * (size_t)count);
	zmq_msg_t m;
	zmq_msg_init(&m);
	double sum = 0;
	for (long i = 0; i < count; i++) {
		double t0 = now_s();
		send_buf_flags(s, "", 0, ZMQ_SNDMORE);
		send_buf(s, buf, size);
		recv_part(s, &m);
		if (zmq_msg_size(&m) != 0 || !zmq_msg_more(&m)) {
			fprintf(stderr, "thr: reply does not start with an empty frame\n");
			exit(1);
		}
		recv_msg(s, &m, size);
		rtt[i] = (now_s() - t0) * 1e6;
		sum += rtt[i];
	}
	zmq_msg_close(&m);
	print_rtt(rtt, count, sum);
	free(rtt);
	free(buf);
	finish(ctx, s);
}

static void put_seq(unsigned char *b, uint64_t seq) {
	for (int k = 0; k < 8; k++)
		b[k] = (unsigned char)(seq >> (8 * k));
}

static uint64_t get_seq(const unsigned char *b) {
	uint64_t seq = 0;
	for (int k = 0; k < 8; k++)
		seq |= (uint64_t)b[k] << (8 * k);
	return seq;
}

static void do_pub(void *ctx, const char *ep, long count, size_t size, long subs) {
	void *s = new_socket(ctx, ZMQ_XPUB);
	set_int(s, ZMQ_SNDHWM, FAN_HWM, "setsockopt(ZMQ_SNDHWM)");
	set_int(s, ZMQ_XPUB_NODROP, 1, "setsockopt(ZMQ_XPUB_NODROP)");
	set_int(s, ZMQ_XPUB_VERBOSE, 1, "setsockopt(ZMQ_XPUB_VERBOSE)");
	attach(s, ep, 1);
	// Every subscriber subscribes once: wait until they all have.
	zmq_msg_t m;
	zmq_msg_init(&m);
	for (long seen = 0; seen < subs;) {
		recv_part(s, &m);
		if (zmq_msg_size(&m) >= 1 && ((unsigned char *)zmq_msg_data(&m))[0] == 1)
			seen++;
	}
	zmq_msg_close(&m);
	unsigned char *buf = calloc(1, size);
	double start = now_s(), cpu0 = cpu_s();
	for (long i = 0; i < count; i++) {
		put_seq(buf, (uint64_t)i);
		send_buf(s, buf, size);
	}
	finish(ctx, s); // linger -1: returns once everything is delivered
	double elapsed = now_s() - start, cpu = cpu_s() - cpu0;
	printf("msgs_per_s=%.0f cpu_ns_per_msg=%.1f\n", elapsed > 0 ? (double)count / elapsed : 0,
	       cpu * 1e9 / (double)count);
	free(buf);
}

static void do_sub(void *ctx, const char *ep, long count, size_t size) {
	void *s = new_socket(ctx, ZMQ_SUB);
	// Linger 0: a sub has nothing to deliver, but once the publisher has
	// gone it queues its subscription for the reconnection, which linger
	// -1 would wait for forever.
	set_int(s, ZMQ_LINGER, 0, "setsockopt(ZMQ_LINGER)");
	set_int(s, ZMQ_RCVHWM, FAN_HWM, "setsockopt(ZMQ_RCVHWM)");
	if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0) != 0)
		die("setsockopt(ZMQ_SUBSCRIBE)");
	attach(s, ep, 0);
	zmq_msg_t m;
	zmq_msg_init(&m);
	recv_msg(s, &m, size); // no time limit for the first
	double start = now_s(), cpu0 = cpu_s();
	set_int(s, ZMQ_RCVTIMEO, IDLE_MS, "setsockopt(ZMQ_RCVTIMEO)");
	uint64_t next = 0, last = (uint64_t)count - 1, lost = 0, gaps = 0;
	long received = 0;
	int idle = 0;
	for (;;) {
		uint64_t seq = get_seq(zmq_msg_data(&m));
		received++;
		if (seq < next) {
			fprintf(stderr, "thr: message %llu after %llu\n", (unsigned long long)seq,
			        (unsigned long long)next - 1);
			exit(1);
		}
		if (seq > next) {
			gaps++;
			lost += seq - next;
		}
		next = seq + 1;
		if (seq >= last)
			break;
		if (recv_part(s, &m) != 0) {
			idle = 1;
			break;
		}
		if (zmq_msg_more(&m)) {
			fprintf(stderr, "thr: got a multi-frame message, want one frame\n");
			exit(1);
		}
		check_size(&m, size);
	}
	double elapsed = now_s() - start - (idle ? IDLE_MS / 1e3 : 0), cpu = cpu_s() - cpu0;
	if (next <= last) { // the tail never came
		gaps++;
		lost += last + 1 - next;
	}
	zmq_msg_close(&m);
	double rate = received > 1 && elapsed > 0 ? (double)(received - 1) / elapsed : 0;
	printf("msgs_per_s=%.0f received=%ld lost=%llu gaps=%llu cpu_ns_per_msg=%.1f\n", rate, received,
	       (unsigned long long)lost, (unsigned long long)gaps,
	       received > 1 ? cpu * 1e9 / (double)(received - 1) : 0);
	finish(ctx, s);
}

int main(int argc, char **argv) {
	const char *usage = "usage: thr recv|send|rep|req|router|dealer|sub|conn <endpoint> <count> <size>\n"
	                    "       thr pub <endpoint> <count> <size> [subscribers]\n";
	if (argc < 5 || argc > 6 || (argc == 6 && strcmp(argv[1], "pub") != 0)) {
		fputs(usage, stderr);
		return 2;
	}
	const char *mode = argv[1], *ep = argv[2];
	long count = atol(argv[3]);
	long size = atol(argv[4]);
	long subs = argc == 6 ? atol(argv[5]) : DEFAULT_SUBS;
	if (count < 1 || size < 0 || subs < 1) {
		fprintf(stderr, "thr: want count >= 1, size >= 0 and subscribers >= 1\n");
		return 2;
	}
	if ((strcmp(mode, "pub") == 0 || strcmp(mode, "sub") == 0) && size < 8) {
		fprintf(stderr, "thr: %s wants size >= 8 (the sequence number)\n", mode);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); // the result line is out even if termination hangs
	void *ctx = zmq_ctx_new();
	if (!ctx)
		die("zmq_ctx_new");
	// Every mode closes its socket and terminates the context itself.
	if (strcmp(mode, "recv") == 0)
		do_recv(ctx, ep, count, (size_t)size);
	else if (strcmp(mode, "send") == 0)
		do_send(ctx, ep, count, (size_t)size);
	else if (strcmp(mode, "rep") == 0)
		do_rep(ctx, ep, count, (size_t)size);
	else if (strcmp(mode, "req") == 0)
		do_req(ctx, ep, count, (size_t)size);
	else if (strcmp(mode, "router") == 0)
		do_router(ctx, ep, count, (size_t)size);
	else if (strcmp(mode, "dealer") == 0)
		do_dealer(ctx, ep, count, (size_t)size);
	else if (strcmp(mode, "pub") == 0)
		do_pub(ctx, ep, count, (size_t)size, subs);
	else if (strcmp(mode, "sub") == 0)
		do_sub(ctx, ep, count, (size_t)size);
	else if (strcmp(mode, "conn") == 0)
		do_conn(ctx, ep, count, (size_t)size);
	else {
		fprintf(stderr, "thr: unknown mode %s\n", mode);
		zmq_ctx_term(ctx);
		return 2;
	}
	return 0;
}
