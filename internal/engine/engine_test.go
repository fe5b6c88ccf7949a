package engine

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/zmqx/zmq/internal/capi"
)

func TestEngineExp(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	zctx, err := capi.NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer zctx.Term()
	hwm := func(s *Socket) error {
		return s.Do(func(zs capi.Socket) error {
			zs.SetInt(23, 1)
			zs.SetInt(24, 1)
			return zs.SetInt(17, 0)
		})
	}
	a, _ := New(zctx, 0, hwm)
	b, _ := New(zctx, 0, hwm)
	defer a.Close()
	defer b.Close()
	a.Do(func(zs capi.Socket) error { return zs.Bind("inproc://exp") })
	b.Do(func(zs capi.Socket) error { return zs.Connect("inproc://exp") })
	n := 0
	for a.TrySend([][]byte{[]byte("fill")}) == nil {
		n++
	}
	t.Logf("filled %d", n)
	got := make(chan error, 1)
	go func() {
		_, err := a.Recv(context.Background())
		got <- err
	}()
	for {
		a.mu.Lock()
		k := a.recvQ.n
		a.mu.Unlock()
		if k == 1 {
			break
		}
		runtime.Gosched()
	}
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	sdone := make(chan error, 1)
	go func() {
		if err := b.TrySend([][]byte{[]byte("hello")}); err != nil {
			sdone <- err
			return
		}
		sdone <- a.Send(sctx, [][]byte{[]byte("y")})
	}()
	start := time.Now()
	select {
	case err := <-got:
		t.Logf("recv after %v: %v", time.Since(start), err)
	case <-time.After(time.Second):
		t.Errorf("recv stalled")
		cancel()
		err := <-got
		t.Logf("recv after %v (send cancelled): %v", time.Since(start), err)
	}
	cancel()
	<-sdone
}

func TestEngineExp2(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	zctx, err := capi.NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer zctx.Term()
	hwm := func(s *Socket) error {
		return s.Do(func(zs capi.Socket) error {
			zs.SetInt(23, 1)
			zs.SetInt(24, 1)
			return zs.SetInt(17, 0)
		})
	}
	a, _ := New(zctx, 0, hwm)
	b, _ := New(zctx, 0, hwm)
	defer a.Close()
	defer b.Close()
	a.Do(func(zs capi.Socket) error { return zs.Bind("inproc://exp2") })
	b.Do(func(zs capi.Socket) error { return zs.Connect("inproc://exp2") })
	n := 0
	for a.TrySend([][]byte{[]byte("fill")}) == nil {
		n++
	}
	t.Logf("filled %d", n)
	got := make(chan error, 1)
	go func() {
		got <- a.Send(context.Background(), [][]byte{[]byte("parked")})
	}()
	for {
		a.mu.Lock()
		k := a.sendQ.n
		a.mu.Unlock()
		if k == 1 {
			break
		}
		runtime.Gosched()
	}
	rctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	rdone := make(chan error, 1)
	go func() {
		for range n {
			if _, err := b.TryRecv(); err != nil {
				rdone <- err
				return
			}
		}
		_, err := a.Recv(rctx)
		rdone <- err
	}()
	start := time.Now()
	select {
	case err := <-got:
		t.Logf("send after %v: %v", time.Since(start), err)
	case <-time.After(time.Second):
		t.Errorf("send stalled")
		cancel()
		err := <-got
		t.Logf("send after %v (recv cancelled): %v", time.Since(start), err)
	}
	cancel()
	<-rdone
}
