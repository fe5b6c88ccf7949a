// Command chart turns the output of bench/run.sh into a PNG bar chart and a
// Markdown table.
//
//	bash bench/run.sh | tee bench/results/run.txt
//	cd bench/chart && go run . -in ../results/run.txt -png ../results/chart.png -md ../results/table.md
//
// The chart shows ratios to C->C of the same run for both engines of the
// package (Lib: libzmq, Go: go), each against itself and crossed with C
// (X->X, C->X, X->C): on top, the PUSH->PULL throughput over tcp per
// message size, with, if the run had them, the fast-path programs (LibB,
// GoB: SendBatch and RecvInto) as hatched bars beside their counterparts;
// in the middle, the throughput over ipc and the inproc benchmarks (the go
// engine's msgs/s over the libzmq engine's); at the bottom, the p50 and
// the p99 round trip of REQ->REP and DEALER->ROUTER per message size, and
// the PUB->SUB fan-out rate per subscriber (the slowest and the mean).
// The Markdown table has every number, with the CPU time per message of
// both sides and the fan-out's lost messages. Without -in it reads stdin.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// thrRow is one row of a throughput table of run.sh.
type thrRow struct {
	transport     string // tcp or ipc
	size          int
	combo         string // sender->receiver
	med, min, max float64
	ratio         float64 // median / C->C median
	sndCPU        float64 // median sender CPU ns per message
	rcvCPU        float64 // median receiver CPU ns per message
}

// latRow is one row of run.sh's round-trip table (microseconds).
type latRow struct {
	pattern       string // REQ->REP or DEALER->ROUTER
	size          int
	combo         string // client->server
	p50, min, max float64
	mean, p99     float64
	r50, r99      float64 // p50 and p99 / those of C->C (same pattern and size)
}

// fanRow is one row of run.sh's fan-out table.
type fanRow struct {
	combo           string  // publisher->subscribers
	minSub, meanSub float64 // msgs/s of the slowest subscriber, and the mean
	rMin, rMean     float64 // the same / C->C
	lost            int     // messages lost over all runs and subscribers
	pubCPU, subCPU  float64 // ns per message
}

// table is a table of run.sh kept as text: its column headings and rows.
type table struct {
	title string
	head  []string
	rows  [][]string
}

type results struct {
	note                       string // "Programs: ..." above the tables
	thrTitles                  map[string]string
	latTitle, fanTitle, footer string
	thr                        []thrRow
	lat                        []latRow
	fan                        []fanRow
	cpu                        table // CPU time per message per role and program
	inproc                     table // msgs/s per engine
	inprocEngines              []string
	inprocRatioCol             int // the column of Go/Lib in inproc's rows, or -1
	hasIPC, hasBatched         bool
}

