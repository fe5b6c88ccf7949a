//go:build linux

package zmq_test

// Network faults between real hosts: Linux network namespaces joined by
// veth pairs, whose links are taken down, flapped or deleted under load.
//
// TestNetworkFaults builds, per scenario, a star of namespaces named
// zmqt-<pid>-r<scenario>-<host>: B in the middle, joined to A (and to C) by a veth
// pair with addresses in 10.<run>.<link>.0/24; in each namespace the
// interface towards host h is "to<h>". Each role is this test binary
// re-executed inside a namespace (ip netns exec <ns> <test binary>
// -test.run '^TestNetworkFaultsChild$') with the role and its parameters in the
// environment. A role writes reports to stdout as lines "zmqt <verb> k=v ...",
// with wall-clock times in nanoseconds (t=...), and reads commands from stdin;
// it stops when its stdin closes. Faults are made from the parent with ip:
// link down/up, kill -9, ip netns del. Traffic only flows between the
// namespaces' own addresses: the namespaces have no other route.
//
// It skips, saying why, when not root or when ip netns cannot be used.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmq"
)

const (
	hostRoleEnv      = "ZMQT_NETFAULTS_ROLE"
	hostParamsEnv    = "ZMQT_NETFAULTS_PARAMS"
	hostNSPrefix     = "zmqt-"
	hostReportPrefix = "zmqt "
)

// Heartbeat settings of the scenarios that use them.
const (
	hostHBIvl     = 100 * time.Millisecond
	hostHBTimeout = 300 * time.Millisecond
)

// ---------------------------------------------------------------------------
// The parent: topology, child processes, reports.

// hostRun is what the scenarios of one run share.
type hostRun struct {
	exe   string // the test binary, re-executed inside the namespaces
	pid   int
	octet int // this run's addresses are 10.octet.0.0/16
}

// TestNetworkFaults runs each scenario in a topology of its own.
func TestNetworkFaults(t *testing.T) {
	if os.Getenv(hostRoleEnv) != "" {
		t.Skip("running as a network-faults child")
	}
	run := hostPrepare(t)
	scenarios := []struct {
		name string
		fn   func(*testing.T, *hostTopo)
		// hosts of the star, B always in the middle
		hosts string
	}{
		{"heartbeat-detects-downed-link", hostHeartbeatDetectsDownedLink, "ab"},
		{"no-heartbeat-misses-downed-link", hostNoHeartbeatMissesDownedLink, "ab"},
		{"push-pull-across-link-flap", hostPushPullAcrossLinkFlap, "ab"},
		{"req-released-when-host-vanishes", hostReqReleasedWhenHostVanishes, "ab"},
		{"sub-recovers-from-link-flap", hostSubRecoversFromLinkFlap, "abc"},
		{"curve-allows-by-address", hostCurveAllowsByAddress, "abc"},
		{"half-open-handshake-closed", hostHalfOpenHandshakeClosed, "abc"},
		{"epgm", hostEPGM, "ab"},
	}
	for i, r := range scenarios {
		t.Run(r.name, func(t *testing.T) {
			r.fn(t, run.topology(t, i+1, r.hosts))
		})
	}
}

// hostPrepare skips unless namespaces can be made here, removes the
// namespaces of earlier runs that died, and returns the run's settings.
func hostPrepare(t *testing.T) *hostRun {
	t.Helper()
	if euid := os.Geteuid(); euid != 0 {
		t.Skipf("network-faults tests skipped: creating network namespaces needs root (euid %d)", euid)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skipf("network-faults tests skipped: no ip command (Debian iproute2): %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("network-faults tests skipped: cannot find the test binary to re-execute: %v", err)
	}
	pid := os.Getpid()
	probe := fmt.Sprintf("%s%d-probe", hostNSPrefix, pid)
	if out, err := hostIP("netns", "add", probe); err != nil {
		t.Skipf("network-faults tests skipped: `ip netns add` does not work here: %v: %s", err, bytes.TrimSpace(out))
	}
	out, execErr := hostIP("netns", "exec", probe, exe, "-test.run=^$", "-test.count=1")
	if out, err := hostIP("netns", "del", probe); err != nil {
		t.Fatalf("ip netns del %s: %v: %s", probe, err, out)
	}
	if execErr != nil {
		t.Skipf("network-faults tests skipped: `ip netns exec` of the test binary does not work here: %v: %s", execErr, bytes.TrimSpace(out))
	}
	hostSweep(t)
	return &hostRun{exe: exe, pid: pid, octet: 64 + pid%128}
}

// hostIP runs the ip command.
func hostIP(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "ip", args...).CombinedOutput()
}

