package curve

import (
	"bytes"
	"errors"
	"testing"
)

// The fuzz targets feed arbitrary bodies to each parser in the state where
// that command is due. Every state is rebuilt from seed fuzzSeed, so the
// seed corpus (the commands of handshake(t, seeded(fuzzSeed))) is valid
// there. Invariants: no panic; every error is a *ProtocolError with a known
// code; whatever is accepted carries the authenticated octets of a valid
// body, since a forgery would need the keys.
const fuzzSeed = 7

var knownCodes = map[uint32]bool{
	CodeUnexpectedCommand: true, CodeInvalidSequence: true, CodeKeyExchange: true,
	CodeMalformedMessage: true, CodeMalformedHello: true, CodeMalformedInitiate: true,
	CodeMalformedError: true, CodeMalformedReady: true, CodeMalformedWelcome: true,
	CodeCryptographic: true,
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var pe *ProtocolError
	if !errors.As(err, &pe) || !knownCodes[pe.Code()] {
		t.Fatalf("error %v is not a *ProtocolError with a known code", err)
	}
}

func FuzzServerHello(f *testing.F) {
	tr := handshake(f, seeded(fuzzSeed))
	f.Add(tr.hello)
	f.Add(tr.hello[:helloSize-1])
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := NewServer(docServer(t).Secret).Hello(body)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		// The padding is not authenticated; from C' on, everything is.
		if !bytes.Equal(body[helloKeyAt:], tr.hello[helloKeyAt:]) {
			t.Fatalf("accepted a HELLO with forged octets: % x", body)
		}
	})
}

func FuzzClientWelcome(f *testing.F) {
	tr := handshake(f, seeded(fuzzSeed))
	f.Add(tr.welcome)
	f.Fuzz(func(t *testing.T, body []byte) {
		err := replayClient(t, fuzzSeed, welcomeStep).Welcome(body)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if !bytes.Equal(body, tr.welcome) {
			t.Fatalf("accepted a forged WELCOME: % x", body)
		}
	})
}

func FuzzServerInitiate(f *testing.F) {
	tr := handshake(f, seeded(fuzzSeed))
	f.Add(tr.initiate)
	f.Add(tr.initiate[:initiateMin])
	f.Fuzz(func(t *testing.T, body []byte) {
		_, s := replayServer(t, fuzzSeed)
		key, meta, err := s.Initiate(body)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if !bytes.Equal(body, tr.initiate) || key != tr.clientKey || !bytes.Equal(meta, tr.clientMeta) {
			t.Fatalf("accepted a forged INITIATE: % x", body)
		}
	})
}

func FuzzClientReady(f *testing.F) {
	tr := handshake(f, seeded(fuzzSeed))
	f.Add(tr.ready)
	f.Add(tr.ready[:readyMin])
	f.Fuzz(func(t *testing.T, body []byte) {
		meta, _, err := replayClient(t, fuzzSeed, readyStep).Ready(body)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if !bytes.Equal(body, tr.ready) || !bytes.Equal(meta, tr.serverMeta) {
			t.Fatalf("accepted a forged READY: % x", body)
		}
	})
}

func FuzzSessionOpen(f *testing.F) {
	tr := handshake(f, seeded(fuzzSeed))
	valid := map[string]bool{}
	for _, data := range []string{"", "hello", "\x04PING\x00\x00", string(make([]byte, 300))} {
		m := tr.clientSession.Seal(nil, FlagMore, []byte(data))
		valid[string(m)] = true
		f.Add(m)
	}
	f.Add([]byte(messageName))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := *tr.serverSession // a fresh receiver, still before every seed's nonce
		dst := make([]byte, 3, 8)
		out, _, err := s.Open(dst, body)
		if err != nil {
			checkFuzzError(t, err)
			if len(out) != 3 || &out[0] != &dst[0] {
				t.Fatal("failed Open did not return dst unchanged")
			}
			return
		}
		if !valid[string(body)] {
			t.Fatalf("accepted a forged MESSAGE: % x", body)
		}
	})
}
