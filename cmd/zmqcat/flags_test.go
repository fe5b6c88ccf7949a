package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmq"
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
		// GNU: values attached to shorthands, or after "=", TYPE in any case.
		{"SUB", "-bipc://b", "-ctcp://h:1", "-c=tcp://h:2", "-d|", "-n5", "--timeout=2s",
			"--format=json", "--hwm=10", "--linger=250ms", "--identity=me", "--subscribe=a", "--subscribe", "b"},
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

func TestFlagClustersAndValues(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags([]string{"pub", "-vn1", "-c", "ipc://x", "-d", "-timeout", "--engine", "LibZMQ",
		"-o", "sndhwm=5", "--option=Reconnect-IVL=250", "-o", "linger=0", "-o", "immediate=0", "--", "--version"})
	if err == nil {
		t.Fatalf("%+v: want an error for the argument after --", cfg)
	} else if err.Error() != `unexpected argument "--version" after TYPE "pub"` {
		t.Fatalf("error %q, want the argument after -- taken as an argument", err)
	}
	cfg, err = parseFlags([]string{"push", "-vn1", "-c", "ipc://x", "-d", "-timeout", "--engine", "LibZMQ",
		"-o", "sndhwm=5", "--option=Reconnect-IVL=250", "-o", "linger=0", "-o", "immediate=0"})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.verbose || cfg.count != 1 || string(cfg.delim) != "-timeout" || cfg.timeout != 0 ||
		cfg.engine != zmq.EngineLibzmq || cfg.linger != 0 || !cfg.immediateOff || len(cfg.options) != 3 {
		t.Fatalf("got %+v", cfg)
	}
	if cfg, err := parseFlags([]string{"--version", "--engine=go"}); err != nil || !cfg.version || cfg.engine != zmq.EngineGo {
		t.Fatalf("--version --engine=go: %+v, %v", cfg, err)
	}
}

// Every -o option opens, on every TYPE it is said to apply to, the socket
// zmqcat makes for it; and is refused on the others.
func TestSocketOptionTable(t *testing.T) {
	t.Parallel()
	samples := map[string]string{
		unitInt: "1", unitBool: "1", unitMs: "100", unitSec: "30", unitBytes: "lo",
		"a bit mask, such as 3 or 0x3": "0x1",
	}
	f, err := zmq.NewFactory(zmq.WithDefaultLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, o := range sockOpts {
		value, ok := samples[o.value.unit]
		if !ok {
			t.Fatalf("%s: no sample value for unit %q", name, o.value.unit)
		}
		if name == "socks_proxy" {
			value = "127.0.0.1:1080" // checked: host:port
		}
		for typ := range roles {
			arg := name + "=" + value
			cfg, err := parseFlags([]string{typ, "-c", "ipc://x", "-o", arg})
			applies := o.types == nil || slices.Contains(o.types, typ)
			if !applies {
				if err == nil || !strings.Contains(err.Error(), name+" applies to ") {
					t.Errorf("-o %s on %s: error %v, want it refused", arg, typ, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("-o %s on %s: %v", arg, typ, err)
				continue
			}
			s, err := openSocket(f, cfg)
			if err != nil {
				t.Errorf("-o %s on %s: %v", arg, typ, err)
				continue
			}
			s.wire.Close()
		}
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
