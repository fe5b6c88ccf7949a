package main

import (
	"reflect"
	"testing"
	"time"
)

func TestFlagForms(t *testing.T) {
	t.Parallel()
	want := &config{
		typ: "sub", role: recvOnly,
		binds: []string{"ipc://b"}, connects: []string{"tcp://h:1", "tcp://h:2"},
		delim: []byte("|"), count: 5, timeout: 2 * time.Second, json: true,
		hwm: 10, linger: 250 * time.Millisecond, identity: []byte("me"),
		subscribe: []string{"a", "b"},
	}
	for _, args := range [][]string{
		{"sub", "-b", "ipc://b", "-c", "tcp://h:1", "-c", "tcp://h:2", "-d", "|", "-n", "5",
			"--timeout", "2s", "--format", "json", "--hwm", "10", "--linger", "250ms",
			"--identity", "me", "--subscribe", "a", "--subscribe", "b"},
		{"sub", "--bind", "ipc://b", "--connect", "tcp://h:1", "--connect=tcp://h:2", "--delimiter", "|",
			"--count=5", "-timeout", "2s", "-format=json", "-hwm", "10", "-linger", "250ms",
			"-identity", "me", "-subscribe", "a", "--subscribe=b"},
		// TYPE may come after flags.
		{"-b", "ipc://b", "-c", "tcp://h:1", "sub", "-c", "tcp://h:2", "-d", "|", "-n", "5",
			"--timeout", "2s", "--format", "json", "--hwm", "10", "--linger", "250ms",
			"--identity", "me", "--subscribe", "a", "--subscribe", "b"},
	} {
		got, err := parseFlags(args)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %+v\nwant %+v", args, got, want)
		}
	}
}

func TestFlagDefaults(t *testing.T) {
	t.Parallel()
	got, err := parseFlags([]string{"rep", "-b", "ipc://x", "--reply", "a\tb"})
	if err != nil {
		t.Fatal(err)
	}
	want := &config{
		typ: "rep", role: replier, binds: []string{"ipc://x"},
		delim: []byte("\t"), hwm: -1, linger: time.Second,
		subscribe: []string{""}, reply: [][]byte{[]byte("a"), []byte("b")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestLatencyStats(t *testing.T) {
	t.Parallel()
	var rtts []time.Duration
	for i := 100; i >= 1; i-- {
		rtts = append(rtts, time.Duration(i)*time.Microsecond)
	}
	mean, p50, p99 := latencyStats(rtts)
	if mean != 50.5 || p50 != 50 || p99 != 99 {
		t.Errorf("mean, p50, p99 = %v, %v, %v; want 50.5, 50, 99", mean, p50, p99)
	}
}
