package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
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

// line is one line of stdin without its newline, or the error that ended
// reading.
type line struct {
	b   []byte
	err error
}

// readLines reads r line by line into the returned channel, which is
// closed at end of input. A read error is delivered as the last line.
//
// Reading stdin cannot be interrupted, so when zmqcat stops early this
// goroutine stays blocked in Read until the process exits.
func readLines(r io.Reader) <-chan line {
	ch := make(chan line)
	go func() {
		defer close(ch)
		br := bufio.NewReader(r)
		for {
			b, err := br.ReadBytes('\n')
			if len(b) > 0 {
				ch <- line{b: bytes.TrimSuffix(b, []byte{'\n'})}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					ch <- line{err: err}
				}
				return
			}
		}
	}()
	return ch
}
