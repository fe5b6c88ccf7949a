package curve

import "fmt"

// ErrorCommand returns the body of an ERROR command with reason, at most 255
// octets. ERROR travels in clear, as with every mechanism; libzmq sends the
// ZAP status code ("400", "500") as the reason.
func ErrorCommand(reason string) ([]byte, error) {
	if len(reason) > maxErrorReason {
		return nil, fmt.Errorf("curve: an ERROR reason is at most %d octets, not %d", maxErrorReason, len(reason))
	}
	body := make([]byte, 0, errorReasonAt+len(reason))
	body = append(body, errorName...)
	body = append(body, byte(len(reason)))
	return append(body, reason...), nil
}

// ParseError returns the reason of an ERROR command body. libzmq ignores
// octets after the reason, and so does ParseError.
func ParseError(body []byte) (reason string, err error) {
	if !hasName(body, errorName) {
		return "", protocolError(CodeUnexpectedCommand, "expected an ERROR command")
	}
	if len(body) < errorReasonAt {
		return "", protocolError(CodeMalformedError, "ERROR of %d octets has no reason length", len(body))
	}
	n := int(body[len(errorName)])
	if n > len(body)-errorReasonAt {
		return "", protocolError(CodeMalformedError,
			"ERROR reason of %d octets overruns the %d that follow", n, len(body)-errorReasonAt)
	}
	return string(body[errorReasonAt : errorReasonAt+n]), nil
}
