package zmq

import (
	"context"
	"fmt"
)

// Handler handles one received message (txZMQ's gotMessage/onPull).
type Handler func(ctx context.Context, m Msg) error

// HandlerError reports a handler that failed or panicked.
type HandlerError struct {
	Socket string // socket type, e.g. "PULL"
	Msg    Msg    // the message being handled
	Err    error  // the handler's error, or an error describing the panic
	Panic  any    // the panic value, if the handler panicked
}

func (e *HandlerError) Error() string {
	return fmt.Sprintf("zmq: %s handler: %v", e.Socket, e.Err)
}

func (e *HandlerError) Unwrap() error { return e.Err }

func serve(ctx context.Context, s *socket, recv func(context.Context) (Msg, error), h Handler) error {
	if h == nil {
		return fmt.Errorf("%w: nil Handler", ErrInvalidOption)
	}
	for {
		m, err := recv(ctx)
		if err != nil {
			return err
		}
		s.runHandler(ctx, m, func() error { return h(ctx, m) })
	}
}

// runHandler runs f, turning an error or a panic into a reported
// *HandlerError.
func (s *socket) runHandler(ctx context.Context, m Msg, f func() error) {
	var herr *HandlerError
	func() {
		defer func() {
			if p := recover(); p != nil {
				herr = &HandlerError{Socket: s.kind, Msg: m, Err: fmt.Errorf("panic: %v", p), Panic: p}
			}
		}()
		if err := f(); err != nil {
			herr = &HandlerError{Socket: s.kind, Msg: m, Err: err}
		}
	}()
	if herr != nil {
		s.handlerErrors.Add(1)
		s.f.report(herr)
	}
}
