package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/zmqx/zmq"
)

// printer writes messages to stdout, one per line, buffered: callers flush
// before they wait for the next message.
type printer struct {
	w     *bufio.Writer
	delim []byte
	enc   *json.Encoder // nil: text format
}

func newPrinter(w io.Writer, cfg *config) *printer {
	p := &printer{w: bufio.NewWriter(w), delim: cfg.delim}
	if cfg.json {
		p.enc = json.NewEncoder(p.w)
		p.enc.SetEscapeHTML(false)
	}
	return p
}

// binaryFrame is how the json format shows a frame that is not valid UTF-8.
type binaryFrame struct {
	Base64 string `json:"base64"`
}

func (p *printer) print(m zmq.Msg) error {
	if p.enc != nil {
		frames := make([]any, len(m.Frames))
		for i, f := range m.Frames {
			if utf8.Valid(f) {
				frames[i] = string(f)
			} else {
				frames[i] = binaryFrame{base64.StdEncoding.EncodeToString(f)}
			}
		}
		return p.enc.Encode(frames) // Encode ends the line
	}
	for i, f := range m.Frames {
		if i > 0 {
			p.w.Write(p.delim)
		}
		p.w.Write(f)
	}
	return p.w.WriteByte('\n') // a bufio.Writer keeps its first error
}

func (p *printer) flush() error { return p.w.Flush() }

// splitFrames splits a text line into frames on the delimiter.
func splitFrames(line, delim []byte) [][]byte {
	return bytes.Split(line, delim)
}

// decodeLine turns one stdin line into a message: in text format its
// frames split on the delimiter, in json format a JSON array of frames as
// the printer writes them.
func decodeLine(b []byte, cfg *config) (zmq.Msg, error) {
	if !cfg.json {
		return zmq.Msg{Frames: splitFrames(b, cfg.delim)}, nil
	}
	frames, err := parseJSONFrames(b)
	if err != nil {
		return zmq.Msg{}, err
	}
	return zmq.Msg{Frames: frames}, nil
}

// parseJSONFrames reads a JSON array of frames, each a string or
// {"base64": "..."}, with nothing after it.
func parseJSONFrames(b []byte) ([][]byte, error) {
	const want = `want a JSON array of frames, each a string or {"base64": "..."}`
	var raw []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %v", want, err)
	}
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		return nil, fmt.Errorf("%s, alone on its line; found %q after it", want, rest)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: the array is empty, and a message has at least one frame", want)
	}
	frames := make([][]byte, len(raw))
	for i, r := range raw {
		f, err := parseJSONFrame(r)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", i+1, err)
		}
		frames[i] = f
	}
	return frames, nil
}

func parseJSONFrame(r json.RawMessage) ([]byte, error) {
	switch {
	case len(r) > 0 && r[0] == '"':
		var s string
		err := json.Unmarshal(r, &s)
		return []byte(s), err
	case len(r) > 0 && r[0] == '{':
		var bf struct {
			Base64 *string `json:"base64"`
		}
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&bf); err != nil || bf.Base64 == nil {
			return nil, fmt.Errorf(`want {"base64": "..."}, got %s`, r)
		}
		f, err := base64.StdEncoding.DecodeString(*bf.Base64)
		if err != nil {
			return nil, fmt.Errorf("bad base64 %q: %v", *bf.Base64, err)
		}
		return f, nil
	}
	return nil, fmt.Errorf(`want a string or {"base64": "..."}, got %s`, r)
}

// line is one line of stdin without its line ending, or the error that
// ended reading.
type line struct {
	b   []byte
	err error
}

// input is stdin, line by line.
type input struct {
	lines <-chan line // closed at end of input; a read error comes as the last line
	// ended is closed once stdin has ended: the lines still to come, if
	// any, are already read. With more than readAhead lines still to
	// come it waits for them to be taken.
	ended <-chan struct{}
}

// readAhead is how many lines readInput reads before they are taken: a
// short input is then read to its end, and its end known, even while the
// first line still waits for a peer.
const readAhead = 64

// readInput reads r line by line. A CR before the newline is dropped.
//
// Reading stdin cannot be interrupted, so when zmqcat stops early this
// goroutine stays blocked in Read until the process exits.
func readInput(r io.Reader) *input {
	ch := make(chan line, readAhead)
	ended := make(chan struct{})
	go func() {
		defer close(ch)
		br := bufio.NewReader(r)
		for {
			b, err := br.ReadBytes('\n')
			if err != nil {
				close(ended)
			}
			if len(b) > 0 {
				b = bytes.TrimSuffix(b, []byte{'\n'})
				ch <- line{b: bytes.TrimSuffix(b, []byte{'\r'})}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					ch <- line{err: err}
				}
				return
			}
		}
	}()
	return &input{lines: ch, ended: ended}
}
