// Command chart turns the output of bench/run.sh into a PNG bar chart and a
// Markdown table.
//
//	bash bench/run.sh | tee bench/results/run.txt
//	cd bench/chart && go run . -in ../results/run.txt -png ../results/chart.png -md ../results/table.md
//
// The chart shows, per message size, the PUSH->PULL throughput of Go->Go,
// C->Go and Go->C as a ratio to C->C, and beside it the REQ->REP p50 round
// trip as a ratio to C->C. Without -in it reads stdin.
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
}

// latRow is one row of run.sh's REQ->REP latency table (microseconds).
type latRow struct {
	combo         string // client->server
	p50, min, max float64
	ratio         float64 // p50 / C->C p50
}

type results struct {
	thrTitle, latTitle, footer string
	thr                        []thrRow
	lat                        []latRow
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

// parse reads run.sh's stdout. It needs the throughput table; the latency
// table is optional (LAT_COUNT=0 leaves it out). The CPU table is skipped.
func parse(r io.Reader) (*results, error) {
	res := &results{}
	sc := bufio.NewScanner(r)
	section := "" // "thr", "lat" or "" (elsewhere)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			section = ""
		case strings.HasPrefix(line, "PUSH->PULL throughput"):
			section, res.thrTitle = "thr", line
		case strings.HasPrefix(line, "REQ->REP round trip"):
			section, res.latTitle = "lat", line
		case strings.HasPrefix(line, "total "):
			res.footer = line
		case strings.HasPrefix(line, "size ") || strings.HasPrefix(line, "combo "):
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

// parseThr parses "size combo median min max MB/s ratio".
func parseThr(line string) (thrRow, error) {
	f := strings.Fields(line)
	if len(f) != 7 {
		return thrRow{}, fmt.Errorf("throughput row has %d fields, want 7", len(f))
	}
	size, err := strconv.Atoi(f[0])
	if err != nil {
		return thrRow{}, fmt.Errorf("bad size %q", f[0])
	}
	v, err := floats(f[2], f[3], f[4], f[6])
	if err != nil {
		return thrRow{}, err
	}
	return thrRow{size, f[1], v[0], v[1], v[2], v[3]}, nil
}

// parseLat parses "combo p50 min max mean p99 ratio".
func parseLat(line string) (latRow, error) {
	f := strings.Fields(line)
	if len(f) != 7 {
		return latRow{}, fmt.Errorf("latency row has %d fields, want 7", len(f))
	}
	v, err := floats(f[1], f[2], f[3], f[6])
	if err != nil {
		return latRow{}, err
	}
	return latRow{f[0], v[0], v[1], v[2], v[3]}, nil
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
	b.WriteString("| size | combination | median msg/s | min | max | ratio vs C |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|\n")
	for _, r := range res.thr {
		fmt.Fprintf(&b, "| %d | %s | %.0f | %.0f | %.0f | %.2f |\n", r.size, r.combo, r.med, r.min, r.max, r.ratio)
	}
	if len(res.lat) > 0 {
		fmt.Fprintf(&b, "\n%s\n\n", res.latTitle)
		b.WriteString("| combination | median p50 µs | min | max | ratio vs C |\n")
		b.WriteString("|---|---:|---:|---:|---:|\n")
		for _, r := range res.lat {
			fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.1f | %.2f |\n", r.combo, r.p50, r.min, r.max, r.ratio)
		}
	}
	if res.footer != "" {
		fmt.Fprintf(&b, "\n%s\n", res.footer)
	}
	return b.String()
}
