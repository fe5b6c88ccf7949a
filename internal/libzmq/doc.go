// Package libzmq is the libzmq engine: libzmq sockets, through cgo, served
// from Go's netpoller.
//
// Each Socket owns one libzmq socket and a dup of its notification fd
// (ZMQ_FD). The rules, which together rule out lost wake-ups:
//
//   - Every libzmq call on a socket, Close included, runs under the socket's
//     mutex, and none of them blocks (ZMQ_DONTWAIT).
//   - A caller first tries its operation. Only when it gets EAGAIN does it
//     read ZMQ_EVENTS (which processes libzmq's pending commands, so any later
//     command re-arms the fd) and, if the socket is still not ready, queue up
//     and park.
//   - At most one waiter, the poller, parks in the netpoller on the fd
//     itself; the others park on channels. The poller is the head of its
//     queue and takes the role when nobody holds it. On each edge it reads
//     ZMQ_EVENTS, wakes the head waiter of the other direction if that one
//     can proceed, and leaves to retry when its own direction can. So the
//     usual case, one goroutine waiting per socket, is woken by the
//     netpoller directly, with no goroutine in between.
//   - After every libzmq call, whichever goroutine made it, if anybody waits,
//     ZMQ_EVENTS is read again and ready waiters are woken: the call may have
//     consumed the fd's edge (txZMQ's "serious bug"). If nobody holds the
//     poller role then, the heads are woken to take it.
//
// Waiters are served first-in first-out per direction: only a queue's head
// is woken when the socket becomes ready. Where readiness is only a hint
// (a ROUTER with the mandatory option is ready when any peer has room),
// a head that still cannot proceed passes the turn down its queue, so that
// a send waiting for one peer never holds back one waiting for another
// (passTurnLocked). There the rules above leave one gap, as readiness no
// longer names who can proceed: a command that reaches libzmq in the
// instant between a waiter's check of the fd and its own call, and that
// the call consumes without proceeding, may have made room for a waiter
// ahead of it, which then waits for the socket's next command.
//
// A cancelled waiter consumes nothing: messages are only taken out of
// libzmq by a caller that is still going to return them.
package libzmq
