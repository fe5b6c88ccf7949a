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
	"slices"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The three combinations drawn against C->C, and their colours; the
// fast-path ones (GoB: SendBatch to send, RecvInto to receive; throughput
// and fan-out) are drawn hatched in the colour of their counterpart.
var (
	combos      = []string{"Go->Go", "C->Go", "Go->C"}
	batched     = []string{"GoB->GoB", "C->GoB", "GoB->C"}
	comboLegend = []string{"Go->Go", "C->Go (ours receives / serves / subscribes)", "Go->C (ours sends / asks / publishes)"}
	comboColor  = []color.RGBA{{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}}

	black = color.RGBA{0x20, 0x20, 0x20, 0xff}
	grey  = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	red   = color.RGBA{0xc0, 0x10, 0x10, 0xff}
	white = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

const (
	width  = 1400
	height = 960
	// The two rows of panels: throughput on top, latency and fan-out below.
	topTop, topBottom = 120, 420
	lowTop, lowBottom = 560, 860
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

// plainSeries are Go->Go, C->Go and Go->C; thrSeries adds, when withBatch,
// each one's batched counterpart right after it.
func plainSeries() []series {
	s := make([]series, len(combos))
	for i, c := range combos {
		s[i] = series{combo: c, color: comboColor[i]}
	}
	return s
}

func thrSeries(withBatch bool) []series {
	if !withBatch {
		return plainSeries()
	}
	var s []series
	for i, c := range combos {
		s = append(s, series{combo: c, color: comboColor[i]}, series{combo: batched[i], color: comboColor[i], hatched: true})
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

func writePNG(path string, res *results) error {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	text(img, "zmq (Go) / C on libzmq over tcp: throughput, round trip, fan-out", width/2, 22, 2, 0, black)

	// The legend, one line under the title.
	x := 90
	for i, name := range comboLegend {
		fill(img, image.Rect(x, 52, x+14, 66), comboColor[i])
		x += 20
		text(img, name, x, 59, 1, -1, black)
		x += len(name)*7 + 30
	}
	fill(img, image.Rect(x, 58, x+24, 60), red)
	text(img, "C->C = 1.0", x+30, 59, 1, -1, black)

	withBatch := false
	for _, r := range res.thr {
		withBatch = withBatch || slices.Contains(batched, r.combo)
	}
	if withBatch {
		// A second legend line: the hatched bars.
		x := 90
		for i, name := range batched {
			hatch(img, image.Rect(x, 74, x+14, 88), comboColor[i])
			x += 20
			text(img, name, x, 81, 1, -1, black)
			x += len(name)*7 + 24
		}
		text(img, batchLegend(res.thrNote), x+6, 81, 1, -1, black)
	}

	thr := panel{x0: 90, x1: width - 30, y0: topTop, y1: topBottom, series: thrSeries(withBatch),
		title:  "PUSH->PULL messages/s (higher is better)",
		ylabel: "median msg/s / C->C median", xlabel: "message size (sender->receiver)"}
	if withBatch {
		thr.y0 += 12 // room for the second legend line
		thr.xlabel = "message size (sender->receiver; hatched: GoB, with SendBatch and RecvInto)"
	}
	group := map[int]int{} // size -> index in thr.groups, in the order of the table
	for _, r := range res.thr {
		g, ok := group[r.size]
		if !ok {
			g = len(thr.groups)
			group[r.size] = g
			thr.groups = append(thr.groups, sizeLabel(r.size))
			thr.values = append(thr.values, thr.nanBars())
		}
		if i := thr.index(r.combo); i >= 0 {
			thr.values[g][i] = r.ratio
		}
	}
	thr.draw(img)

	if len(res.lat) > 0 {
		p50 := panel{x0: 80, x1: 480, y0: lowTop, y1: lowBottom, ycap: latCap, series: plainSeries(),
			title: "round trip p50 (lower is better)", ylabel: "median p50 / C->C", xlabel: "pattern, size (client->server)"}
		p99 := panel{x0: 550, x1: 950, y0: lowTop, y1: lowBottom, ycap: latCap, series: plainSeries(),
			title: "round trip p99 (lower is better)", ylabel: "median p99 / C->C", xlabel: "pattern, size (client->server)"}
		group := map[string]int{} // pattern and size -> group, in the order of the table
		for _, r := range res.lat {
			key := r.pattern + "\n" + sizeLabel(r.size)
			g, ok := group[key]
			if !ok {
				g = len(p50.groups)
				group[key] = g
				for _, p := range []*panel{&p50, &p99} {
					p.groups = append(p.groups, key)
					p.values = append(p.values, p.nanBars())
				}
			}
			if i := p50.index(r.combo); i >= 0 {
				p50.values[g][i], p99.values[g][i] = r.r50, r.r99
			}
		}
		p50.draw(img)
		p99.draw(img)
	}

	if len(res.fan) > 0 {
		fan := panel{x0: 1025, x1: width - 20, y0: lowTop, y1: lowBottom, series: thrSeries(hasBatched(res.fan)),
			title: fanPanelTitle(res.fanTitle), ylabel: "msg/s per subscriber / C->C",
			xlabel: "subscriber (pub->subs)", groups: []string{"slowest", "mean"}}
		fan.values = [][]float64{fan.nanBars(), fan.nanBars()}
		lost := 0
		for _, r := range res.fan {
			if i := fan.index(r.combo); i >= 0 {
				fan.values[0][i], fan.values[1][i] = r.rMin, r.rMean
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

// batchLegend explains GoB, with the batch size from run.sh's note.
func batchLegend(note string) string {
	if m := regexp.MustCompile(`(\d+) messages per call`).FindStringSubmatch(note); m != nil {
		return fmt.Sprintf("(hatched) GoB: ours with SendBatch (%s messages per call) and RecvInto; throughput and fan-out", m[1])
	}
	return "(hatched) GoB: ours with SendBatch and RecvInto; throughput and fan-out"
}

// fanPanelTitle is "PUB -> n SUB, size" from run.sh's fan-out title.
func fanPanelTitle(title string) string {
	subs := regexp.MustCompile(`to (\d+) SUB`).FindStringSubmatch(title)
	size := regexp.MustCompile(`(\d+) bytes`).FindStringSubmatch(title)
	if subs == nil || size == nil {
		return "PUB->SUB fan-out"
	}
	n, _ := strconv.Atoi(size[1])
	return fmt.Sprintf("PUB->%s SUB, %s", subs[1], sizeLabel(n))
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

// hasBatched reports whether the fan-out table has GoB rows.
func hasBatched(rows []fanRow) bool {
	for _, r := range rows {
		if strings.Contains(r.combo, "GoB") {
			return true
		}
	}
	return false
}
