package zmq_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/zmqx/zmq"
)

// Every example makes its own Factory, closes it, and waits for the
// goroutines it started: TestMain fails the run if one is left behind.

// A Factory makes sockets and closes them all at the end. Here a Push
// hands jobs to a Pull over the in-process transport.
func ExampleFactory() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close() // closes both sockets, then terminates the libzmq context

	pull, err := f.NewPull()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := pull.Bind("inproc://example-factory"); err != nil {
		log.Fatal(err)
	}
	push, err := f.NewPush()
	if err != nil {
		log.Fatal(err)
	}
	if err := push.Connect("inproc://example-factory"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, job := range []string{"resize photo.jpg", "send invoice 42"} {
		if err := push.Send(ctx, zmq.NewMsgString("job", job)); err != nil {
			log.Fatal(err)
		}
	}
	for range 2 {
		m, err := pull.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(m)
	}

	// Close is idempotent: the deferred call above is only a safety net.
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// ["job" "resize photo.jpg"]
	// ["job" "send invoice 42"]
}

// Publish sends a body under a topic in txZMQ's one-frame format.
// Subscribers match the topic against their prefixes.
func ExamplePub_Publish() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	sub, err := f.NewSub(zmq.WithSubscribe("news."))
	if err != nil {
		log.Fatal(err)
	}
	pub, err := f.NewPub()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := pub.Bind("inproc://example-publish"); err != nil {
		log.Fatal(err)
	}
	if err := sub.Connect("inproc://example-publish"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// What a Pub publishes before a subscription reaches it goes nowhere.
	if err := pub.WaitSubscriptions(ctx, 1); err != nil {
		log.Fatal(err)
	}
	if err := pub.Publish(ctx, "news.weather", []byte("sunny, 21°C")); err != nil {
		log.Fatal(err)
	}

	topic, body, err := sub.RecvTopic(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %s\n", topic, body)
	// Output:
	// news.weather: sunny, 21°C
}

// A Sub receives only the topics it subscribed to: prefixes of the topic,
// "" for everything.
func ExampleSub() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	sub, err := f.NewSub()
	if err != nil {
		log.Fatal(err)
	}
	if err := sub.Subscribe("alerts."); err != nil {
		log.Fatal(err)
	}
	pub, err := f.NewPub()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := pub.Bind("inproc://example-sub"); err != nil {
		log.Fatal(err)
	}
	if err := sub.Connect("inproc://example-sub"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pub.WaitSubscriptions(ctx, 1); err != nil {
		log.Fatal(err)
	}
	for _, p := range [][2]string{{"metrics.cpu", "37%"}, {"alerts.disk", "93% full"}, {"alerts.fan", "stopped"}} {
		if err := pub.Publish(ctx, p[0], []byte(p[1])); err != nil {
			log.Fatal(err)
		}
	}

	for i := 0; i < 2; i++ {
		topic, body, err := sub.RecvTopic(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s\n", topic, body)
	}
	// Output:
	// alerts.disk: 93% full
	// alerts.fan: stopped
}

// ServeTopics is the handler form of RecvTopic, txZMQ's gotMessage. The
// handler runs once per publication, one at a time; returning stops
// nothing, cancelling ctx does.
func ExampleSub_ServeTopics() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	sub, err := f.NewSub(zmq.WithSubscribe(""))
	if err != nil {
		log.Fatal(err)
	}
	pub, err := f.NewPub()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := pub.Bind("inproc://example-serve-topics"); err != nil {
		log.Fatal(err)
	}
	if err := sub.Connect("inproc://example-serve-topics"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pub.WaitSubscriptions(ctx, 1); err != nil {
		log.Fatal(err)
	}
	if err := pub.Publish(ctx, "greeting", []byte("hello from the publisher")); err != nil {
		log.Fatal(err)
	}

	serveCtx, stopServing := context.WithCancel(ctx)
	err = sub.ServeTopics(serveCtx, func(ctx context.Context, topic string, body []byte) error {
		fmt.Printf("got %q on topic %q\n", body, topic)
		stopServing() // one is enough: ServeTopics returns before the next call
		return nil
	})
	fmt.Println("ServeTopics returned:", err)
	// Output:
	// got "hello from the publisher" on topic "greeting"
	// ServeTopics returned: context canceled
}

// Request sends a request and waits for its reply; ctx is the timeout.
// Many requests may be in flight at once, from any goroutines. Rep.Serve
// answers each request with what its handler returns.
func ExampleReq_Request() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	rep, err := f.NewRep()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := rep.Bind("inproc://example-request"); err != nil {
		log.Fatal(err)
	}
	req, err := f.NewReq()
	if err != nil {
		log.Fatal(err)
	}
	if err := req.Connect("inproc://example-request"); err != nil {
		log.Fatal(err)
	}

	serveCtx, stopServing := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- rep.Serve(serveCtx, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
			return zmq.NewMsgString(strings.ToUpper(string(q.Frames[0]))), nil
		})
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reply, err := req.Request(ctx, []byte("hello"))
	if err != nil {
		log.Fatal(err) // context.DeadlineExceeded if no reply came in time
	}
	fmt.Println(reply)

	stopServing()
	if err := <-served; !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
	// Output:
	// ["HELLO"]
}

