package auth

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/zmqx/zmq"
	"github.com/zmqx/zmq/internal/brief"
)

// Certificate files are ZPL text (ZeroMQ RFC 4), as pyzmq's
// zmq.auth.create_certificates and CZMQ's zcert write them:
//
//	metadata
//	    name = "value"                           (any number)
//	curve
//	    public-key = "<40 Z85 characters>"
//	    secret-key = "<40 Z85 characters>"     (secret certificate only)
//
// pyzmq names the pair "<name>.key" and "<name>.key_secret"; CZMQ "<name>"
// and "<name>_secret".

// maxCertSize bounds what is read of a certificate file.
const maxCertSize = 64 << 10

// Certificate is what a certificate file holds: a CURVE key pair, whose
// Secret is empty for a public certificate, and the metadata section.
type Certificate struct {
	zmq.CurveKeyPair
	// Metadata are the entries of the "metadata" section, whatever they
	// mean to the program that wrote them: LoadCertificate keeps them
	// (of a name given twice, the last), WriteCertificate writes them back.
	// Names are ZPL names: 1 to 255 letters, digits and "$-_@.&+/"; lines
	// with other names are skipped. A value cannot hold a line break, or
	// both kinds of quotes: ZPL has no escapes.
	Metadata map[string]string
}

// LoadCertificate reads a certificate file. For a public certificate the
// key pair's Secret is empty; for a secret certificate both keys are
// returned, after checking that they belong together. Errors never quote
// the secret key.
func LoadCertificate(path string) (Certificate, error) {
	data, err := readCert(path)
	if err != nil {
		return Certificate{}, fmt.Errorf("auth: LoadCertificate: %w", err)
	}
	c, err := parseCert(data, true)
	if err != nil {
		return Certificate{}, fmt.Errorf("auth: LoadCertificate %s: %w", path, err)
	}
	if c.Public == "" {
		return Certificate{}, fmt.Errorf("auth: LoadCertificate %s: no curve public-key", path)
	}
	if c.Secret != "" {
		pub, err := zmq.CurvePublicKey(c.Secret)
		if err != nil {
			return Certificate{}, fmt.Errorf("auth: LoadCertificate %s: secret-key: %w", path, err)
		}
		if pub != c.Public {
			return Certificate{}, fmt.Errorf("auth: LoadCertificate %s: secret-key does not belong to public-key %q", path, c.Public)
		}
	}
	return c, nil
}

// WriteCertificate writes c as a certificate pair in dir, in the format of
// pyzmq's zmq.auth.create_certificates: "<name>.key" holds the public key
// (mode 0644), and "<name>.key_secret" both keys (mode 0600; written only
// when c.Secret is set). Both hold c.Metadata, in name order. Existing
// files are replaced. It returns the paths written.
func WriteCertificate(dir, name string, c Certificate) (publicFile, secretFile string, err error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return "", "", fmt.Errorf("auth: WriteCertificate: bad certificate name %s", brief.Quote(name))
	}
	if err := checkPublicKey(c.Public); err != nil {
		return "", "", fmt.Errorf("auth: WriteCertificate: %w", err)
	}
	if c.Secret != "" {
		pub, err := zmq.CurvePublicKey(c.Secret)
		if err != nil {
			return "", "", fmt.Errorf("auth: WriteCertificate: secret key: %w", err)
		}
		if pub != c.Public {
			return "", "", fmt.Errorf("auth: WriteCertificate: the secret key does not belong to public key %q", c.Public)
		}
	}
	meta, err := zplMetadata(c.Metadata)
	if err != nil {
		return "", "", fmt.Errorf("auth: WriteCertificate: %w", err)
	}
	stamp := time.Now().UTC().Format(time.RFC3339)
	publicFile = filepath.Join(dir, name+".key")
	pubText := "#   ZeroMQ CURVE public certificate, written " + stamp + " by github.com/zmqx/zmq/auth\n" +
		"#   Share it with the servers that should admit this key.\n\n" +
		meta + "curve\n    public-key = \"" + c.Public + "\"\n"
	if err := writeFileAtomic(publicFile, []byte(pubText), 0o644); err != nil {
		return "", "", fmt.Errorf("auth: WriteCertificate: %w", err)
	}
	if c.Secret == "" {
		return publicFile, "", nil
	}
	secretFile = publicFile + "_secret"
	secText := "#   ZeroMQ CURVE **secret** certificate, written " + stamp + " by github.com/zmqx/zmq/auth\n" +
		"#   Keep it private: whoever reads it can act as its owner.\n\n" +
		meta + "curve\n    public-key = \"" + c.Public + "\"\n    secret-key = \"" + c.Secret + "\"\n"
	if err := writeFileAtomic(secretFile, []byte(secText), 0o600); err != nil {
		return "", "", fmt.Errorf("auth: WriteCertificate: %w", err)
	}
	return publicFile, secretFile, nil
}

