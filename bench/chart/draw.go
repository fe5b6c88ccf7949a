package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// An engine's programs in run.sh's tables (Lib: the libzmq engine, Go: the
// go engine) and the colours of its three combinations with C: X->X,
// C->X and X->C. The fast-path programs (LibB, GoB: SendBatch to send,
// RecvInto to receive) are drawn hatched in the colour of their
// counterpart.
type engineStyle struct {
	prog, name string
	colors     [3]color.RGBA
}

var (
	engineStyles = []engineStyle{
		{"Lib", "libzmq engine", [3]color.RGBA{{0x1f, 0x77, 0xb4, 0xff}, {0x17, 0xbe, 0xcf, 0xff}, {0x94, 0x67, 0xbd, 0xff}}},
		{"Go", "go engine", [3]color.RGBA{{0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0x8c, 0x56, 0x4b, 0xff}}},
	}

	black = color.RGBA{0x20, 0x20, 0x20, 0xff}
	grey  = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	red   = color.RGBA{0xc0, 0x10, 0x10, 0xff}
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

const (
	width  = 1600
	height = 1260
	// The three rows of panels: tcp throughput; ipc throughput and
	// inproc; round trips and fan-out.
	topTop, topBottom = 160, 440
	midTop, midBottom = 560, 800
	lowTop, lowBottom = 920, 1160
	// latCap is the highest ratio the latency panels draw; a taller bar is
	// cut there and labelled with its value.
	latCap = 4.0
)

// series is one combination's bars: its name in run.sh's tables and how
// its bars look.
type series struct {
	combo   string
	color   color.RGBA
	hatched bool // batched: light stripes of color
}

// combosOf returns an engine's three combinations with C, program p.
func combosOf(p string) [3]string {
	return [3]string{p + "->" + p, "C->" + p, p + "->C"}
}

// seriesFor returns the bars of every engine the run has, in
// engineStyles' order: X->X, C->X, X->C, each followed, when withBatch,
// by its batched counterpart.
func seriesFor(has func(combo string) bool, withBatch bool) []series {
	var s []series
	for _, e := range engineStyles {
		plain, fast := combosOf(e.prog), combosOf(e.prog+"B")
		for i := range plain {
			if has(plain[i]) {
				s = append(s, series{combo: plain[i], color: e.colors[i]})
			}
			if withBatch && has(fast[i]) {
				s = append(s, series{combo: fast[i], color: e.colors[i], hatched: true})
			}
		}
	}
	return s
}

// panel is one bar chart: groups of bars (one bar per series) on a ratio
// axis from 0 to ymax.
type panel struct {
	x0, x1 int // plot area, left and right
	y0, y1 int // plot area, top and bottom (the x axis)
	ycap   float64
	ymax   float64
	series []series
	groups []string    // label under each group; "\n" breaks it in lines
	values [][]float64 // values[group][series]; NaN: no bar
	title  string      // above the plot
	ylabel string      // beside the y axis
	xlabel string      // under the group labels
}

// nanBars is a group without bars yet.
func (p *panel) nanBars() []float64 {
	v := make([]float64, len(p.series))
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// index is the series of combination c, or -1.
func (p *panel) index(c string) int {
	for i, s := range p.series {
		if s.combo == c {
			return i
		}
	}
	return -1
}

// group returns the index of the group labelled key, adding it.
func (p *panel) group(key string) int {
	for i, g := range p.groups {
		if g == key {
			return i
		}
	}
	p.groups = append(p.groups, key)
	p.values = append(p.values, p.nanBars())
	return len(p.groups) - 1
}

func writePNG(path string, res *results) error {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	text(img, "zmq for Go on its two engines / C on libzmq: throughput, round trip, fan-out", width/2, 22, 2, 0, black)

	combos := map[string]bool{}
	for _, r := range res.thr {
		combos[r.combo] = true
	}
	for _, r := range res.lat {
		combos[r.combo] = true
	}
	for _, r := range res.fan {
		combos[r.combo] = true
	}
	has := func(c string) bool { return combos[c] }

	// The legend: a line per engine, then the hatching and the C line.
	y := 52
	for _, e := range engineStyles {
		if !has(e.prog+"->"+e.prog) && !has("C->"+e.prog) {
			continue
		}
		x := 90
		text(img, e.name+" ("+e.prog+"):", x, y, 1, -1, black)
		x += 170
		for i, c := range combosOf(e.prog) {
			fill(img, image.Rect(x, y-7, x+14, y+7), e.colors[i])
			x += 20
			text(img, c, x, y, 1, -1, black)
			x += len(c)*7 + 30
		}
		y += 22
	}
	x := 90
	fill(img, image.Rect(x, y-1, x+24, y+1), red)
	text(img, "C->C = 1.0 (C on libzmq, same run)", x+30, y, 1, -1, black)
	if res.hasBatched {
		x += 320
		hatch(img, image.Rect(x, y-7, x+14, y+7), engineStyles[1].colors[0])
		text(img, batchLegend(res.note), x+20, y, 1, -1, black)
	}

	thr := panel{x0: 90, x1: width - 30, y0: topTop, y1: topBottom, series: seriesFor(has, res.hasBatched),
		title:  "PUSH->PULL over tcp, messages/s (higher is better)",
		ylabel: "median msg/s / C->C median", xlabel: "message size (sender->receiver)"}
	if res.hasBatched {
		thr.xlabel = "message size (sender->receiver; hatched: LibB, GoB, with SendBatch and RecvInto)"
	}
	ipc := panel{x0: 90, x1: 900, y0: midTop, y1: midBottom, series: seriesFor(has, false),
		title:  "PUSH->PULL over ipc, messages/s (higher is better)",
		ylabel: "median msg/s / C->C median", xlabel: "message size (sender->receiver)"}
	for _, r := range res.thr {
		p := &thr
		if r.transport == "ipc" {
			p = &ipc
		}
		if i := p.index(r.combo); i >= 0 {
			p.values[p.group(sizeLabel(r.size))][i] = r.ratio
		}
	}
	thr.draw(img)
	if res.hasIPC {
		ipc.draw(img)
	}

	if res.inprocRatioCol >= 0 {
		inp := panel{x0: 1000, x1: width - 30, y0: midTop, y1: midBottom,
			series: []series{{combo: "Go/Lib", color: engineStyles[1].colors[0]}},
			title:  "inproc msg/s, go engine / libzmq engine (1.0: libzmq engine)",
			ylabel: "go msg/s / libzmq msg/s", xlabel: "message size, receive call (one Send per message)"}
		for _, r := range res.inproc.rows {
			n, err := strconv.Atoi(r[0])
			v, err2 := strconv.ParseFloat(r[res.inprocRatioCol], 64)
			if err == nil && err2 == nil {
				inp.values[inp.group(sizeLabel(n)+"\n"+r[1])][0] = v
			}
		}
		inp.draw(img)
	}

	if len(res.lat) > 0 {
		plain := seriesFor(has, false)
		p50 := panel{x0: 80, x1: 560, y0: lowTop, y1: lowBottom, ycap: latCap, series: plain,
			title: "round trip p50 (lower is better)", ylabel: "median p50 / C->C", xlabel: "pattern, size (client->server)"}
		p99 := panel{x0: 630, x1: 1110, y0: lowTop, y1: lowBottom, ycap: latCap, series: plain,
			title: "round trip p99 (lower is better)", ylabel: "median p99 / C->C", xlabel: "pattern, size (client->server)"}
		for _, r := range res.lat {
			key := r.pattern + "\n" + sizeLabel(r.size)
			if i := p50.index(r.combo); i >= 0 {
				p50.values[p50.group(key)][i] = r.r50
				p99.values[p99.group(key)][i] = r.r99
			}
		}
		p50.draw(img)
		p99.draw(img)
	}

	if len(res.fan) > 0 {
		fan := panel{x0: 1180, x1: width - 20, y0: lowTop, y1: lowBottom, series: seriesFor(has, res.hasBatched),
			title: fanPanelTitle(res.fanTitle), ylabel: "msg/s per subscriber / C->C",
			xlabel: "subscriber (pub->subs)"}
		lost := 0
		for _, r := range res.fan {
			if i := fan.index(r.combo); i >= 0 {
				fan.values[fan.group("slowest")][i] = r.rMin
				fan.values[fan.group("mean")][i] = r.rMean
			}
			lost += r.lost
		}
		fan.draw(img)
		if lost > 0 {
			text(img, fmt.Sprintf("LOST %d messages", lost), (fan.x0+fan.x1)/2, fan.y1+66, 1, 0, red)
		} else {
			text(img, "no message lost", (fan.x0+fan.x1)/2, fan.y1+66, 1, 0, black)
		}
	}

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// batchLegend explains the hatching, with the batch size from run.sh's note.
func batchLegend(note string) string {
	if m := regexp.MustCompile(`(\d+) messages per call`).FindStringSubmatch(note); m != nil {
		return fmt.Sprintf("hatched: LibB, GoB, the same with SendBatch (%s messages per call) and RecvInto; throughput and fan-out", m[1])
	}
	return "hatched: LibB, GoB, the same with SendBatch and RecvInto; throughput and fan-out"
}

// fanPanelTitle is "PUB -> n SUB, size" from run.sh's fan-out title.
func fanPanelTitle(title string) string {
	subs := regexp.MustCompile(`to (\d+) SUB`).FindStringSubmatch(title)
	size := regexp.MustCompile(`(\d+) bytes`).FindStringSubmatch(title)
	if subs == nil || size == nil {
		return "PUB->SUB fan-out"
	}
	n, _ := strconv.Atoi(size[1])
	return fmt.Sprintf("PUB->%s SUB over tcp, %s", subs[1], sizeLabel(n))
}

func (p *panel) draw(img *image.RGBA) {
	// The y range: at least 0..1.25, rounded up to a quarter above the
	// tallest bar, but no higher than ycap (if set).
	p.ymax = 1.25
	for _, g := range p.values {
		for _, v := range g {
			if v+0.1 > p.ymax {
				p.ymax = math.Ceil((v+0.1)*4) / 4
			}
		}
	}
	if p.ycap > 0 && p.ymax > p.ycap {
		p.ymax = p.ycap
	}
	// At most 10 grid steps.
	step := 0.25
	for _, st := range []float64{0.25, 0.5, 1, 2, 5, 10, 20, 50} {
		if step = st; p.ymax/st <= 10 {
			break
		}
	}
	y := func(v float64) int { return p.y1 - int(math.Min(v, p.ymax)/p.ymax*float64(p.y1-p.y0)) }

	text(img, p.title, (p.x0+p.x1)/2, p.y0-18, 1, 0, black)
	for v := 0.0; v <= p.ymax+1e-9; v += step {
		fill(img, image.Rect(p.x0, y(v), p.x1, y(v)+1), grey)
		text(img, fmt.Sprintf("%.2f", v), p.x0-6, y(v), 1, 1, black)
	}
	fill(img, image.Rect(p.x0, p.y0, p.x0+1, p.y1+1), black)
	fill(img, image.Rect(p.x0, p.y1, p.x1, p.y1+1), black)
	vtext(img, p.ylabel, p.x0-52, (p.y0+p.y1)/2, black)

	groupW := (p.x1 - p.x0) / len(p.groups)
	barW := groupW * 9 / 10 / len(p.series)
	// The values above the bars go on last, on white, over the C->C line.
	type barLabel struct {
		s    string
		x, y int
	}
	var labels []barLabel
	for g, label := range p.groups {
		left := p.x0 + g*groupW + groupW/20
		for i, v := range p.values[g] {
			if math.IsNaN(v) {
				continue
			}
			bx := left + i*barW
			s := p.series[i]
			bar := image.Rect(bx+2, y(v), bx+barW-2, p.y1)
			if s.hatched {
				hatch(img, bar, s.color)
			} else {
				fill(img, bar, s.color)
			}
			if v > p.ymax { // cut: the value inside the top of the bar
				fill(img, image.Rect(bx+2, y(v)+8, bx+barW-2, y(v)+11), white)
				fill(img, image.Rect(bx+barW/2-8, y(v)+16, bx+barW/2+8, y(v)+74), s.color)
				vtext(img, fmt.Sprintf("%.2f", v), bx+barW/2, y(v)+44, white)
			} else {
				labels = append(labels, barLabel{fmt.Sprintf("%.2f", v), bx + barW/2, y(v) - 9})
			}
		}
		for k, line := range strings.Split(label, "\n") {
			text(img, line, p.x0+g*groupW+groupW/2, p.y1+14+14*k, 1, 0, black)
		}
	}
	text(img, p.xlabel, (p.x0+p.x1)/2, p.y1+50, 1, 0, black)

	// The C->C line at 1.0, dashed.
	for x := p.x0; x < p.x1; x += 12 {
		fill(img, image.Rect(x, y(1)-1, min(x+8, p.x1), y(1)+1), red)
	}
	for _, l := range labels {
		w := len(l.s) * 7
		fill(img, image.Rect(l.x-w/2-1, l.y-6, l.x+w/2+2, l.y+6), white)
		text(img, l.s, l.x, l.y, 1, 0, black)
	}
}

func sizeLabel(n int) string {
	switch {
	case n >= 1024 && n%1024 == 0:
		return fmt.Sprintf("%d KiB", n/1024)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// hatch fills r with a light tint of c crossed by diagonal stripes of c,
// framed in c.
func hatch(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	tint := func(v uint8) uint8 { return uint8(255 - (255-int(v))*35/100) }
	fill(img, r, color.RGBA{tint(c.R), tint(c.G), tint(c.B), 0xff})
	for py := r.Min.Y; py < r.Max.Y; py++ {
		for px := r.Min.X; px < r.Max.X; px++ {
			if (px+py)%8 < 3 || px < r.Min.X+2 || px >= r.Max.X-2 || py < r.Min.Y+2 {
				img.SetRGBA(px, py, c)
			}
		}
	}
}

// render draws s in basicfont's 7x13 face into a mask the size of the text.
func render(s string) *image.Alpha {
	face := basicfont.Face7x13
	m := image.NewAlpha(image.Rect(0, 0, font.MeasureString(face, s).Ceil(), face.Height))
	d := font.Drawer{Dst: m, Src: image.Opaque, Face: face, Dot: fixed.P(0, face.Ascent)}
	d.DrawString(s)
	return m
}

// text draws s magnified by scale, vertically centred on y; align -1 puts
// its left end at x, 0 its middle, 1 its right end.
func text(img *image.RGBA, s string, x, y, scale, align int, c color.RGBA) {
	m := render(s)
	w, h := m.Bounds().Dx()*scale, m.Bounds().Dy()*scale
	x -= (align + 1) * w / 2
	y -= h / 2
	for py := 0; py < h; py++ {
		for px := 0; px < w; px++ {
			if m.AlphaAt(px/scale, py/scale).A >= 0x80 {
				img.SetRGBA(x+px, y+py, c)
			}
		}
	}
}

// vtext draws s turned a quarter anticlockwise (read bottom to top),
// centred on x, y.
func vtext(img *image.RGBA, s string, x, y int, c color.RGBA) {
	m := render(s)
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	for py := 0; py < h; py++ {
		for px := 0; px < w; px++ {
			if m.AlphaAt(px, py).A >= 0x80 {
				img.SetRGBA(x-h/2+py, y+w/2-px, c)
			}
		}
	}
}