// A Rep handler that cannot answer at once returns ErrReplyLater and
// answers afterwards, from any goroutine, with Request.Reply.
func ExampleRep_Serve_replyLater() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	rep, err := f.NewRep()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := rep.Bind("inproc://example-reply-later"); err != nil {
		log.Fatal(err)
	}
	req, err := f.NewReq()
	if err != nil {
		log.Fatal(err)
	}
	if err := req.Connect("inproc://example-reply-later"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	serveCtx, stopServing := context.WithCancel(ctx)
	var workers sync.WaitGroup
	served := make(chan error, 1)
	go func() {
		served <- rep.Serve(serveCtx, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
			workers.Go(func() {
				time.Sleep(10 * time.Millisecond) // slow work, off the Serve loop
				if err := q.Reply(ctx, []byte("done: "+string(q.Frames[0]))); err != nil {
					log.Print(err)
				}
			})
			return zmq.Msg{}, zmq.ErrReplyLater
		})
	}()

	reply, err := req.Request(ctx, []byte("report"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(reply)

	stopServing()
	<-served
	workers.Wait()
	// Output:
	// ["done: report"]
}

// A Router learns each peer's routing id from the messages the peer sends
// and addresses replies with SendTo.
func ExampleRouter_SendTo() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	router, err := f.NewRouter()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := router.Bind("inproc://example-router"); err != nil {
		log.Fatal(err)
	}
	dealer, err := f.NewDealer(zmq.WithRoutingID([]byte("worker-7")))
	if err != nil {
		log.Fatal(err)
	}
	if err := dealer.Connect("inproc://example-router"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := dealer.Send(ctx, zmq.NewMsgString("ready")); err != nil {
		log.Fatal(err)
	}
	peer, m, err := router.RecvFrom(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s says %s\n", peer, m)

	if err := router.SendTo(ctx, peer, []byte("job"), []byte("42")); err != nil {
		log.Fatal(err)
	}
	m, err = dealer.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("worker-7 got", m)
	// Output:
	// worker-7 says ["ready"]
	// worker-7 got ["job" "42"]
}

// Messages is an iterator for range: it yields messages until receiving
// fails (ctx done, socket closed), then yields that error once. Breaking
// out of the loop is fine.
func ExamplePull_Messages() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	pull, err := f.NewPull()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := pull.Bind("inproc://example-messages"); err != nil {
		log.Fatal(err)
	}
	push, err := f.NewPush()
	if err != nil {
		log.Fatal(err)
	}
	if err := push.Connect("inproc://example-messages"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, word := range []string{"one", "two", "three", "stop"} {
		if err := push.Send(ctx, zmq.NewMsgString(word)); err != nil {
			log.Fatal(err)
		}
	}

	for m, err := range pull.Messages(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		if string(m.Frames[0]) == "stop" {
			break
		}
		fmt.Println(string(m.Frames[0]))
	}
	// Output:
	// one
	// two
	// three
}

// SendBatch and RecvBatch move many small messages per call into and out
// of libzmq. RecvBatch waits only for the first message, then takes what
// is already there, so how many each call returns varies.
func ExamplePush_SendBatch() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	pull, err := f.NewPull()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := pull.Bind("inproc://example-batch"); err != nil {
		log.Fatal(err)
	}
	push, err := f.NewPush()
	if err != nil {
		log.Fatal(err)
	}
	if err := push.Connect("inproc://example-batch"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := []zmq.Msg{zmq.NewMsgString("a"), zmq.NewMsgString("b", "c"), zmq.NewMsgString("d")}
	if _, err := push.SendBatch(ctx, out); err != nil {
		log.Fatal(err)
	}

	in := make([]zmq.Msg, 16)
	for got := 0; got < len(out); {
		n, err := pull.RecvBatch(ctx, in)
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range in[:n] {
			fmt.Println(m.Strings())
		}
		got += n
	}
	// Output:
	// [a]
	// [b c]
	// [d]
}

// ExamplePull_RecvInto receives a stream into one reused Msg: once m has
// held the largest message, receiving allocates nothing.
func ExamplePull_RecvInto() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	pull, err := f.NewPull()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := pull.Bind("inproc://example-recvinto"); err != nil {
		log.Fatal(err)
	}
	push, err := f.NewPush()
	if err != nil {
		log.Fatal(err)
	}
	if err := push.Connect("inproc://example-recvinto"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, word := range []string{"reading", "into", "one", "message"} {
		if err := push.Send(ctx, zmq.NewMsgString(word)); err != nil {
			log.Fatal(err)
		}
	}

	var m zmq.Msg
	total := 0
	for range 4 {
		if err := pull.RecvInto(ctx, &m); err != nil {
			log.Fatal(err)
		}
		// m.Frames[0] is overwritten by the next RecvInto: use it now.
		total += len(m.Frames[0])
		fmt.Printf("%s ", m.Frames[0])
	}
	fmt.Println(total)
	// Output: reading into one message 21
}

// Serve calls a handler for each message, one at a time, until ctx ends or
// the socket closes (txZMQ's onPull). A handler's error does not stop it:
// it goes to the factory's error handler.
func ExamplePull_Serve() {
	f, err := zmq.NewFactory(zmq.WithErrorHandler(func(err error) {
		fmt.Println("reported:", err)
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	pull, err := f.NewPull()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := pull.Bind("inproc://example-serve"); err != nil {
		log.Fatal(err)
	}
	push, err := f.NewPush()
	if err != nil {
		log.Fatal(err)
	}
	if err := push.Connect("inproc://example-serve"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, task := range []string{"compress", "", "upload"} {
		if err := push.Send(ctx, zmq.NewMsgString(task)); err != nil {
			log.Fatal(err)
		}
	}

	serveCtx, stopServing := context.WithCancel(ctx)
	done := 0
	err = pull.Serve(serveCtx, func(ctx context.Context, m zmq.Msg) error {
		done++
		if done == 3 {
			defer stopServing()
		}
		task := string(m.Frames[0])
		if task == "" {
			return errors.New("empty task")
		}
		fmt.Println("did", task)
		return nil
	})
	fmt.Println("Serve returned:", err)
	fmt.Println("handler errors:", pull.Stats().HandlerErrors)
	// Output:
	// did compress
	// reported: zmq: PULL handler: empty task
	// did upload
	// Serve returned: context canceled
	// handler errors: 1
}

// Proxy joins a Router frontend, where clients connect, to a Dealer
// backend, where workers connect: a shared queue, as zmq_proxy builds.
func ExampleProxy() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	frontend, err := f.NewRouter()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := frontend.Bind("inproc://example-proxy-clients"); err != nil {
		log.Fatal(err)
	}
	backend, err := f.NewDealer()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := backend.Bind("inproc://example-proxy-workers"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var proxyErr, serveErr error
	wg.Go(func() { proxyErr = zmq.Proxy(ctx, frontend, backend, nil) })

	worker, err := f.NewRep()
	if err != nil {
		log.Fatal(err)
	}
	if err := worker.Connect("inproc://example-proxy-workers"); err != nil {
		log.Fatal(err)
	}
	wg.Go(func() {
		serveErr = worker.Serve(ctx, func(ctx context.Context, q *zmq.Request) (zmq.Msg, error) {
			return zmq.NewMsgString("pong: " + string(q.Frames[0])), nil
		})
	})

	client, err := f.NewReq()
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Connect("inproc://example-proxy-clients"); err != nil {
		log.Fatal(err)
	}
	reqCtx, reqCancel := context.WithTimeout(ctx, 10*time.Second)
	reply, err := client.Request(reqCtx, []byte("ping"))
	reqCancel()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(reply)

	cancel()
	wg.Wait()
	fmt.Println("proxy:", proxyErr)
	fmt.Println("worker:", serveErr)
	// Output:
	// ["pong: ping"]
	// proxy: context canceled
	// worker: context canceled
}

// Errors from libzmq are Errno values, wrapped in an *OpError that says
// what failed; endpoints and options are checked before libzmq sees them.
func ExampleOpError() {
	f, err := zmq.NewFactory()
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	a, err := f.NewPull()
	if err != nil {
		log.Fatal(err)
	}
	ep, err := a.Bind("tcp://127.0.0.1:*")
	if err != nil {
		log.Fatal(err)
	}
	b, err := f.NewPull()
	if err != nil {
		log.Fatal(err)
	}

	_, err = b.Bind(ep) // taken by a
	var opErr *zmq.OpError
	if errors.As(err, &opErr) {
		fmt.Println("op:", opErr.Op, opErr.Socket)
	}
	fmt.Println("address in use:", errors.Is(err, zmq.EADDRINUSE))

	_, err = b.Bind("tcp://127.0.0.1:99999")
	fmt.Println("invalid endpoint:", errors.Is(err, zmq.ErrInvalidEndpoint))

	_, err = f.NewPush(zmq.WithSendHWM(-1))
	fmt.Println("invalid option:", errors.Is(err, zmq.ErrInvalidOption))

	if err := b.Close(); err != nil {
		log.Fatal(err)
	}
	_, err = b.Recv(context.Background())
	fmt.Println("closed:", errors.Is(err, zmq.ErrClosed))
	// Output:
	// op: bind PULL
	// address in use: true
	// invalid endpoint: true
	// invalid option: true
	// closed: true
}
