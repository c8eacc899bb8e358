package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The charts are inline SVG drawn here rather than by a script, so the page
// prints, archives and opens offline exactly as it was made. Meaning never
// rests on colour alone: late and never-ready bars carry text and a pattern,
// the two series differ by dash pattern and are labelled in a legend.

const (
	chartWidth = 760
	inkColour  = "#1a1a1a"
	okColour   = "#2f6f3e"
	lateColour = "#b35c00"
)

// niceStep picks a tick step (in the axis unit) giving at most max ticks.
func niceStep(span float64, max int) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 20, 30, 60, 120, 240, 480, 720, 1440} {
		if span/s <= float64(max) {
			return s
		}
	}
	return math.Ceil(span / float64(max))
}

// ceilTo rounds v up to a multiple of step, at least one step.
func ceilTo(v, step float64) float64 {
	return math.Max(step, math.Ceil(v/step)*step)
}

func esc(s string) string { return html.EscapeString(s) }

func num(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", f), "0"), ".")
}

// readinessChart draws time to ready per organisation as horizontal bars,
// with each organisation's target as a vertical line.
func readinessChart(r *Report, l labels) string {
	const left, right, top, rowH, barH, bottom = 200.0, 150.0, 28.0, 34.0, 18.0, 46.0
	plotW := chartWidth - left - right
	end := r.Times.End
	maxMin := 1.0
	for _, o := range r.Organisations {
		maxMin = math.Max(maxMin, o.Target.Seconds/60)
		if o.TimeToReady != nil {
			maxMin = math.Max(maxMin, o.TimeToReady.Seconds/60)
		} else if end.After(o.ActivatedAt) {
			maxMin = math.Max(maxMin, end.Sub(o.ActivatedAt).Minutes())
		}
	}
	step := niceStep(maxMin, 8)
	xMax := ceilTo(maxMin, step)
	x := func(min float64) float64 { return left + plotW*math.Max(0, min)/xMax }
	height := top + rowH*float64(max(len(r.Organisations), 1)) + bottom

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %s" width="%d" height="%s" role="img" aria-labelledby="chart-ready-title">`,
		chartWidth, num(height), chartWidth, num(height))
	fmt.Fprintf(&b, `<title id="chart-ready-title">%s</title>`, esc(l.ChartReady))
	b.WriteString(`<defs><pattern id="hatch-not-ready" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
		`<rect width="8" height="8" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="8" stroke="#8a1c1c" stroke-width="3"/></pattern></defs>`)
	axisY := top + rowH*float64(max(len(r.Organisations), 1))
	for t := 0.0; t <= xMax+1e-9; t += step {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#cccccc" stroke-width="1"/>`, num(x(t)), num(top-6), num(x(t)), num(axisY))
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="12" text-anchor="middle">%s</text>`, num(x(t)), num(axisY+16), num(t))
	}
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, num(left), num(axisY), num(left+plotW), num(axisY), inkColour)
	fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="12" text-anchor="middle">%s</text>`, num(left+plotW/2), num(axisY+36), esc(l.Minutes))
	for i, o := range r.Organisations {
		y := top + rowH*float64(i)
		barY := y + (rowH-barH)/2
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="13" text-anchor="end" dominant-baseline="middle">%s</text>`,
			num(left-8), num(barY+barH/2), esc(o.Org))
		var w float64
		var label string
		switch {
		case o.TimeToReady != nil:
			w = x(o.TimeToReady.Seconds/60) - left
			fill := okColour
			label = l.dur(o.TimeToReady)
			if !o.ReadyWithinTarget {
				fill = lateColour
				label += " (" + l.OverTarget + ")"
			}
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s: %s</title></rect>`,
				num(left), num(barY), num(math.Max(w, 1)), num(barH), fill, esc(o.Org), esc(label))
		default:
			// Never ready: a hatched, outlined bar up to the end of the observation.
			if end.After(o.ActivatedAt) {
				w = x(end.Sub(o.ActivatedAt).Minutes()) - left
			}
			label = l.NotReady
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="url(#hatch-not-ready)" stroke="#8a1c1c" stroke-width="1.5"><title>%s: %s</title></rect>`,
				num(left), num(barY), num(math.Max(w, 1)), num(barH), esc(o.Org), esc(label))
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="12" dominant-baseline="middle">%s</text>`, num(left+w+6), num(barY+barH/2), esc(label))
		tx := x(o.Target.Seconds / 60)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="5 3"><title>%s %s</title></line>`,
			num(tx), num(y+2), num(tx), num(y+rowH-2), inkColour, esc(l.TargetLine), esc(l.dur(&o.Target)))
		if i == 0 {
			fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="11" text-anchor="middle">%s</text>`, num(tx), num(top-10), esc(l.TargetLine+" "+l.dur(&o.Target)))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// answersChart draws the cumulative answers since declaration as a step
