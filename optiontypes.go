package zmq

import (
	"fmt"
	"time"

	"github.com/zmqx/zmq/internal/engine"
)

// Socket options are functional options, validated when they are applied:
// an invalid value makes the constructor (or SetOption) fail with an error
// that wraps ErrInvalidOption and names the option and the value.
//
// Each pattern's constructor accepts only the options that make sense for
// it: NewPush(WithSubscribe("x")) does not compile. Options valid for every
// socket satisfy every pattern's option interface.
//
// Options marked "live" take effect at once when changed with SetOption on
// an open socket. The others apply to connections made afterwards, so
// SetOption refuses them once the socket has bound or connected.

// Option is implemented by every socket option.
type Option interface {
	spec() *optSpec
}

// Pattern option interfaces: an option satisfies the interface of every
// pattern it applies to.
type (
	PubOption interface {
		Option
		pubOpt()
	}
	SubOption interface {
		Option
		subOpt()
	}
	XPubOption interface {
		Option
		xpubOpt()
	}
	XSubOption interface {
		Option
		xsubOpt()
	}
	PushOption interface {
		Option
		pushOpt()
	}
	PullOption interface {
		Option
		pullOpt()
	}
	PairOption interface {
		Option
		pairOpt()
	}
	ReqOption interface {
		Option
		reqOpt()
	}
	RepOption interface {
		Option
		repOpt()
	}
	DealerOption interface {
		Option
		dealerOpt()
	}
	RouterOption interface {
		Option
		routerOpt()
	}
	// SocketOption is accepted by the raw Socket, which takes every option.
	SocketOption interface{ Option }
)

// optSpec describes one option value.
type optSpec struct {
	name string // how errors name it: "WithSendHWM(-1)"
	live bool   // libzmq applies a change at once
	// createOnly: the socket reads it once, when it is made (Go-level
	// settings, and security, which decides how the socket is guarded).
	createOnly bool
	apply      func(*sockConfig) error
}

func (o *optSpec) spec() *optSpec { return o }

// sockConfig collects what the options ask for.
type sockConfig struct {
	sets []setting // engine options, applied in the order given
	// Go-level settings, used by the pattern types.
	topicSep       []byte
	framing        TopicFraming
	maxPending     int
	pendingTimeout time.Duration
	// authServer: the socket authenticates peers (CURVE or PLAIN server),
	// so it must fail closed (see security.go).
	authServer bool
	zapDomain  bool // WithZAPDomain was given
	metadata   bool // received messages carry UserID and PeerAddress
}

// setting is one engine option value.
type setting struct {
	opt engine.Option
	val engine.Value
}

func optErr(name, why string) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidOption, name, why)
}

// Markers: which pattern interfaces an option kind satisfies.
type (
	mPub    struct{}
	mSub    struct{}
	mXPub   struct{}
	mXSub   struct{}
	mPush   struct{}
	mPull   struct{}
	mPair   struct{}
	mReq    struct{}
	mRep    struct{}
	mDealer struct{}
	mRouter struct{}
)

func (mPub) pubOpt()       {}
func (mSub) subOpt()       {}
func (mXPub) xpubOpt()     {}
func (mXSub) xsubOpt()     {}
func (mPush) pushOpt()     {}
func (mPull) pullOpt()     {}
func (mPair) pairOpt()     {}
func (mReq) reqOpt()       {}
func (mRep) repOpt()       {}
func (mDealer) dealerOpt() {}
func (mRouter) routerOpt() {}

