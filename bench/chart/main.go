// Command chart turns the output of bench/run.sh into a PNG bar chart and a
// Markdown table.
//
//	bash bench/run.sh | tee bench/results/run.txt
//	cd bench/chart && go run . -in ../results/run.txt -png ../results/chart.png -md ../results/table.md
//
// The chart shows, as ratios to C->C of Go->Go, C->Go and Go->C: on top,
// the PUSH->PULL throughput per message size, with, if the run had them
// (BATCH > 0), the fast-path combinations GoB->GoB, C->GoB and GoB->C (GoB:
// the Go program with SendBatch and RecvInto) as hatched bars beside their
// counterparts; below, the p50 and the p99 round trip of REQ->REP and
// DEALER->ROUTER per message size, and the PUB->SUB fan-out rate per
// subscriber (the slowest and the mean, GoB hatched again when present). The Markdown table has the
// numbers, with the CPU time per message of both sides and the fan-out's
// lost messages. Without -in it reads stdin.
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

// thrRow is one row of run.sh's throughput table.
type thrRow struct {
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

type results struct {
	thrTitle, latTitle, fanTitle, footer string
	thrNote                              string // "GoB: ..." under the throughput title, if any
	thr                                  []thrRow
	lat                                  []latRow
	fan                                  []fanRow
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

// parse reads run.sh's stdout. It needs the throughput table; the
// round-trip and fan-out tables are optional (LAT_COUNT=0 and FAN_COUNT=0
// leave them out). The CPU-per-role table is skipped.
func parse(r io.Reader) (*results, error) {
	res := &results{}
	sc := bufio.NewScanner(r)
	section := "" // "thr", "lat", "fan" or "" (elsewhere)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			section = ""
		case strings.HasPrefix(line, "PUSH->PULL throughput"):
			section, res.thrTitle = "thr", line
		case strings.HasPrefix(line, "Round trip"):
			section, res.latTitle = "lat", line
		case strings.HasPrefix(line, "PUB->SUB fan-out"):
			section, res.fanTitle = "fan", line
		case strings.HasPrefix(line, "total "):
			res.footer = line
		case section == "thr" && strings.HasPrefix(line, "GoB:"):
			res.thrNote = line
		case strings.HasPrefix(line, "size ") || strings.HasPrefix(line, "combo ") ||
			strings.HasPrefix(line, "pattern "):
			// column headings
		case section == "thr":
			row, err := parseThr(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v: %q", n, err, line)
			}
			res.thr = append(res.thr, row)
		case section == "lat":
			row, err := parseLat(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v: %q", n, err, line)
			}
			res.lat = append(res.lat, row)
		case section == "fan":
			row, err := parseFan(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v: %q", n, err, line)
			}
			res.fan = append(res.fan, row)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(res.thr) == 0 {
		return nil, fmt.Errorf("no PUSH->PULL throughput table found in %d lines", n)
	}
	return res, nil
}

// parseThr parses "size combo median min max MB/s ratio sndCPU rcvCPU".
func parseThr(line string) (thrRow, error) {
	f := strings.Fields(line)
	if len(f) != 9 {
		return thrRow{}, fmt.Errorf("throughput row has %d fields, want 9", len(f))
	}
	size, err := strconv.Atoi(f[0])
	if err != nil {
		return thrRow{}, fmt.Errorf("bad size %q", f[0])
	}
	v, err := floats(f[2], f[3], f[4], f[6], f[7], f[8])
	if err != nil {
		return thrRow{}, err
	}
	return thrRow{size, f[1], v[0], v[1], v[2], v[3], v[4], v[5]}, nil
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
	fmt.Fprintf(&b, "%s\n\n", res.thrTitle)
	if res.thrNote != "" {
		fmt.Fprintf(&b, "%s\n\n", res.thrNote)
	}
	b.WriteString("| size | combination | median msg/s | min | max | ratio vs C | sender CPU ns/msg | receiver CPU ns/msg |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range res.thr {
		fmt.Fprintf(&b, "| %d | %s | %.0f | %.0f | %.0f | %.2f | %.0f | %.0f |\n",
			r.size, r.combo, r.med, r.min, r.max, r.ratio, r.sndCPU, r.rcvCPU)
	}
	if len(res.lat) > 0 {
		fmt.Fprintf(&b, "\n%s\n\n", res.latTitle)
		b.WriteString("| pattern | size | combination | median p50 µs | p50 min | p50 max | median p99 µs | p50 vs C | p99 vs C |\n")
		b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range res.lat {
			fmt.Fprintf(&b, "| %s | %d | %s | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f |\n",
				r.pattern, r.size, r.combo, r.p50, r.min, r.max, r.p99, r.r50, r.r99)
		}
	}
	if len(res.fan) > 0 {
		fmt.Fprintf(&b, "\n%s\n\n", res.fanTitle)
		b.WriteString("| combination | slowest subscriber msg/s | mean subscriber msg/s | slowest vs C | mean vs C | lost | publisher CPU ns/msg | subscriber CPU ns/msg |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range res.fan {
			fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.2f | %.2f | %d | %.0f | %.0f |\n",
				r.combo, r.minSub, r.meanSub, r.rMin, r.rMean, r.lost, r.pubCPU, r.subCPU)
		}
	}
	if res.footer != "" {
		fmt.Fprintf(&b, "\n%s\n", res.footer)
	}
	return b.String()
}
