package auth_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/zmqx/zmq/auth"
)

// lockedBuffer is a bytes.Buffer safe for the logger's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Decisions are logged, keys and passwords never.
func TestLogging(t *testing.T) {
	var buf lockedBuffer
	f := newFactory(t)
	a := startAuth(t, f, auth.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	allowed, refused := keyPair(t), keyPair(t)
	if err := a.AllowCurveKeys(allowed.Public); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPasswords(map[string]string{"admin": "pa55word"}); err != nil {
		t.Fatal(err)
	}
	z := newZAPClient(t, f)
	z.call(request("1", "global", "127.0.0.1", "CURVE", rawKey(t, allowed.Public)))
	z.call(request("2", "global", "127.0.0.1", "CURVE", rawKey(t, refused.Public)))
	z.call(request("3", "global", "127.0.0.1", "PLAIN", []byte("admin"), []byte("pa55word")))
	z.call(request("4", "global", "127.0.0.1", "PLAIN", []byte("admin"), []byte("wr0ng")))
	z.call(request("5", "global", "127.0.0.1", "CURVE", []byte("short")))
	out := buf.String()
	for _, secret := range []string{allowed.Public, refused.Public, "pa55word", "wr0ng"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"zap: approved", "zap: denied", "CURVE key not allowed", "user=admin", "zap: malformed request"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}

// WithSetup: the policy set by setup applies to requests that arrived
// before it was set; a failing setup fails Start and releases the
// endpoint.
func TestWithSetup(t *testing.T) {
	f := newFactory(t)
	kp := keyPair(t)
	if _, err := auth.Start(f, auth.WithSetup(func(*auth.Authenticator) error {
		return errors.New("no policy today")
	})); err == nil || !strings.Contains(err.Error(), "no policy today") {
		t.Fatalf("Start with a failing setup: %v", err)
	}
	if _, err := auth.Start(f, auth.WithSetup(nil)); err == nil {
		t.Fatal("WithSetup(nil) accepted")
	}
	z := newZAPClient(t, f) // connects before the bind; attached by it
	a := startAuth(t, f, auth.WithSetup(func(a *auth.Authenticator) error {
		// This request reaches the authenticator before the key is
		// allowed; it is answered after setup returns.
		z.send(request("early", "global", "127.0.0.1", "CURVE", rawKey(t, kp.Public))...)
		return a.AllowCurveKeys(kp.Public)
	}))
	r := z.recv()
	z.checkReply(r, "early")
	if r[3] != "200" || r[5] != kp.Public {
		t.Fatalf("early request: %q, want 200 with the key", r)
	}
	if st := a.Stats(); st.Accepted != 1 {
		t.Fatalf("stats %+v", st)
	}
}