// hostSweep deletes namespaces left by earlier runs that crashed: those
// named with our prefix whose process is gone (or is no test binary any
// more). Namespaces of runs still going are left alone.
func hostSweep(t *testing.T) {
	out, err := hostIP("netns", "list")
	if err != nil {
		t.Logf("ip netns list: %v: %s", err, out)
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], hostNSPrefix) {
			continue
		}
		name := f[0]
		pidStr, _, _ := strings.Cut(strings.TrimPrefix(name, hostNSPrefix), "-")
		if pid, err := strconv.Atoi(pidStr); err == nil && hostTestAlive(pid) {
			continue
		}
		if out, err := hostIP("netns", "del", name); err != nil {
			t.Logf("removing leftover namespace %s: %v: %s", name, err, out)
		} else {
			t.Logf("removed leftover namespace %s of a run that is gone", name)
		}
	}
}

// hostTestAlive reports whether pid is a running test binary.
func hostTestAlive(pid int) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	return strings.HasSuffix(strings.TrimSuffix(exe, " (deleted)"), ".test")
}

// hostTopo is one scenario's namespaces: a star with B in the middle.
type hostTopo struct {
	t    *testing.T
	run  *hostRun
	num  int
	ns   map[string]string // host ("a", "b", "c") -> namespace
	addr map[string]string // "a", "c": the leaf's address; "b-a", "b-c": B's address on that link
}

// topology creates the namespaces of hosts (a string such as "abc"), the
// veth pairs from B to each other host, addresses and links up; they are
// deleted when the test ends.
func (r *hostRun) topology(t *testing.T, num int, hosts string) *hostTopo {
	t.Helper()
	n := &hostTopo{t: t, run: r, num: num, ns: map[string]string{}, addr: map[string]string{}}
	for _, h := range hosts {
		host := string(h)
		name := fmt.Sprintf("%s%d-r%d-%s", hostNSPrefix, r.pid, num, host)
		n.mustIP("netns", "add", name)
		n.ns[host] = name
		t.Cleanup(func() {
			if _, err := os.Stat("/run/netns/" + name); err != nil {
				return // already gone (the vanished-host scenario deletes B itself)
			}
			if out, err := hostIP("netns", "del", name); err != nil {
				t.Errorf("ip netns del %s: %v: %s", name, err, out)
			}
		})
		n.mustIP("-n", name, "link", "set", "lo", "up")
	}
	link := 0
	for _, h := range hosts {
		leaf := string(h)
		if leaf == "b" {
			continue
		}
		link++
		subnet := fmt.Sprintf("10.%d.%d", r.octet, num*4+link)
		n.addr[leaf] = subnet + ".1"
		n.addr["b-"+leaf] = subnet + ".2"
		n.mustIP("link", "add", "tob", "netns", n.ns[leaf], "type", "veth", "peer", "name", "to"+leaf, "netns", n.ns["b"])
		n.mustIP("-n", n.ns[leaf], "addr", "add", subnet+".1/24", "dev", "tob")
		n.mustIP("-n", n.ns["b"], "addr", "add", subnet+".2/24", "dev", "to"+leaf)
		n.mustIP("-n", n.ns[leaf], "link", "set", "tob", "up")
		n.mustIP("-n", n.ns["b"], "link", "set", "to"+leaf, "up")
		// Static neighbour entries: after a carrier flap the kernel
		// flushes and re-resolves ARP, which added 0.3-0.9 s to the
		// reconnection here; the scenarios measure libzmq and the binding.
		n.mustIP("-n", n.ns[leaf], "neigh", "replace", n.addr["b-"+leaf], "lladdr", n.mac("b", "to"+leaf), "dev", "tob", "nud", "permanent")
		n.mustIP("-n", n.ns["b"], "neigh", "replace", n.addr[leaf], "lladdr", n.mac(leaf, "tob"), "dev", "to"+leaf, "nud", "permanent")
	}
	return n
}