// Option kinds. An option that applies to one pattern is returned as that
// pattern's option interface (SubOption, XPubOption, ...); the kinds below
// are for options that several patterns accept, and say which.
type (
	// CommonOption applies to every socket type.
	CommonOption struct {
		*optSpec
		mPub
		mSub
		mXPub
		mXSub
		mPush
		mPull
		mPair
		mReq
		mRep
		mDealer
		mRouter
	}
	// TopicOption applies to Pub and Sub: txZMQ's topic framing.
	TopicOption struct {
		*optSpec
		mPub
		mSub
	}
	// MatchingOption applies to the sockets that match subscriptions:
	// Pub, XPub and Sub (ZMQ_INVERT_MATCHING).
	MatchingOption struct {
		*optSpec
		mPub
		mXPub
		mSub
	}
	// RoutingOption applies to the sockets that route by peer id: Router,
	// and Rep, which is built on one.
	RoutingOption struct {
		*optSpec
		mRouter
		mRep
	}
	// ProbeOption applies to the connecting side of request-reply patterns:
	// Router, Dealer, Req.
	ProbeOption struct {
		*optSpec
		mRouter
		mDealer
		mReq
	}
	// ConflateOption applies to Push, Pull, Pub, Sub and Dealer.
	ConflateOption struct {
		*optSpec
		mPush
		mPull
		mPub
		mSub
		mDealer
	}

	// The kinds of options that one pattern accepts, returned as that
	// pattern's interface.
	subOnly struct {
		*optSpec
		mSub
	}
	xpubOnly struct {
		*optSpec
		mXPub
	}
	repOnly struct {
		*optSpec
		mRep
	}
	pubOnlyOption struct {
		*optSpec
		mPub
	}
	// rawOnly applies only to the raw Socket (strict REQ/REP, STREAM).
	rawOnly struct {
		*optSpec
	}
)

// intOpt builds a spec for an int-valued option; check validates v.
func intOpt(name string, opt engine.Option, v int, live bool, check func(int) string) *optSpec {
	s := &optSpec{name: fmt.Sprintf("%s(%d)", name, v), live: live}
	s.apply = func(c *sockConfig) error {
		if check != nil {
			if why := check(v); why != "" {
				// s.name, not v: callers such as durOpt rename the spec
				// so that errors show the value as the caller wrote it.
				return optErr(fmt.Sprintf("%s (%s)", s.name, opt), why)
			}
		}
		c.sets = append(c.sets, setting{opt: opt, val: engine.Int(v)})
		return nil
	}
	return s
}

func boolOpt(name string, opt engine.Option, v bool, live bool) *optSpec {
	i := 0
	if v {
		i = 1
	}
	s := intOpt(name, opt, i, live, nil)
	s.name = fmt.Sprintf("%s(%t)", name, v)
	return s
}

// durOpt builds a spec for a millisecond option from a Duration.
// min is the smallest allowed value in milliseconds (-1 for "infinite").
func durOpt(name string, opt engine.Option, d time.Duration, live bool, min int) *optSpec {
	ms := durMillis(d)
	s := intOpt(name, opt, ms, live, func(v int) string {
		if d > 0 && d%time.Millisecond != 0 {
			return "must be a whole number of milliseconds"
		}
		if v < min {
			if min == -1 {
				return "must be >= 0, or negative for infinite"
			}
			return fmt.Sprintf("must be >= %dms", min)
		}
		return ""
	})
	s.name = fmt.Sprintf("%s(%v)", name, d)
	return s
}

// durMillis converts d to libzmq's milliseconds; any negative d is -1.
func durMillis(d time.Duration) int {
	if d < 0 {
		return -1
	}
	return int(d / time.Millisecond)
}

func nonNegative(v int) string {
	if v < 0 {
		return "must be >= 0"
	}
	return ""
}

func checkLinger(name string, d time.Duration) error {
	if d > 0 && d%time.Millisecond != 0 {
		return optErr(fmt.Sprintf("%s(%v)", name, d), "must be a whole number of milliseconds")
	}
	return nil
}

// asOptions converts a slice of pattern options to plain Options.
func asOptions[T Option](opts []T) []Option {
	out := make([]Option, len(opts))
	for i, o := range opts {
		out[i] = o
	}
	return out
}