// zplMetadata formats the metadata section, in name order. A value is
// written in double quotes, or in single quotes when it holds a double
// quote: ZPL has no escapes, so a value holding both, or a line break,
// cannot be written.
func zplMetadata(m map[string]string) (string, error) {
	var b strings.Builder
	b.WriteString("metadata\n")
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if !zplName(name) {
			return "", fmt.Errorf("metadata name %s: want 1 to 255 letters, digits and \"$-_@.&+/\"", brief.Quote(name))
		}
		v := m[name]
		q := `"`
		switch {
		case strings.ContainsAny(v, "\r\n\x00"):
			return "", fmt.Errorf("metadata %s: a value cannot hold a line break or NUL", name)
		case strings.Contains(v, `"`) && strings.Contains(v, "'"):
			return "", fmt.Errorf("metadata %s: a value cannot hold both kinds of quotes", name)
		case strings.Contains(v, `"`):
			q = "'"
		}
		b.WriteString("    " + name + " = " + q + v + q + "\n")
	}
	return b.String(), nil
}

// zplName reports whether s is a ZPL name.
func zplName(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for _, c := range []byte(s) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("$-_@.&+/", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// writeFileAtomic writes through a temporary file and a rename, so a
// directory being reloaded never shows a half-written certificate.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-cert-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}

// loadCurveDir returns the public keys of the public certificates in dir.
func loadCurveDir(dir string) (map[string]struct{}, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	keys := make(map[string]struct{}, len(ents))
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "_secret") {
			continue
		}
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path) // follows symbolic links
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // removed while we read, or a dangling link
			}
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		data, err := readCert(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, err
		}
		c, err := parseCert(data, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if c.Public != "" {
			keys[c.Public] = struct{}{}
		}
	}
	return keys, nil
}

func readCert(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCertSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxCertSize {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a certificate", path, maxCertSize)
	}
	return data, nil
}

// parseCert reads the metadata and curve sections of a ZPL certificate. A
// file with no curve section gives no keys and no error; a curve section
// with a bad public key is an error. The secret key is only kept when
// wantSecret.
func parseCert(data []byte, wantSecret bool) (Certificate, error) {
	var c Certificate
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxCertSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		body := strings.TrimLeft(line, " \t")
		if body == "" || body[0] == '#' {
			continue
		}
		indent := zplIndent(line[:len(line)-len(body)])
		name, value, hasValue := strings.Cut(body, "=")
		name = strings.TrimSpace(name)
		if indent == 0 {
			section = name
			continue
		}
		if indent != 1 || !hasValue {
			continue
		}
		switch section {
		case "metadata":
			if !zplName(name) {
				continue // not ZPL: no program could have meant it
			}
			v, err := zplValue(value)
			if err != nil {
				return Certificate{}, fmt.Errorf("line %d: metadata %s: %w", n, brief.Quote(name), err)
			}
			if c.Metadata == nil {
				c.Metadata = make(map[string]string)
			}
			c.Metadata[name] = v
		case "curve":
			if err := c.parseKey(n, name, value, wantSecret); err != nil {
				return Certificate{}, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return Certificate{}, err
	}
	return c, nil
}

// parseKey reads one entry of the curve section, line n.
func (c *Certificate) parseKey(n int, name, value string, wantSecret bool) error {
	switch name {
	case "public-key":
		v, err := zplValue(value)
		if err != nil {
			return fmt.Errorf("line %d: public-key: %w", n, err)
		}
		if err := checkPublicKey(v); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		c.Public = v
	case "secret-key":
		if !wantSecret {
			return nil
		}
		v, err := zplValue(value)
		if err == nil && len(v) != 40 {
			err = errors.New("not 40 characters (Z85)")
		}
		if err == nil {
			if _, derr := zmq.Z85Decode(v); derr != nil {
				err = errors.New("not valid Z85")
			}
		}
		if err != nil {
			return fmt.Errorf("line %d: secret-key: %w", n, err)
		}
		c.Secret = v
	}
	return nil
}

// zplIndent returns the nesting level of a ZPL line: four spaces (or a tab)
// per level.
func zplIndent(ws string) int {
	n := 0
	for _, r := range ws {
		if r == '\t' {
			n += 4
		} else {
			n++
		}
	}
	return (n + 3) / 4
}

// zplValue unquotes a ZPL value as CZMQ's zconfig reads it: "text" or
// 'text', or else the text up to a comment, without the spaces around it.
func zplValue(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v != "" && (v[0] == '"' || v[0] == '\'') {
		end := strings.IndexByte(v[1:], v[0])
		if end < 0 {
			return "", errors.New("unterminated quoted value")
		}
		return v[1 : 1+end], nil
	}
	if i := strings.IndexByte(v, '#'); i >= 0 {
		v = strings.TrimRight(v[:i], " \t")
	}
	return v, nil
}
