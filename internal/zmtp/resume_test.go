package zmtp

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// A read cut short by its deadline, anywhere in a frame, leaves the
// decoder able to go on: the next call returns the frame whole, and the
// frames after it follow.
func TestDecoderResumesAfterDeadline(t *testing.T) {
	enc := NewEncoder(ZMTP31)
	cases := []struct {
		name  string
		size  int
		split int // octets of the frame sent before the interruption
	}{
		{"in the header", 300, 1},
		{"in a long header", 300, 5},
		{"in the body", 300, 120},
		{"in a large body", 100 << 10, 70 << 10},
		{"before a large body", 100 << 10, 9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("0123456789abcdef"), tc.size/16+1)[:tc.size]
			wire, err := enc.AppendFrame(nil, body, false)
			if err != nil {
				t.Fatal(err)
			}
			wire, _ = enc.AppendFrame(wire, []byte("after"), false)
			a, b := net.Pipe()
			defer a.Close()
			defer b.Close()
			dec := NewDecoder(a, ZMTP31, 0, 0)
			sent := make(chan error, 1)
			go func() {
				_, err := b.Write(wire[:tc.split])
				// The decoder has read all of it and waits for more.
				a.SetReadDeadline(time.Unix(1, 0))
				sent <- err
			}()
			if _, err := dec.Next(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Next cut short: got %v, want a deadline error", err)
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
			a.SetReadDeadline(time.Time{})
			go func() { _, err := b.Write(wire[tc.split:]); sent <- err }()
			f, err := dec.Next()
			if err != nil {
				t.Fatalf("Next after the deadline: %v", err)
			}
			if !bytes.Equal(f.Body, body) {
				t.Fatalf("frame after the deadline: %d octets, want %d intact", len(f.Body), len(body))
			}
			f, err = dec.Next()
			if err != nil || string(f.Body) != "after" {
				t.Fatalf("next frame: %q, %v", f.Body, err)
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Any other failure of a read stays: every later call returns it.
func TestDecoderErrorOtherThanDeadlineIsSticky(t *testing.T) {
	a, b := net.Pipe()
	dec := NewDecoder(a, ZMTP31, 0, 0)
	go func() { b.Write([]byte{0, 5, 'a'}); b.Close() }()
	_, err := dec.Next()
	if err == nil {
		t.Fatal("Next with the peer gone mid-frame: no error")
	}
	a.Close()
	if _, again := dec.Next(); again != err {
		t.Fatalf("second Next: %v, want the first error %v", again, err)
	}
}
