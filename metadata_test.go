package zmq_test

import (
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

// A message carries the properties of the connection it came from that the
// socket asked for: here what the peer announced in its handshake.
func TestMessagePropertiesFromPeerHandshake(t *testing.T) {
	for _, tr := range []string{"ipc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, 10*time.Second)
			f := newFactory(t)
			router := must[*zmq.Router](t)(f.NewRouter(zmq.WithMessageProperties("Socket-Type", "Identity")))
			dealer := must[*zmq.Dealer](t)(f.NewDealer(zmq.WithRoutingID([]byte("dealer-1"))))
			if err := dealer.Connect(bind(t, router, tr)); err != nil {
				t.Fatal(err)
			}
			if err := dealer.Send(ctx, zmq.NewMsgString("hi")); err != nil {
				t.Fatal(err)
			}
			for _, recv := range []string{"Recv", "RecvInto"} {
				var m zmq.Msg
				var err error
				if recv == "Recv" {
					m, err = router.Recv(ctx)
				} else {
					err = router.RecvInto(ctx, &m)
				}
				if err != nil {
					t.Fatal(err)
				}
				for name, want := range map[string]string{"Socket-Type": "DEALER", "socket-type": "DEALER", "Identity": "dealer-1"} {
					if got, ok := m.Property(name); !ok || got != want {
						t.Errorf("%s: Property(%q) = %q, %v; want %q", recv, name, got, ok, want)
					}
				}
				if got, ok := m.Property("X-Absent"); ok {
					t.Errorf("%s: Property(\"X-Absent\") = %q, true; want none", recv, got)
				}
				if recv == "Recv" {
					if err := dealer.Send(ctx, zmq.NewMsgString("again")); err != nil {
						t.Fatal(err)
					}
				}
			}
			opts := must[zmq.OptionValues](t)(router.Options())
			if got := opts.MessageProperties; len(got) != 2 || got[0] != "Socket-Type" || got[1] != "Identity" {
				t.Errorf("Options().MessageProperties = %q, want [Socket-Type Identity]", got)
			}
		})
	}
}

// Without WithMessageProperties or WithMessageMetadata a message carries
// no properties.
func TestMessagePropertiesOffByDefault(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	pull, push := pushPull(t, "tcp")
	if err := push.Send(ctx, zmq.NewMsgString("x")); err != nil {
		t.Fatal(err)
	}
	m := must[zmq.Msg](t)(pull.Recv(ctx))
	for _, name := range []string{"Socket-Type", "Peer-Address", "User-Id"} {
		if got, ok := m.Property(name); ok {
			t.Errorf("Property(%q) = %q on a socket that asked for none", name, got)
		}
	}
}

func TestMessagePropertiesBadNames(t *testing.T) {
	f := newFactory(t)
	for _, names := range [][]string{{""}, {"a\x00b"}, {string(make([]byte, 256))}, make([]string, 15)} {
		for i := range names {
			if names[i] == "" && len(names) == 15 {
				names[i] = "X-N"
			}
		}
		if _, err := f.NewPull(zmq.WithMessageProperties(names...)); err == nil {
			t.Errorf("WithMessageProperties(%d names, first %q) accepted", len(names), names[0])
		}
	}
}