// mac returns the hardware address of host's interface dev.
func (n *hostTopo) mac(host, dev string) string {
	n.t.Helper()
	out, err := hostIP("-n", n.ns[host], "-o", "link", "show", "dev", dev)
	if err != nil {
		n.t.Fatalf("ip -n %s link show dev %s: %v: %s", n.ns[host], dev, err, out)
	}
	f := strings.Fields(string(out))
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "link/ether" {
			return f[i+1]
		}
	}
	n.t.Fatalf("no link/ether address in %q", out)
	return ""
}

func (n *hostTopo) mustIP(args ...string) {
	n.t.Helper()
	if out, err := hostIP(args...); err != nil {
		n.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
}

// setLink sets host's interface towards peer "up" or "down". It returns
// the time just before the change was asked for.
func (n *hostTopo) setLink(host, peer, state string) time.Time {
	n.t.Helper()
	start := time.Now()
	n.mustIP("-n", n.ns[host], "link", "set", "to"+peer, state)
	n.t.Logf("link %s->%s %s (ip took %v)", host, peer, state, time.Since(start).Round(time.Microsecond))
	return start
}

// tcp returns a tcp endpoint with a wildcard port on an address of n.addr.
func (n *hostTopo) tcp(addrKey string) string {
	return "tcp://" + n.addr[addrKey] + ":*"
}

// hostProc is a role running in a namespace.
type hostProc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr hostBuf

	mu      sync.Mutex
	reports []hostReport
	other   []string      // stdout lines that are not reports (test output)
	changed chan struct{} // closed and replaced on every change
	exited  bool
	waitErr error
	killed  bool
	done    chan struct{} // closed once the process was reaped
}

// start runs role in host's namespace with params; the process is stopped
// (stdin closed, then killed if it lingers) and reaped when the test ends.
func (n *hostTopo) start(host, role string, params map[string]string) *hostProc {
	t := n.t
	t.Helper()
	pj, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", n.ns[host], n.run.exe,
		"-test.run=^TestNetworkFaultsChild$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), hostRoleEnv+"="+role, hostParamsEnv+"="+string(pj))
	// ip netns exec execs the test binary in place, so this reaches it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &hostProc{t: t, name: role + "@" + strings.ToUpper(host), cmd: cmd,
		changed: make(chan struct{}), done: make(chan struct{})}
	cmd.Stderr = &p.stderr
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	go p.read(stdout)
	t.Cleanup(p.stop)
	return p
}

// read collects stdout until EOF, then reaps the process.
func (p *hostProc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		if rest, ok := strings.CutPrefix(line, hostReportPrefix); ok {
			p.reports = append(p.reports, hostParse(rest))
		} else {
			p.other = append(p.other, line)
		}
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
	io.Copy(io.Discard, r) // after an over-long line
	err := p.cmd.Wait()
	p.mu.Lock()
	p.exited, p.waitErr = true, err
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	close(p.done)
}

// stop closes the role's stdin, which asks it to finish, and reaps it; a
// role that fails or lingers fails the test.
func (p *hostProc) stop() {
	p.stdin.Close()
	timer := time.NewTimer(20 * time.Second)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		p.cmd.Process.Kill()
		<-p.done
		p.t.Errorf("%s still running 20s after its stdin closed; killed\n%s", p.name, p.diag())
		return
	}
	p.mu.Lock()
	killed, err := p.killed, p.waitErr
	p.mu.Unlock()
	if !killed && err != nil {
		p.t.Errorf("%s failed: %v\n%s", p.name, err, p.diag())
	}
}

