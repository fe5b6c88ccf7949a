package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The three combinations drawn against C->C, and their colours.
var (
	combos      = []string{"Go->Go", "C->Go", "Go->C"}
	comboLegend = []string{"Go->Go", "C->Go (our receiver / server)", "Go->C (our sender / client)"}
	comboColor  = []color.RGBA{{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}}

	black = color.RGBA{0x20, 0x20, 0x20, 0xff}
	grey  = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	red   = color.RGBA{0xc0, 0x10, 0x10, 0xff}
)

const (
	width, height = 1100, 560
	plotTop       = 110 // top of both plot areas
	plotBottom    = 500 // the x axis
)

// panel is one bar chart: groups of bars (one bar per combination) on a
// ratio axis from 0 to ymax.
type panel struct {
	x0, x1 int // plot area, left and right
	ymax   float64
	groups []string    // label under each group
	values [][]float64 // values[group][combo]; NaN: no bar
	title  string      // above the plot
	ylabel string      // beside the y axis
	xlabel string      // under the group labels
}

func writePNG(path string, res *results) error {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	text(img, "PUSH->PULL throughput and REQ->REP latency over tcp, ours / C on libzmq", width/2, 22, 2, 0, black)

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

	thr := panel{x0: 90, x1: 760, title: "PUSH->PULL messages/s (higher is better)",
		ylabel: "median msg/s / C->C median", xlabel: "message size (sender->receiver)"}
	group := map[int]int{} // size -> index in thr.groups, in the order of the table
	for _, r := range res.thr {
		g, ok := group[r.size]
		if !ok {
			g = len(thr.groups)
			group[r.size] = g
			thr.groups = append(thr.groups, sizeLabel(r.size))
			thr.values = append(thr.values, []float64{math.NaN(), math.NaN(), math.NaN()})
		}
		if i := comboIndex(r.combo); i >= 0 {
			thr.values[g][i] = r.ratio
		}
	}
	thr.draw(img)

	if len(res.lat) > 0 {
		lat := panel{x0: 860, x1: 1070, title: "REQ->REP p50 (lower is better)",
			ylabel: "p50 / C->C p50", xlabel: "16 B (client->server)",
			groups: []string{""}, values: [][]float64{{math.NaN(), math.NaN(), math.NaN()}}}
		for _, r := range res.lat {
			if i := comboIndex(r.combo); i >= 0 {
				lat.values[0][i] = r.ratio
			}
		}
		lat.draw(img)
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

func (p *panel) draw(img *image.RGBA) {
	// The y range: at least 0..1.25, rounded up to a quarter above the tallest bar.
	p.ymax = 1.25
	for _, g := range p.values {
		for _, v := range g {
			if v+0.1 > p.ymax {
				p.ymax = math.Ceil((v+0.1)*4) / 4
			}
		}
	}
	step := 0.25
	if p.ymax > 2.5 {
		step = 0.5
	}
	y := func(v float64) int { return plotBottom - int(v/p.ymax*float64(plotBottom-plotTop)) }

	text(img, p.title, (p.x0+p.x1)/2, plotTop-18, 1, 0, black)
	for v := 0.0; v <= p.ymax+1e-9; v += step {
		fill(img, image.Rect(p.x0, y(v), p.x1, y(v)+1), grey)
		text(img, fmt.Sprintf("%.2f", v), p.x0-6, y(v), 1, 1, black)
	}
	fill(img, image.Rect(p.x0, plotTop, p.x0+1, plotBottom+1), black)
	fill(img, image.Rect(p.x0, plotBottom, p.x1, plotBottom+1), black)
	vtext(img, p.ylabel, p.x0-52, (plotTop+plotBottom)/2, black)

	groupW := (p.x1 - p.x0) / len(p.groups)
	barW := groupW * 8 / 10 / len(combos)
	for g, label := range p.groups {
		left := p.x0 + g*groupW + groupW/10
		for i, v := range p.values[g] {
			if math.IsNaN(v) {
				continue
			}
			bx := left + i*barW
			fill(img, image.Rect(bx+2, y(v), bx+barW-2, plotBottom), comboColor[i])
			text(img, fmt.Sprintf("%.2f", v), bx+barW/2, y(v)-9, 1, 0, black)
		}
		text(img, label, p.x0+g*groupW+groupW/2, plotBottom+14, 1, 0, black)
	}
	text(img, p.xlabel, (p.x0+p.x1)/2, plotBottom+40, 1, 0, black)

	// The C->C line at 1.0, dashed.
	for x := p.x0; x < p.x1; x += 12 {
		fill(img, image.Rect(x, y(1)-1, min(x+8, p.x1), y(1)+1), red)
	}
}

func comboIndex(c string) int {
	for i, name := range combos {
		if name == c {
			return i
		}
	}
	return -1
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
