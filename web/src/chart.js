// Fan chart of shortfall by week: band p5–p95, line p50, dashed line mean. Every point the
// chart draws is also put on an element as data attributes (data-week, data-p5, data-p50,
// data-p95, data-mean), so a reader or a test can check the chart against the numbers.
import { scaleLinear } from 'd3-scale';
import { area, line } from 'd3-shape';
import { axisBottom, axisLeft } from 'd3-axis';
import { select } from 'd3-selection';
import { fmtNum, showTip, hideTip } from './ui.js';

export function fanChart(rows, { unit, id = 'fan-chart', title }) {
    const W = 1100;
    const H = 400;
    const m = { top: 20, right: 24, bottom: 48, left: 78 };
    const pts = rows.slice().sort((a, b) => a.week - b.week);
    const x = scaleLinear()
        .domain([Math.min(...pts.map((p) => p.week)), Math.max(...pts.map((p) => p.week))])
        .range([m.left, W - m.right]);
    const ymax = Math.max(1e-9, ...pts.map((p) => Math.max(p.p95_t, p.mean_t)));
    const y = scaleLinear()
        .domain([0, ymax * 1.08])
        .nice()
        .range([H - m.bottom, m.top]);
    const svg = select(document.createElementNS('http://www.w3.org/2000/svg', 'svg'))
        .attr('viewBox', `0 0 ${W} ${H}`)
        .attr('class', 'fan')
        .attr('id', id)
        .attr('role', 'img')
        .attr('aria-label', title || 'fan chart');
    svg.append('g')
        .attr('class', 'grid')
        .attr('transform', `translate(${m.left},0)`)
        .call(axisLeft(y).ticks(6).tickSize(-(W - m.left - m.right)).tickFormat(''));
    svg.append('path')
        .datum(pts)
        .attr('class', 'band')
        .attr(
            'd',
            area()
                .x((d) => x(d.week))
                .y0((d) => y(d.p5_t))
                .y1((d) => y(d.p95_t)),
        );
    svg.append('path')
        .datum(pts)
        .attr('class', 'line-p50')
        .attr(
            'd',
            line()
                .x((d) => x(d.week))
                .y((d) => y(d.p50_t)),
        );
    svg.append('path')
        .datum(pts)
        .attr('class', 'line-mean')
        .attr(
            'd',
            line()
                .x((d) => x(d.week))
                .y((d) => y(d.mean_t)),
        );
    svg.append('g')
        .attr('class', 'axis x')
        .attr('transform', `translate(0,${H - m.bottom})`)
        .call(axisBottom(x).ticks(Math.min(13, pts.length)).tickFormat((d) => String(d)));
    svg.append('g')
        .attr('class', 'axis y')
        .attr('transform', `translate(${m.left},0)`)
        .call(axisLeft(y).ticks(6).tickFormat((d) => fmtNum(d)));
    svg.append('text')
        .attr('class', 'axis-label')
        .attr('x', (m.left + W - m.right) / 2)
        .attr('y', H - 8)
        .attr('text-anchor', 'middle')
        .text('week of the scenario (week 0 = first simulated week)');
    svg.append('text')
        .attr('class', 'axis-label')
        .attr('transform', `translate(16,${(m.top + H - m.bottom) / 2}) rotate(-90)`)
        .attr('text-anchor', 'middle')
        .text(`shortfall, ${unit} per week`);
    // One invisible hit-target per week carries the numbers drawn.
    const step = pts.length > 1 ? x(pts[1].week) - x(pts[0].week) : 20;
    svg.append('g')
        .attr('class', 'points')
        .selectAll('rect')
        .data(pts)
        .join('rect')
        .attr('class', 'pt')
        .attr('x', (d) => x(d.week) - step / 2)
        .attr('y', m.top)
        .attr('width', step)
        .attr('height', H - m.top - m.bottom)
        .attr('data-week', (d) => d.week)
        .attr('data-p5', (d) => d.p5_t)
        .attr('data-p50', (d) => d.p50_t)
        .attr('data-p95', (d) => d.p95_t)
        .attr('data-mean', (d) => d.mean_t)
        .on('mousemove', (ev, d) => showTip(ev, [`week ${d.week}`, `p95 ${fmtNum(d.p95_t)} ${unit}`, `mean ${fmtNum(d.mean_t)} ${unit}`, `p50 ${fmtNum(d.p50_t)} ${unit}`, `p5 ${fmtNum(d.p5_t)} ${unit}`]))
        .on('mouseleave', hideTip);
    return svg.node();
}
