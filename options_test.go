package zmq_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// Options that only affect later connections are refused once the
// socket has bound or connected; live ones are applied.
func TestConnectionOptionsRefusedAfterBind(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			f := newFactory(t)
			push := must[*zmq.Push](t)(f.NewPush())
			// Before any endpoint everything may change.
			if err := push.SetOption(zmq.WithReconnectInterval(time.Second), zmq.WithImmediate(true), zmq.WithSendHWM(10)); err != nil {
				t.Fatalf("SetOption before Bind: %v", err)
			}
			bind(t, push, tr)
			for name, o := range map[string]zmq.PushOption{
				"WithReconnectInterval": zmq.WithReconnectInterval(2 * time.Second),
				"WithImmediate":         zmq.WithImmediate(false),
				"WithRoutingID":         zmq.WithRoutingID([]byte("late")),
				"WithHeartbeatInterval": zmq.WithHeartbeatInterval(time.Second),
				"WithMaxMsgSize":        zmq.WithMaxMsgSize(1 << 20),
				"WithConflate":          zmq.WithConflate(true),
				"WithTCPKeepalive":      zmq.WithTCPKeepalive(true),
				"WithSendBuffer":        zmq.WithSendBuffer(1 << 16),
				// libzmq 4.3.4 applies a new high-water mark to live pipes
				// in a way that can stall them for good.
				"WithSendHWM": zmq.WithSendHWM(5),
				"WithRecvHWM": zmq.WithRecvHWM(5),
			} {
				err := push.SetOption(o)
				if !errors.Is(err, zmq.ErrInvalidOption) {
					t.Errorf("SetOption(%s) after Bind: got %v, want ErrInvalidOption", name, err)
				} else if !strings.Contains(err.Error(), name) {
					t.Errorf("SetOption(%s) after Bind: error %q does not name the option", name, err)
				}
			}
			// One refused option refuses the whole call.
			if err := push.SetOption(zmq.WithLinger(0), zmq.WithImmediate(true)); !errors.Is(err, zmq.ErrInvalidOption) {
				t.Errorf("SetOption(live, non-live) after Bind: got %v, want ErrInvalidOption", err)
			}
			for _, o := range []zmq.PushOption{zmq.WithLinger(0), zmq.WithLinger(time.Second)} {
				if err := push.SetOption(o); err != nil {
					t.Errorf("live option after Bind: %v", err)
				}
			}

			// The same after Connect.
			dealer := must[*zmq.Dealer](t)(f.NewDealer())
			connectTo(t, dealer, bind(t, must[*zmq.Router](t)(f.NewRouter()), tr))
			if err := dealer.SetOption(zmq.WithReconnectInterval(time.Second)); !errors.Is(err, zmq.ErrInvalidOption) {
				t.Errorf("non-live option after Connect: got %v, want ErrInvalidOption", err)
			} else if !strings.Contains(err.Error(), "WithReconnectInterval") {
				t.Errorf("error %q does not name the option", err)
			}
			if err := dealer.SetOption(zmq.WithSendHWM(3)); !errors.Is(err, zmq.ErrInvalidOption) {
				t.Errorf("WithSendHWM after Connect: got %v, want ErrInvalidOption", err)
			}

			// A live option takes effect: mandatory switched on after Bind.
			router := must[*zmq.Router](t)(f.NewRouter())
			bind(t, router, tr)
			if err := router.TrySendTo([]byte("nobody"), []byte("x")); err != nil {
				t.Fatalf("before mandatory: %v", err)
			}
			if err := router.SetOption(zmq.WithRouterMandatory(true)); err != nil {
				t.Fatalf("WithRouterMandatory after Bind: %v", err)
			}
			if err := router.TrySendTo([]byte("nobody"), []byte("x")); !errors.Is(err, zmq.ErrHostUnreachable) {
				t.Fatalf("after WithRouterMandatory(true): got %v, want ErrHostUnreachable", err)
			}
			sub := must[*zmq.Sub](t)(f.NewSub())
			bind(t, sub, tr)
			if err := sub.SetOption(zmq.WithSubscribe("late")); err != nil {
				t.Errorf("WithSubscribe after Bind: %v", err)
			}
		})
	}
}
