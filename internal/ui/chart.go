package ui

import (
	"fmt"
	"time"
)

// The throughput chart's geometry, in SVG user units.
const (
	chartW, chartH           = 1100, 220
	chartLeft, chartRight    = 44, 8
	chartTop, chartBottom    = 10, 22
	chartMinutes             = 60
	chartPlotW, chartPlotH   = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
	chartSlot                = float64(chartPlotW) / chartMinutes
	chartGap                 = 1.0
	chartTicks, chartXLabels = 4, 15 // a grid line per quarter; an x label every 15 minutes
)

// chart is the last hour's throughput as SVG shapes: a stacked bar per
// minute (accepted below, rejected above), grid lines and labels.
type chart struct {
	W, H               int
	Left, Right        float64
	Bottom             float64
	Bars               []bar
	Ticks              []tick
	Labels             []tick
	Accepted, Rejected int
	Peak               int
}

// bar is one minute's bar; a height of 0 draws nothing.
type bar struct {
	X, W     float64
	AccY     float64
	AccH     float64
	RejY     float64
	RejH     float64
	Title    string
	Empty    bool
	Accepted int
	Rejected int
}

// tick is a grid line (Y) or an x-axis label (X), with its text and its
// SVG text-anchor.
type tick struct {
	X, Y   float64
	Label  string
	Anchor string
}

// newChart lays out minutes over the hour that ends with now's minute.
// Minutes outside it are ignored; minutes missing count as zero.
func newChart(now time.Time, minutes []Minute) chart {
	end := now.Truncate(time.Minute)
	start := end.Add(-(chartMinutes - 1) * time.Minute)
	var acc, rej [chartMinutes]int
	c := chart{W: chartW, H: chartH, Left: chartLeft, Right: chartW - chartRight, Bottom: chartTop + chartPlotH}
	for _, m := range minutes {
		i := int(m.Start.Truncate(time.Minute).Sub(start) / time.Minute)
		if i < 0 || i >= chartMinutes {
			continue
		}
		acc[i] += m.Accepted
		rej[i] += m.Rejected
		c.Accepted += m.Accepted
		c.Rejected += m.Rejected
	}
	peak := 0
	for i := range chartMinutes {
		peak = max(peak, acc[i]+rej[i])
	}
	c.Peak = peak
	top := niceCeil(peak)
	scale := float64(chartPlotH) / float64(top)
	for i := range chartMinutes {
		x := chartLeft + float64(i)*chartSlot
		ah, rh := float64(acc[i])*scale, float64(rej[i])*scale
		at := start.Add(time.Duration(i) * time.Minute)
		c.Bars = append(c.Bars, bar{
			X: x + chartGap/2, W: chartSlot - chartGap,
			AccY: c.Bottom - ah, AccH: ah,
			RejY: c.Bottom - ah - rh, RejH: rh,
			Title:    fmt.Sprintf("%s: %d accepted, %d rejected", at.UTC().Format("15:04Z"), acc[i], rej[i]),
			Empty:    acc[i]+rej[i] == 0,
			Accepted: acc[i], Rejected: rej[i],
		})
		switch {
		case i == chartMinutes-1: // flush right, or it would be cut
			c.Labels = append(c.Labels, tick{X: x + chartSlot, Y: chartH - 6, Label: at.UTC().Format("15:04"), Anchor: "end"})
		case i%chartXLabels == 0 && i < chartMinutes-chartXLabels/3:
			c.Labels = append(c.Labels, tick{X: x + chartSlot/2, Y: chartH - 6, Label: at.UTC().Format("15:04"), Anchor: "middle"})
		}
	}
	for k := 0; k <= chartTicks; k++ {
		v := top * k / chartTicks
		c.Ticks = append(c.Ticks, tick{X: chartLeft - 6, Y: c.Bottom - float64(v)*scale, Label: fmt.Sprint(v)})
	}
	return c
}

// niceCeil returns the smallest of 4, 8, 20, 40, 80, 200, ... (so quarter
// grid lines fall on whole numbers) that is at least n.
func niceCeil(n int) int {
	for base := 1; ; base *= 10 {
		for _, m := range []int{4, 8, 20} {
			if v := m * base; v >= n {
				return v
			}
		}
	}
}
