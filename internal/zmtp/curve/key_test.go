package curve

import (
	"fmt"
	"strings"
	"testing"
)

func TestDocKeyPairsParseAndDerive(t *testing.T) {
	for _, c := range []struct {
		name                                 string
		public, publicHex, secret, secretHex string
	}{
		{"client", docClientPublic, docClientPublicHex, docClientSecret, docClientSecretHex},
		{"server", docServerPublic, docServerPublicHex, docServerSecret, docServerSecretHex},
	} {
		pub, sec := mustKey(t, c.public), mustKey(t, c.secret)
		if pub != mustHex(t, c.publicHex) || sec != mustHex(t, c.secretHex) {
			t.Errorf("%s: Z85 and hex forms of the doc keys differ", c.name)
		}
		if got := PublicFromSecret(sec); got != pub {
			t.Errorf("%s: PublicFromSecret = %s, want %s", c.name, got.Z85(), c.public)
		}
		if pub.Z85() != c.public {
			t.Errorf("%s: Z85() = %s, want %s", c.name, pub.Z85(), c.public)
		}
	}
}

func TestGenerateKeyPair(t *testing.T) {
	a, b := GenerateKeyPair(), GenerateKeyPair()
	if a.Public != PublicFromSecret(a.Secret) {
		t.Error("generated public key does not belong to the secret key")
	}
	if a.Secret == b.Secret || a.Public == b.Public {
		t.Error("two generated key pairs are equal")
	}
}

func TestParseKeyErrorsNeverQuoteTheKey(t *testing.T) {
	cases := map[string]struct{ text, want string }{
		"short":     {docServerSecret[:39], "40 characters, not 39"},
		"long":      {docServerSecret + "x", "40 characters, not 41"},
		"character": {docServerSecret[:12] + "\"" + docServerSecret[13:], "position 12"},
		"overflow":  {"#####" + docServerSecret[5:], "exceeds 32 bits"},
	}
	for name, c := range cases {
		_, err := ParseKey(c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, c.want)
			continue
		}
		for i := 0; i+5 <= len(c.text); i++ {
			if strings.Contains(err.Error(), c.text[i:i+5]) {
				t.Errorf("%s: error %q quotes the key", name, err)
				break
			}
		}
	}
	if _, err := KeyFromBytes(make([]byte, 31)); err == nil || !strings.Contains(err.Error(), "32 bytes, not 31") {
		t.Errorf("KeyFromBytes(31 bytes): %v, want a length error", err)
	}
}

func TestKeyPairFormattingHidesTheSecret(t *testing.T) {
	kp := docServer(t)
	secretHex := strings.ToLower(docServerSecretHex)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		got := fmt.Sprintf(verb, kp)
		if strings.Contains(got, docServerSecret) || strings.Contains(strings.ToLower(got), secretHex) ||
			strings.Contains(got, fmt.Sprint(kp.Secret[0], " ", kp.Secret[1])) {
			t.Errorf("Sprintf(%q) = %q shows the secret key", verb, got)
		}
		if !strings.Contains(got, docServerPublic) {
			t.Errorf("Sprintf(%q) = %q lacks the public key", verb, got)
		}
	}
}
