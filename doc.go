// Package zmq is ZeroMQ for Go, served by the Go runtime's own event loop.
//
// It serves ZeroMQ sockets from Go's netpoller, the way txZMQ served them
// from Twisted's reactor, with either of two engines behind one API (see
// [Engine]): the go engine, the default, which speaks ZMTP itself and needs
// no cgo; or libzmq, the reference implementation, through cgo, for the
// transports, socket types and mechanisms only it has. A socket is an
// ordinary Go value: any number of
// goroutines may use it at once, every call that can wait takes a
// [context.Context], and a goroutine that waits is parked by the Go
// scheduler, not inside C. The semantics and the wire formats are txZMQ's,
// so Go programs interoperate with txZMQ programs and with plain libzmq
// peers in any language.
//
//	f, err := zmq.NewFactory()
//	if err != nil { ... }
//	defer f.Close()
//
//	pull, err := f.NewPull()
//	...
//	ep, err := pull.Bind("tcp://127.0.0.1:*") // ep has the port the system picked
//	...
//	push, err := f.NewPush()
//	...
//	err = push.Connect(ep)
//	err = push.Send(ctx, zmq.NewMsgString("hello", "world"))
//	m, err := pull.Recv(ctx) // m.Frames: "hello", "world"
//
// # Patterns and types
//
// Each ZeroMQ pattern has its own types, whose methods are what the pattern
// allows: a [Pub] has no Recv, a [Push] no Recv, a [Pull] no Send.
//
//	pattern                 types           libzmq sockets  txZMQ classes
//	publish-subscribe       Pub, Sub        PUB, SUB        ZmqPubConnection, ZmqSubConnection
//	publish-subscribe, raw  XPub, XSub      XPUB, XSUB      -
//	pipeline                Push, Pull      PUSH, PULL      ZmqPushConnection, ZmqPullConnection
//	exclusive pair          Pair            PAIR            -
//	request-reply           Req, Rep        DEALER, ROUTER  ZmqREQConnection, ZmqREPConnection
//	routing, raw frames     Dealer, Router  DEALER, ROUTER  ZmqDealerConnection, ZmqRouterConnection
//	anything else           Socket          any SocketType  -
//
// [Pub.Publish] and [Sub.RecvTopic] speak txZMQ's topic framing, or the
// two-frame form [topic, body] of the ZeroMQ guide and pyzmq
// ([WithTopicFraming]). Topics and subscription prefixes are strings
// everywhere ([Pub.Publish], [Sub.Subscribe], [XSub.Subscribe],
// [XPub.Subscribe], [Sub.RecvTopic], [Publication], [ParseSubscription]);
// bodies and frames are []byte. An [XPub] made [WithXPubManual] lets the
// application decide what each subscriber gets. [Req] and
// [Rep] are txZMQ's asynchronous request-reply: a Req may have any number
// of requests in flight at once ([Req.Request]), and a Rep may answer them
// in any order ([Rep.Serve], [Rep.Reply]). [Router.SendTo] and
// [Router.RecvFrom] add and strip the peer's routing id. The raw [Socket]
// covers libzmq's strict REQ and REP sockets, STREAM, and anything else
// where frames should pass exactly as libzmq gives them; [Proxy] joins two
// sockets as zmq_proxy does.
//
// # Concurrency
//
// Every socket, like the [Factory], is safe for concurrent use by multiple
// goroutines. Each socket has one lock, never held while waiting (the
// libzmq engine calls libzmq only in non-blocking mode).
//
// Every call that can wait takes a ctx as its first argument and returns
// when the operation completes, ctx ends, or the socket closes. When ctx
// ends, the error is ctx.Err() itself (test it with errors.Is); when the
// socket closes, it wraps [ErrClosed]. A receive that fails took no message,
// and a send that fails sent nothing: multipart messages move whole.
// A caller tries first and waits only when it cannot proceed; goroutines
// waiting in one direction of a socket (sending, or receiving) are served
// first in, first out. On a [Router] made [WithRouterMandatory], a send
// waiting for a full peer holds back no send to another peer.
//
// No OS thread is parked per socket or per waiting goroutine. On the go
// engine each connection has a reader and a writer goroutine, parked in
// the netpoller while idle, and the goroutine that asks does the I/O where
// it can: a send to an idle connection writes at once, and a receiver on a
// socket with a single connection reads it itself, woken by the netpoller
// directly. On the libzmq engine no goroutine is started per socket (a
// [Monitor] has one): a goroutine that has to wait parks in the netpoller
// on the socket's notification descriptor itself; when several wait on one
// socket, the first one does that for all of them and the others sleep on
// channels until it passes them their turn.
//
// A send waits while the socket cannot take the message: the high-water
// mark is reached ([WithSendHWM], 1000 messages by default), or the pattern
// needs a peer and has none. The high-water mark is the backpressure a
// sender feels. On the libzmq engine a receiving socket takes messages out
// of libzmq a batch at a time, up to 256 of them but no more than 64 KiB
// plus one larger message, and holds them until they are received: that
// much waits in a receiver outside its receive high-water mark
// ([WithRecvHWM]). TrySend and TryRecv
// never wait; they fail with [EAGAIN] instead, which is how txZMQ sends.
// SendBatch ([Push.SendBatch]) moves many whole messages per call into
// libzmq, which makes streams of small messages several times cheaper. Two
// patterns drop rather than wait, as libzmq defines them: a [Pub] drops a
// subscriber's copy when that subscriber's queue is full, and a [Router]
// drops what it cannot route (an unknown peer, or a peer whose queue is
// full) unless made [WithRouterMandatory].
//
// # Receiving
//
// Every type that receives, except [Req] (whose replies come back from
// Request), offers three ways to consume messages, which may be mixed on
// one socket:
//
//   - Recv(ctx) returns the next message: [Pull.Recv], and its typed
//     variants [Sub.RecvTopic], [Router.RecvFrom], [Rep.Recv].
//   - Messages(ctx) is an iterator for a range loop, which yields each
//     message and, when receiving fails, the error once: [Pull.Messages],
//     [Sub.Topics], [Rep.Requests].
//   - Serve(ctx, handler) calls a [Handler] for each message, one at a
//     time, until ctx ends or the socket closes; this is txZMQ's
//     gotMessage and onPull. [Sub.ServeTopics] hands the handler topic and
//     body. [Rep.Serve] sends what its [RepHandler] returns as the reply; a
//     handler that answers later returns [ErrReplyLater] and calls
//     [Request.Reply] from any goroutine.
//
// For streams, two more calls take the cost per message down: RecvBatch
// ([Pull.RecvBatch]) fills a slice with the messages already received, and
// RecvInto ([Pull.RecvInto]) copies the next message into the caller's
// [Msg], reusing its memory, so that a receive loop allocates nothing.
//
// A handler's error, or panic, does not stop Serve: it is counted in
// [Stats].HandlerErrors and passed as a [*HandlerError] to the function set
// with [WithErrorHandler] and to the logger set with [WithLogger]. A
// message that a [Rep] or a [Req] drops because a peer sent it with a
// malformed envelope goes there too, as an [*EnvelopeError], and is counted
// in [Stats].MalformedEnvelopes. Those two are where all background errors
// go; the package never prints.
//
// # Lifecycle
//
// A [Factory] owns one engine (for libzmq, a context) and every socket made
// from it with its New methods ([Factory.NewPub], [Factory.NewReq], ...).
// Sockets may bind and connect any number of endpoints, at any time.
// Closing a socket wakes its waiting callers with [ErrClosed], gives queued
// outgoing messages the linger period to leave, and returns once the
// socket is gone. [Factory.Close] closes every socket the factory made,
// then its engine (for libzmq, terminates the context); the factory's
// sockets do not need closing one by one. Both Close methods are idempotent and safe to call concurrently.
// [Factory.CloseWhenDone] closes the factory when a context ends, as
// txZMQ's registerForShutdown does, which combines well with
// [os/signal.NotifyContext]. No finalizer closes anything: a factory that
// is never closed keeps its context and sockets.
//
// The linger period is 100ms unless set with [WithDefaultLinger] for a
// factory or [WithLinger] for a socket, as in txZMQ. (libzmq's own default
// waits forever for undeliverable messages, so Close could hang.)
//
// # Errors
//
// A socket operation that fails for another reason than its ctx returns an
// [*OpError], which names the operation, the socket type and the endpoint,
// and wraps the cause. Use [errors.As] to get it and [errors.Is] to test
// the cause:
//
//   - [ErrClosed]: the socket or factory is closed. It also matches
//     [net.ErrClosed].
//   - an [Errno]: an error number from libzmq. It matches the
//     [syscall.Errno] of the same number, so errors.Is(err, zmq.EADDRINUSE)
//     and errors.Is(err, syscall.EADDRINUSE) both work. Constants cover the
//     common ones: [EAGAIN], [EADDRINUSE], [ETERM], [EFSM], [ENOTSUP],
//     [ErrHostUnreachable], ...
//   - [ErrInvalidEndpoint]: an endpoint that is malformed, or a tcp host
//     name that does not resolve. Endpoints are checked before libzmq sees
//     them, because libzmq accepts some bad ones silently (it maps port
//     99999 to another port, and retries unresolvable hosts forever).
//   - [ErrInvalidOption]: an option value that cannot be used, from a
//     constructor or SetOption; the message names the option and the value.
//   - [ErrMessageTorn]: a send of several frames whose connection closed
//     half-way; no part of the message was delivered.
//
// Context errors are returned as they are, not wrapped. Other sentinels are
// specific to one pattern: [ErrNotTopicFramed], [ErrReplyLater],
// [ErrNoSuchRequest], [ErrEmptyMessage].
//
// # Options
//
// Options are functional and typed per pattern: NewPush accepts
// [PushOption] values, NewSub [SubOption] values, and so on, so an option
// that makes no sense for a pattern does not compile
// (f.NewPush(zmq.WithSubscribe("x")) is a type error). Options that apply
// to every socket, such as [WithSendHWM], [WithLinger] or [WithRoutingID],
// are [CommonOption] values, accepted everywhere. Each option's
// documentation names the libzmq option it sets and its default.
//
// Values are validated when the socket is made; an invalid one makes the
// constructor fail with an error wrapping [ErrInvalidOption], and no socket
// is left open. SetOption changes options of an open socket: options
// documented as "Live" at any time, most others until the socket first
// binds or connects, and a few, such as [WithTopicSeparator], only at
// creation.
//
// Every socket's Options method reads back the effective value of every
// option, set or default, as an [OptionValues]: one typed field per option,
// named after its With function (v.SendHWM for [WithSendHWM]). Secrets are
// never read back.
//
// Security is opt-in and fails closed: a socket made [WithCurveServer] or
// [WithPlainServer] admits only peers that an authenticator approves.
// A socket's Monitor method reports its connection events as a [Monitor].
//
// # Wire compatibility with txZMQ
//
// Messages on the wire are exactly txZMQ's, so each side may be Go, txZMQ,
// or plain libzmq:
//
//   - Publish-subscribe: [Pub.Publish] sends one frame, topic, a zero byte
//     ([WithTopicSeparator] changes it), then the body; subscriptions are
//     matched against the start of that frame, that is, the topic. Made
//     [WithTopicFraming]([TwoFrames]), it sends [topic, body] instead, as
//     pyzmq's send_multipart and programs written from the ZeroMQ guide
//     do. A [Sub] reads both forms.
//   - Request-reply: a [Req] sends [request id, empty frame, parts...] on a
//     DEALER socket, with a 16-byte id, and matches replies of the same form
//     by id. A [Rep] on a ROUTER socket keeps everything up to the empty
//     frame (routing ids, then the request id) and puts it back on the
//     reply. So a Req works with txZMQ's ZmqREPConnection, a libzmq REP or
//     an echoing ROUTER, and a Rep serves txZMQ's ZmqREQConnection, libzmq
//     REQ and DEALER sockets, through any number of proxies.
//   - Push, Pull, Pair, Dealer and Router send and receive frames as they
//     are.
//
// # Requirements
//
// The go engine needs nothing but Go: it builds with CGO_ENABLED=0 for
// every platform Go does. The libzmq engine needs cgo (CGO_ENABLED=1 and a
// C compiler), pkg-config, and the libzmq development files: Debian's
// libzmq3-dev, which provides libzmq 4.3.4, the version this package is
// developed and tested against; the build finds it with "pkg-config
// libzmq". In a build without cgo, asking for the libzmq engine fails with
// an error that says why. [LibVersion] reports the libzmq in use, if any,
// and [Has] its optional capabilities.
package zmq