// line, with the people currently available as a dashed second line.
func answersChart(r *Report, l labels) string {
	const left, right, top, bottom, plotH = 56.0, 56.0, 40.0, 48.0, 220.0
	plotW := chartWidth - left - right
	maxMin, maxY := 1.0, float64(max(r.People.Alerted, 1))
	for _, p := range r.Series {
		maxMin = math.Max(maxMin, p.Minutes)
		maxY = math.Max(maxY, float64(p.Answered))
	}
	if r.Verdict.Target != nil {
		maxMin = math.Max(maxMin, r.Verdict.Target.Seconds/60)
	}
	xStep := niceStep(maxMin, 10)
	xMax := ceilTo(maxMin, xStep)
	yStep := niceStep(maxY, 6)
	yMax := ceilTo(maxY, yStep)
	x := func(m float64) float64 { return left + plotW*math.Max(0, m)/xMax }
	y := func(v float64) float64 { return top + plotH - plotH*v/yMax }
	height := top + plotH + bottom

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %s" width="%d" height="%s" role="img" aria-labelledby="chart-answers-title">`,
		chartWidth, num(height), chartWidth, num(height))
	fmt.Fprintf(&b, `<title id="chart-answers-title">%s</title>`, esc(l.ChartAnswers))
	for t := 0.0; t <= xMax+1e-9; t += xStep {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e0e0e0" stroke-width="1"/>`, num(x(t)), num(top), num(x(t)), num(top+plotH))
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="12" text-anchor="middle">%s</text>`, num(x(t)), num(top+plotH+16), num(t))
	}
	for v := 0.0; v <= yMax+1e-9; v += yStep {
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e0e0e0" stroke-width="1"/>`, num(left), num(y(v)), num(left+plotW), num(y(v)))
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="12" text-anchor="end" dominant-baseline="middle">%s</text>`, num(left-6), num(y(v)), num(v))
	}
	fmt.Fprintf(&b, `<path d="M%s %sV%sH%s" fill="none" stroke="%s" stroke-width="1"/>`, num(left), num(top), num(top+plotH), num(left+plotW), inkColour)
	fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="12" text-anchor="middle">%s</text>`, num(left+plotW/2), num(top+plotH+38), esc(l.Minutes))
	if t := r.Verdict.Target; t != nil {
		tx := x(t.Seconds / 60)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="2 3"/>`, num(tx), num(top), num(tx), num(top+plotH), inkColour)
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="11" text-anchor="middle">%s</text>`, num(tx), num(top-4), esc(l.TargetLine+" "+l.dur(t)))
	}
	step := func(val func(SeriesPoint) int) string {
		var d strings.Builder
		fmt.Fprintf(&d, "M%s %s", num(x(0)), num(y(0)))
		for _, p := range r.Series {
			fmt.Fprintf(&d, "H%sV%s", num(x(p.Minutes)), num(y(float64(val(p)))))
		}
		return d.String()
	}
	fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2.5"><title>%s</title></path>`,
		step(func(p SeriesPoint) int { return p.Answered }), okColour, esc(l.SeriesAnswered))
	fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="7 4"><title>%s</title></path>`,
		step(func(p SeriesPoint) int { return p.Available }), inkColour, esc(l.SeriesAvailable))
	// Legend: line samples with text, so it reads in black and white.
	fmt.Fprintf(&b, `<line x1="%s" y1="14" x2="%s" y2="14" stroke="%s" stroke-width="2.5"/>`, num(left), num(left+28), okColour)
	fmt.Fprintf(&b, `<text x="%s" y="14" font-size="12" dominant-baseline="middle">%s</text>`, num(left+34), esc(l.SeriesAnswered))
	fmt.Fprintf(&b, `<line x1="%s" y1="14" x2="%s" y2="14" stroke="%s" stroke-width="2" stroke-dasharray="7 4"/>`, num(left+290), num(left+318), inkColour)
	fmt.Fprintf(&b, `<text x="%s" y="14" font-size="12" dominant-baseline="middle">%s</text>`, num(left+324), esc(l.SeriesAvailable))
	b.WriteString(`</svg>`)
	return b.String()
}
