package auth

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zmqx/zmq"
)

// Certificate files are ZPL text (ZeroMQ RFC 4), as pyzmq's
// zmq.auth.create_certificates and CZMQ's zcert write them:
//
//	metadata
//	curve
//	    public-key = "<40 Z85 characters>"
//	    secret-key = "<40 Z85 characters>"     (secret certificate only)
//
// pyzmq names the pair "<name>.key" and "<name>.key_secret"; CZMQ "<name>"
// and "<name>_secret".

// maxCertSize bounds what is read of a certificate file.
const maxCertSize = 64 << 10

// LoadCertificate reads a certificate file. For a public certificate the
// key pair's Secret is empty; for a secret certificate both keys are
// returned, after checking that they belong together. Errors never quote
// the secret key.
func LoadCertificate(path string) (zmq.CurveKeyPair, error) {
	data, err := readCert(path)
	if err != nil {
		return zmq.CurveKeyPair{}, fmt.Errorf("auth: LoadCertificate: %w", err)
	}
	c, err := parseCert(data, true)
	if err != nil {
		return zmq.CurveKeyPair{}, fmt.Errorf("auth: LoadCertificate %s: %w", path, err)
	}
	if c.public == "" {
		return zmq.CurveKeyPair{}, fmt.Errorf("auth: LoadCertificate %s: no curve public-key", path)
	}
	kp := zmq.CurveKeyPair{Public: c.public, Secret: c.secret}
	if kp.Secret != "" {
		pub, err := zmq.CurvePublicKey(kp.Secret)
		if err != nil {
			return zmq.CurveKeyPair{}, fmt.Errorf("auth: LoadCertificate %s: secret-key: %w", path, err)
		}
		if pub != kp.Public {
			return zmq.CurveKeyPair{}, fmt.Errorf("auth: LoadCertificate %s: secret-key does not belong to public-key %q", path, kp.Public)
		}
	}
	return kp, nil
}

// WriteCertificate writes kp as a certificate pair in dir, in the format of
// pyzmq's zmq.auth.create_certificates: "<name>.key" holds the public key
// (mode 0644), and "<name>.key_secret" both keys (mode 0600; written only
// when kp.Secret is set). Existing files are replaced. It returns the paths
// written.
func WriteCertificate(dir, name string, kp zmq.CurveKeyPair) (publicFile, secretFile string, err error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return "", "", fmt.Errorf("auth: WriteCertificate: bad certificate name %q", name)
	}
	if err := checkPublicKey(kp.Public); err != nil {
		return "", "", fmt.Errorf("auth: WriteCertificate: %w", err)
	}
	if kp.Secret != "" {
		pub, err := zmq.CurvePublicKey(kp.Secret)
		if err != nil {
			return "", "", fmt.Errorf("auth: WriteCertificate: secret key: %w", err)
		}
		if pub != kp.Public {
			return "", "", fmt.Errorf("auth: WriteCertificate: the secret key does not belong to public key %q", kp.Public)
		}
	}
	stamp := time.Now().UTC().Format(time.RFC3339)
	publicFile = filepath.Join(dir, name+".key")
	pubText := "#   ZeroMQ CURVE public certificate, written " + stamp + " by github.com/zmqx/zmq/auth\n" +
		"#   Share it with the servers that should admit this key.\n\n" +
		"metadata\ncurve\n    public-key = \"" + kp.Public + "\"\n"
	if err := writeFileAtomic(publicFile, []byte(pubText), 0o644); err != nil {
		return "", "", fmt.Errorf("auth: WriteCertificate: %w", err)
	}
	if kp.Secret == "" {
		return publicFile, "", nil
	}
	secretFile = publicFile + "_secret"
	secText := "#   ZeroMQ CURVE **secret** certificate, written " + stamp + " by github.com/zmqx/zmq/auth\n" +
		"#   Keep it private: whoever reads it can act as its owner.\n\n" +
		"metadata\ncurve\n    public-key = \"" + kp.Public + "\"\n    secret-key = \"" + kp.Secret + "\"\n"
	if err := writeFileAtomic(secretFile, []byte(secText), 0o600); err != nil {
		return "", "", fmt.Errorf("auth: WriteCertificate: %w", err)
	}
	return publicFile, secretFile, nil
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
		if c.public != "" {
			keys[c.public] = struct{}{}
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

type cert struct {
	public, secret string
}

// parseCert reads the curve section of a ZPL certificate. A file with no
// curve section gives an empty cert and no error; a curve section with a
// bad public key is an error. The secret key is only kept when wantSecret.
func parseCert(data []byte, wantSecret bool) (cert, error) {
	var c cert
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
		if section != "curve" || indent != 1 || !hasValue {
			continue
		}
		switch name {
		case "public-key":
			v, err := zplValue(value)
			if err != nil {
				return cert{}, fmt.Errorf("line %d: public-key: %w", n, err)
			}
			if err := checkPublicKey(v); err != nil {
				return cert{}, fmt.Errorf("line %d: %w", n, err)
			}
			c.public = v
		case "secret-key":
			if !wantSecret {
				continue
			}
			v, err := zplValue(value)
			if err == nil && len(v) != 40 {
				err = errors.New("not 40 characters (Z85)")
			}
			if err == nil {
				_, err = zmq.Z85Decode(v)
				if err != nil {
					err = errors.New("not valid Z85")
				}
			}
			if err != nil {
				return cert{}, fmt.Errorf("line %d: secret-key: %w", n, err)
			}
			c.secret = v
		}
	}
	if err := sc.Err(); err != nil {
		return cert{}, err
	}
	return c, nil
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

// zplValue unquotes a ZPL value: "text", 'text', or a bare word.
func zplValue(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", errors.New("empty value")
	}
	if q := v[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(v[1:], q)
		if end < 0 {
			return "", errors.New("unterminated quoted value")
		}
		return v[1 : 1+end], nil
	}
	if i := strings.IndexAny(v, " \t"); i >= 0 {
		v = v[:i]
	}
	return v, nil
}