// kill sends SIGKILL to the role and reaps it.
func (p *hostProc) kill() {
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// send writes a command line to the role.
func (p *hostProc) send(cmd string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, cmd+"\n"); err != nil {
		p.t.Fatalf("%s: command %q: %v\n%s", p.name, cmd, err, p.diag())
	}
}

// mark returns the index of the next report, for waiting on reports that
// come after an action.
func (p *hostProc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.reports)
}

// wait waits for a report with this verb, from index from on, that match
// accepts (nil: any), until ctx ends or the process exits.
func (p *hostProc) wait(ctx context.Context, from int, verb string, match func(hostReport) bool) (hostReport, error) {
	for {
		p.mu.Lock()
		for ; from < len(p.reports); from++ {
			if r := p.reports[from]; r.verb == verb && (match == nil || match(r)) {
				p.mu.Unlock()
				return r, nil
			}
		}
		exited, err, ch := p.exited, p.waitErr, p.changed
		p.mu.Unlock()
		if exited {
			return hostReport{}, fmt.Errorf("%s exited (%v) without a %q report", p.name, err, verb)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return hostReport{}, ctx.Err()
		}
	}
}

// await is wait that fails the test, within d.
func (p *hostProc) await(d time.Duration, from int, verb string, match func(hostReport) bool) hostReport {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	r, err := p.wait(ctx, from, verb, match)
	if err != nil {
		p.t.Fatalf("%s: waiting %v for %q: %v\n%s", p.name, d, verb, err, p.diag())
	}
	return r
}

// find is wait within d that reports whether the report came.
func (p *hostProc) find(d time.Duration, from int, verb string, match func(hostReport) bool) (hostReport, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	r, err := p.wait(ctx, from, verb, match)
	return r, err == nil
}

// count counts the reports with this verb from index from on that match
// accepts.
func (p *hostProc) count(from int, verb string, match func(hostReport) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.reports[min(from, len(p.reports)):] {
		if r.verb == verb && (match == nil || match(r)) {
			n++
		}
	}
	return n
}

// diag returns the role's output, for failure messages.
func (p *hostProc) diag() string {
	p.mu.Lock()
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s reports:\n", p.name)
	for _, r := range p.reports[max(0, len(p.reports)-60):] {
		b.WriteString("  " + r.raw + "\n")
	}
	fmt.Fprintf(&b, "--- %s test output:\n", p.name)
	for _, l := range p.other[max(0, len(p.other)-40):] {
		b.WriteString("  " + l + "\n")
	}
	p.mu.Unlock()
	errs := p.stderr.String()
	if len(errs) > 4000 {
		errs = "..." + errs[len(errs)-4000:]
	}
	fmt.Fprintf(&b, "--- %s stderr:\n%s", p.name, errs)
	return b.String()
}

// hostBuf is a bytes.Buffer safe for concurrent use.
type hostBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *hostBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *hostBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// hostReport is one report line: "<verb> k=v k=v ... [msg=free text]".
type hostReport struct {
	verb string
	kv   map[string]string
	raw  string
}

func hostParse(line string) hostReport {
	r := hostReport{raw: line, kv: map[string]string{}}
	head, msg, hasMsg := strings.Cut(line, " msg=")
	if hasMsg {
		r.kv["msg"] = msg
	}
	f := strings.Fields(head)
	if len(f) > 0 {
		r.verb = f[0]
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			r.kv[k] = v
		}
	}
	return r
}

func (r hostReport) str(k string) string { return r.kv[k] }

func (r hostReport) num(k string) int64 {
	n, _ := strconv.ParseInt(r.kv[k], 10, 64)
	return n
}

func (r hostReport) time(k string) time.Time { return time.Unix(0, r.num(k)) }

func (r hostReport) dur(k string) time.Duration { return time.Duration(r.num(k)) }

// hostEvent matches monitor event reports of one type.
func hostEvent(typ zmq.EventType) func(hostReport) bool {
	return func(r hostReport) bool { return r.str("type") == typ.String() }
}

func hostMS(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