func main() {
	in := flag.String("in", "", "run.sh output to read (default stdin)")
	pngPath := flag.String("png", "bench/results/chart.png", "PNG chart to write")
	mdPath := flag.String("md", "bench/results/table.md", "Markdown table to write")
	flag.Parse()
	if err := run(*in, *pngPath, *mdPath); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

func run(in, pngPath, mdPath string) error {
	var r io.Reader = os.Stdin
	name := "stdin"
	if in != "" {
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		r, name = f, in
	}
	res, err := parse(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, p := range []string{pngPath, mdPath} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(mdPath, []byte(markdown(res)), 0o644); err != nil {
		return err
	}
	return writePNG(pngPath, res)
}

// parse reads run.sh's stdout. It needs a tcp throughput table; the other
// tables are optional (run.sh's knobs can leave them out).
func parse(r io.Reader) (*results, error) {
	res := &results{thrTitles: map[string]string{}, inprocRatioCol: -1}
	sc := bufio.NewScanner(r)
	section := "" // "thr", "cpu", "lat", "fan", "inproc" or "" (elsewhere)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		var err error
		switch {
		case line == "":
			section = ""
		case strings.HasPrefix(line, "Programs:"):
			res.note = line
		case strings.HasPrefix(line, "PUSH->PULL throughput over "):
			section = "thr"
			tr, _, _ := strings.Cut(strings.TrimPrefix(line, "PUSH->PULL throughput over "), ",")
			res.thrTitles[tr] = line
		case strings.HasPrefix(line, "CPU time per message"):
			section, res.cpu.title = "cpu", line
		case strings.HasPrefix(line, "Round trip"):
			section, res.latTitle = "lat", line
		case strings.HasPrefix(line, "PUB->SUB fan-out"):
			section, res.fanTitle = "fan", line
		case strings.HasPrefix(line, "inproc PUSH->PULL"):
			section, res.inproc.title = "inproc", line
		case strings.HasPrefix(line, "total "):
			res.footer = line
		case section == "cpu" && strings.HasPrefix(line, "size "):
			res.cpu.head = strings.Fields(line)
		case section == "inproc" && strings.HasPrefix(line, "size "):
			err = res.inprocHead(line)
		case strings.HasPrefix(line, "tr ") || strings.HasPrefix(line, "combo ") ||
			strings.HasPrefix(line, "pattern "):
			// column headings
		case section == "thr":
			var row thrRow
			if row, err = parseThr(line); err == nil {
				res.thr = append(res.thr, row)
			}
		case section == "cpu":
			res.cpu.rows = append(res.cpu.rows, strings.Fields(line))
		case section == "lat":
			var row latRow
			if row, err = parseLat(line); err == nil {
				res.lat = append(res.lat, row)
			}
		case section == "fan":
			var row fanRow
			if row, err = parseFan(line); err == nil {
				res.fan = append(res.fan, row)
			}
		case section == "inproc":
			f := strings.Fields(line)
			if len(f) != len(res.inproc.head) {
				err = fmt.Errorf("inproc row has %d fields, its heading %d", len(f), len(res.inproc.head))
			} else {
				res.inproc.rows = append(res.inproc.rows, f)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %v: %q", n, err, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if res.thrTitles["tcp"] == "" {
		return nil, fmt.Errorf("no PUSH->PULL throughput table over tcp found in %d lines", n)
	}
	for _, r := range res.thr {
		res.hasIPC = res.hasIPC || r.transport == "ipc"
		res.hasBatched = res.hasBatched || strings.Contains(r.combo, "B")
	}
	return res, nil
}

// inprocHead reads the inproc table's headings: "size recv", then
// "<engine> msg/s" per engine, then maybe "Go/Lib".
func (res *results) inprocHead(line string) error {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "size" || f[1] != "recv" {
		return fmt.Errorf("inproc headings start with %q, want size recv", f)
	}
	head := []string{"size", "recv"}
	for i := 2; i < len(f); i++ {
		switch {
		case i+1 < len(f) && f[i+1] == "msg/s":
			res.inprocEngines = append(res.inprocEngines, f[i])
			head = append(head, f[i]+" msg/s")
			i++
		case strings.Contains(f[i], "/"):
			res.inprocRatioCol = len(head)
			head = append(head, f[i])
		default:
			return fmt.Errorf("unknown inproc heading %q", f[i])
		}
	}
	res.inproc.head = head
	return nil
}

// parseThr parses "transport size combo median min max MB/s ratio sndCPU rcvCPU".
func parseThr(line string) (thrRow, error) {
	f := strings.Fields(line)
	if len(f) != 10 {
		return thrRow{}, fmt.Errorf("throughput row has %d fields, want 10", len(f))
	}
	size, err := strconv.Atoi(f[1])
	if err != nil {
		return thrRow{}, fmt.Errorf("bad size %q", f[1])
	}
	v, err := floats(f[3], f[4], f[5], f[7], f[8], f[9])
	if err != nil {
		return thrRow{}, err
	}
	return thrRow{f[0], size, f[2], v[0], v[1], v[2], v[3], v[4], v[5]}, nil
}

// parseLat parses "pattern size combo p50 min max mean p99 p50ratio p99ratio".
func parseLat(line string) (latRow, error) {
	f := strings.Fields(line)
	if len(f) != 10 {
		return latRow{}, fmt.Errorf("round-trip row has %d fields, want 10", len(f))
	}
	size, err := strconv.Atoi(f[1])
	if err != nil {
		return latRow{}, fmt.Errorf("bad size %q", f[1])
	}
	v, err := floats(f[3:]...)
	if err != nil {
		return latRow{}, err
	}
	return latRow{f[0], size, f[2], v[0], v[1], v[2], v[3], v[4], v[5], v[6]}, nil
}

// parseFan parses "combo min mean minRatio meanRatio lost pubCPU subCPU".
func parseFan(line string) (fanRow, error) {
	f := strings.Fields(line)
	if len(f) != 8 {
		return fanRow{}, fmt.Errorf("fan-out row has %d fields, want 8", len(f))
	}
	lost, err := strconv.Atoi(f[5])
	if err != nil {
		return fanRow{}, fmt.Errorf("bad count of lost messages %q", f[5])
	}
	v, err := floats(f[1], f[2], f[3], f[4], f[6], f[7])
	if err != nil {
		return fanRow{}, err
	}
	return fanRow{f[0], v[0], v[1], v[2], v[3], lost, v[4], v[5]}, nil
}

func floats(s ...string) ([]float64, error) {
	v := make([]float64, len(s))
	for i, x := range s {
		var err error
		if v[i], err = strconv.ParseFloat(x, 64); err != nil {
			return nil, fmt.Errorf("bad number %q", x)
		}
	}
	return v, nil
}

func markdown(res *results) string {
	var b strings.Builder
	if res.note != "" {
		fmt.Fprintf(&b, "%s\n\n", res.note)
	}
	for _, tr := range []string{"tcp", "ipc"} {
		if res.thrTitles[tr] == "" {
			continue
		}
		fmt.Fprintf(&b, "%s\n\n", res.thrTitles[tr])
		b.WriteString("| size | combination | median msg/s | min | max | ratio vs C | sender CPU ns/msg | receiver CPU ns/msg |\n")
		b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range res.thr {
			if r.transport == tr {
				fmt.Fprintf(&b, "| %d | %s | %.0f | %.0f | %.0f | %.2f | %.0f | %.0f |\n",
					r.size, r.combo, r.med, r.min, r.max, r.ratio, r.sndCPU, r.rcvCPU)
			}
		}
		b.WriteString("\n")
	}
	if len(res.cpu.rows) > 0 {
		writeTable(&b, res.cpu, 2)
	}
	if len(res.lat) > 0 {
		fmt.Fprintf(&b, "%s\n\n", res.latTitle)
		b.WriteString("| pattern | size | combination | median p50 µs | p50 min | p50 max | median p99 µs | p50 vs C | p99 vs C |\n")
		b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range res.lat {
			fmt.Fprintf(&b, "| %s | %d | %s | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f |\n",
				r.pattern, r.size, r.combo, r.p50, r.min, r.max, r.p99, r.r50, r.r99)
		}
		b.WriteString("\n")
	}
	if len(res.fan) > 0 {
		fmt.Fprintf(&b, "%s\n\n", res.fanTitle)
		b.WriteString("| combination | slowest subscriber msg/s | mean subscriber msg/s | slowest vs C | mean vs C | lost | publisher CPU ns/msg | subscriber CPU ns/msg |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range res.fan {
			fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.2f | %.2f | %d | %.0f | %.0f |\n",
				r.combo, r.minSub, r.meanSub, r.rMin, r.rMean, r.lost, r.pubCPU, r.subCPU)
		}
		b.WriteString("\n")
	}
	if len(res.inproc.rows) > 0 {
		writeTable(&b, res.inproc, 2)
	}
	if res.footer != "" {
		fmt.Fprintf(&b, "%s\n", res.footer)
	}
	return b.String()
}

// writeTable writes t in Markdown, its first textCols columns aligned
// left and the rest (numbers) right.
func writeTable(b *strings.Builder, t table, textCols int) {
	fmt.Fprintf(b, "%s\n\n", t.title)
	fmt.Fprintf(b, "| %s |\n|", strings.Join(t.head, " | "))
	for i := range t.head {
		if i < textCols && i > 0 {
			b.WriteString("---|")
		} else {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		fmt.Fprintf(b, "| %s |\n", strings.Join(r, " | "))
	}
	b.WriteString("\n")
}
