package z85

import (
	"bytes"
	"strings"
	"testing"
)

func TestHelloWorldVector(t *testing.T) {
	raw := []byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B}
	got, err := Encode(raw)
	if err != nil || got != "HelloWorld" {
		t.Fatalf("Encode = %q, %v; want HelloWorld", got, err)
	}
	back, err := Decode("HelloWorld")
	if err != nil || !bytes.Equal(back, raw) {
		t.Fatalf("Decode(HelloWorld) = % x, %v; want % x", back, err, raw)
	}
}

func TestRoundTripEveryByteValue(t *testing.T) {
	raw := make([]byte, 256)
	for i := range raw {
		raw[i] = byte(i)
	}
	text, err := Encode(raw)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(text)
	if err != nil || !bytes.Equal(back, raw) {
		t.Fatalf("round trip lost bytes: %v", err)
	}
}

func TestRejectsBadInputWithoutQuotingIt(t *testing.T) {
	secret := "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
	cases := map[string]struct {
		in   string
		want string
	}{
		"length":       {secret[:39], "multiple of 5"},
		"character":    {secret[:7] + "\"" + secret[8:], "position 7"},
		"overflow":     {"#####" + secret[5:], "exceeds 32 bits"},
		"space":        {secret[:39] + " ", "position 39"},
		"non-ascii":    {secret[:38] + "é", "position 38"},
		"empty groups": {"", ""},
	}
	for name, c := range cases {
		_, err := Decode(c.in)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: Decode(%q) = %v, want success", name, c.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, c.want)
			continue
		}
		for i := 0; i+4 <= len(secret); i++ {
			if strings.Contains(err.Error(), secret[i:i+4]) {
				t.Errorf("%s: error %q quotes the input", name, err)
				break
			}
		}
	}
	if _, err := Encode(make([]byte, 5)); err == nil || !strings.Contains(err.Error(), "5 bytes") {
		t.Errorf("Encode of 5 bytes: %v, want a length error", err)
	}
	if err := DecodeInto(make([]byte, 3), "HelloWorld"); err == nil {
		t.Error("DecodeInto accepted a destination of the wrong size")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("HelloWorld")
	f.Add("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")
	f.Add("%%%%%")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Decode(s)
		if err != nil {
			return
		}
		again, err := Encode(b)
		if err != nil || again != s {
			t.Fatalf("Decode then Encode of %q gave %q, %v", s, again, err)
		}
	})
}
