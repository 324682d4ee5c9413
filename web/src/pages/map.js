// Map page: each country coloured by its share of world production of one material in that
// material's baseline year (/api/data/production), and the largest baseline trade flows
// (/api/data/trade) as arcs between country centroids, width by tonnes per year.
//
// Baseline year and world total follow the engine (src/model/model.c baseline_year,
// docs/risk.md): the latest year whose producer rows (countries and ROW) cover at least 90%
// of that year's published world total (WLD); a year without WLD only if no year has one.
// world = max(WLD of that year, sum of producer rows); share = country tonnes / world.
import { geoNaturalEarth1, geoPath, geoCentroid, geoGraticule10 } from 'd3-geo';
import { scaleSequential, scaleSqrt } from 'd3-scale';
import { interpolateYlOrRd } from 'd3-scale-chromatic';
import { feature, mesh } from 'topojson-client';
import world from 'world-atlas/countries-110m.json';
import iso from 'virtual:iso3166';
import { data, api } from '../api.js';
import { lookups, STAGES, fieldUnit } from '../lookups.js';
import { h, clear, fmtNum, fmtPct, showTip, hideTip, sourceLine, sourcesList, select, field, routeParams, setRouteParams, sortableTable } from '../ui.js';

const SVGNS = 'http://www.w3.org/2000/svg';
const NO_DATA_FILL = '#e6e9ee';
function s(tag, attrs = {}) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
    return e;
}

const countriesGeo = feature(world, world.objects.countries);
const bordersGeo = mesh(world, world.objects.countries, (a, b) => a !== b);
const numericToAlpha3 = new Map(Object.entries(iso).map(([a3, v]) => [v.numeric, a3]));

export function baselineProduction(prodRows, materialId, kindOf) {
    const rows = prodRows.filter((r) => r.material === materialId);
    const isProducer = (c) => kindOf(c) === 'country' || kindOf(c) === 'residual';
    const sumYear = (y) => rows.filter((r) => r.year === y && isProducer(r.country)).reduce((a, r) => a + r.tonnes, 0);
    let best = 0;
    let bestWorld = 0;
    let bestAny = 0;
    for (const r of rows) {
        if (isProducer(r.country) && r.year > bestAny) bestAny = r.year;
        if (kindOf(r.country) !== 'world' || r.year <= best) continue;
        if (r.tonnes > 0 && sumYear(r.year) >= 0.9 * r.tonnes) {
            best = r.year;
            bestWorld = r.tonnes;
        }
    }
    const year = best || bestAny;
    const producers = rows.filter((r) => r.year === year && isProducer(r.country));
    const byCountry = new Map();
    for (const r of producers) byCountry.set(r.country, (byCountry.get(r.country) || 0) + r.tonnes);
    const sum = [...byCountry.values()].reduce((a, b) => a + b, 0);
    const worldT = Math.max(best ? bestWorld : 0, sum);
    const sources = rows.filter((r) => r.year === year).map((r) => r.source);
    return { year, worldT, publishedWorld: best ? bestWorld : null, byCountry, sources, rows: producers };
}

export async function renderMap(root, ctx) {
    root.append(h('div', { class: 'loading-slot' }));
    const [L, prod, trade] = await Promise.all([lookups(), data('production'), data('trade')]);
    if (!ctx.isCurrent()) return;
    clear(root);
    const kindOf = (c) => L.country.get(c)?.kind;
    const params = routeParams();
    const withProduction = new Set(prod.rows.map((r) => r.material));
    const mats = L.materials.rows.filter((m) => withProduction.has(m.id));
    let material = mats.find((m) => m.id === params.material) ? params.material : mats[0]?.id;
    let stage = L.material.get(material)?.stage || STAGES[0];
    let topN = Math.max(0, Math.min(100, parseInt(params.top ?? '15', 10) || 0));

    const stageSel = select(STAGES.filter((st) => mats.some((m) => m.stage === st)).map((st) => ({ value: st, label: st })), stage, { id: 'stage-select' });
    const matSel = h('select', { id: 'material-select' });
    const topInput = h('input', { type: 'number', id: 'top-flows', min: 0, max: 100, value: topN });
    function fillMaterials() {
        clear(matSel);
        for (const m of mats.filter((x) => x.stage === stage)) {
            const o = h('option', { value: m.id }, `${m.id} — ${m.name}`);
            if (m.id === material) o.selected = true;
            matSel.append(o);
        }
        if (!mats.some((m) => m.id === material && m.stage === stage)) material = matSel.value;
    }
    fillMaterials();
    stageSel.addEventListener('change', () => {
        stage = stageSel.value;
        fillMaterials();
        draw();
    });
    matSel.addEventListener('change', () => {
        material = matSel.value;
        draw();
    });
    topInput.addEventListener('change', () => {
        topN = Math.max(0, Math.min(100, parseInt(topInput.value, 10) || 0));
        draw();
    });

    const title = h('h1', {}, 'Who produces it, and where it goes');
    const lede = h('p', { class: 'lede' }, 'Colour: each country’s share of world production of the chosen material in its baseline year. Arcs: the largest baseline trade flows (exporter → importer), width by tonnes per year. Hover a country or an arc for figures.');
    const controls = h('div', { class: 'controls' }, field('Stage', stageSel), field('Material', matSel), field('Flows shown', topInput, 'largest N'));
    const mapBox = h('div', { class: 'map-box' });
    const legend = h('div', { class: 'legend' });
    const caption = h('div', { class: 'caption' });
    const side = h('div', { class: 'side' });
    root.append(title, lede, controls, h('div', { class: 'map-layout' }, h('div', { class: 'map-col' }, mapBox, legend, caption), side));

    const width = 960;
    const height = 500;
    const projection = geoNaturalEarth1().fitExtent(
        [
            [4, 4],
            [width - 4, height - 4],
        ],
        { type: 'Sphere' },
    );
    const path = geoPath(projection);
    const centroid = new Map();
    for (const f of countriesGeo.features) {
        const a3 = numericToAlpha3.get(f.id);
        if (!a3) continue;
        // Centroid of the largest polygon: keeps France's and the USA's on the mainland.
        let g = f.geometry;
        if (g.type === 'MultiPolygon') {
            let best = null;
            let bestArea = -1;
            for (const poly of g.coordinates) {
                const p = { type: 'Polygon', coordinates: poly };
                const a = path.area(p);
                if (a > bestArea) {
                    bestArea = a;
                    best = p;
                }
            }
            g = best;
        }
        centroid.set(a3, projection(geoCentroid(g)));
    }

    function draw() {
        hideTip();
        setRouteParams({ material, top: topN });
        const m = L.material.get(material);
        const unit = m?.unit || 't';
        const base = baselineProduction(prod.rows, material, kindOf);
        const shares = new Map();
        for (const [c, t] of base.byCountry) if (kindOf(c) === 'country') shares.set(c, { tonnes: t, share: base.worldT > 0 ? t / base.worldT : 0 });
        const maxShare = Math.max(0.0001, ...[...shares.values()].map((x) => x.share));
        const color = scaleSequential(interpolateYlOrRd).domain([0, maxShare]);

        const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'map', id: 'world-map', role: 'img', 'aria-label': `World map: share of world ${material} production by country, ${base.year}` });
        svg.append(s('path', { d: path({ type: 'Sphere' }), class: 'sphere' }));
        svg.append(s('path', { d: path(geoGraticule10()), class: 'graticule' }));
        const gCountries = s('g', { class: 'countries' });
        for (const f of countriesGeo.features) {
            const a3 = numericToAlpha3.get(f.id);
            const v = a3 ? shares.get(a3) : undefined;
            const p = s('path', { d: path(f), class: 'country', fill: v ? color(v.share) : NO_DATA_FILL, 'data-iso3': a3 || '', 'data-iso-numeric': f.id || '' });
            if (v) {
                p.dataset.tonnes = String(v.tonnes);
                p.dataset.share = String(v.share);
            }
            const name = a3 ? L.countryName(a3) : f.properties?.name || 'unknown';
            const lines = v
                ? [`${name} (${a3})`, `${fmtNum(v.tonnes)} ${unit}/yr in ${base.year}`, `${fmtPct(v.share)} of world production (${fmtNum(base.worldT)} ${unit}/yr)`, 'production.csv via /api/data/production']
                : [`${name}${a3 ? ` (${a3})` : ''}`, `no ${material} production listed for ${base.year}`];
            p.addEventListener('mousemove', (ev) => showTip(ev, lines));
            p.addEventListener('mouseleave', hideTip);
            p.__tip = lines;
            gCountries.append(p);
        }
        svg.append(gCountries);
        svg.append(s('path', { d: path(bordersGeo), class: 'borders' }));

        // Flows: rows of this material summed per exporter → importer over the years listed.
        const flows = new Map();
        const years = new Set();
        const flowSources = [];
        for (const r of trade.rows) {
            if (r.material !== material) continue;
            years.add(r.year);
            flowSources.push(r.source);
            const k = `${r.exporter}>${r.importer}`;
            flows.set(k, (flows.get(k) || 0) + r.tonnes);
        }
        const all = [...flows.entries()].map(([k, t]) => {
            const [from, to] = k.split('>');
            return { from, to, tonnes: t };
        });
        const drawable = all.filter((f) => f.from !== f.to && kindOf(f.from) === 'country' && kindOf(f.to) === 'country' && centroid.has(f.from) && centroid.has(f.to));
        drawable.sort((a, b) => b.tonnes - a.tonnes || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
        const shown = drawable.slice(0, topN);
        const notDrawn = all.filter((f) => !drawable.includes(f));
        const notDrawnT = notDrawn.reduce((a, f) => a + f.tonnes, 0);
        const totalT = all.reduce((a, f) => a + f.tonnes, 0);
        const wScale = scaleSqrt()
            .domain([0, Math.max(1e-9, ...shown.map((f) => f.tonnes))])
            .range([0.8, 9]);
        const defs = s('defs');
        const marker = s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 9, markerHeight: 9, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' });
        marker.append(s('path', { d: 'M0,1 L9,5 L0,9 z', class: 'arrow-head' }));
        defs.append(marker);
        svg.prepend(defs);
        const gFlows = s('g', { class: 'flows' });
        for (const f of shown.slice().reverse()) {
            const [x1, y1] = centroid.get(f.from);
            const [x2, y2] = centroid.get(f.to);
            const dx = x2 - x1;
            const dy = y2 - y1;
            const dist = Math.hypot(dx, dy) || 1;
            const bend = Math.min(120, dist * 0.25);
            const cx = (x1 + x2) / 2 - (dy / dist) * bend;
            const cy = (y1 + y2) / 2 + (dx / dist) * bend;
            const arc = s('path', { d: `M${x1},${y1} Q${cx},${cy} ${x2},${y2}`, class: 'flow', 'stroke-width': wScale(f.tonnes).toFixed(2), 'marker-end': 'url(#arrow)', 'data-from': f.from, 'data-to': f.to, 'data-tonnes': String(f.tonnes) });
            const lines = [`${L.countryName(f.from)} → ${L.countryName(f.to)}`, `${fmtNum(f.tonnes)} ${unit}/yr (${[...years].join(', ')})`, `${fmtPct(totalT ? f.tonnes / totalT : 0)} of all listed ${material} trade`, 'trade.csv (baseline, derived: docs/baseline.md) via /api/data/trade'];
            arc.addEventListener('mousemove', (ev) => showTip(ev, lines));
            arc.addEventListener('mouseleave', hideTip);
            gFlows.append(arc);
        }
        svg.append(gFlows);
        clear(mapBox).append(svg);

        // Legend: colour ramp 0 .. max share.
        clear(legend);
        const stops = 8;
        const ramp = h('div', { class: 'ramp', style: `background: linear-gradient(to right, ${Array.from({ length: stops + 1 }, (_, i) => color((maxShare * i) / stops)).join(', ')})` });
        legend.append(
            h('span', { class: 'legend-title' }, 'Share of world production'),
            h('div', { class: 'ramp-box' }, ramp, h('div', { class: 'ramp-ticks' }, h('span', {}, '0%'), h('span', {}, fmtPct(maxShare / 2)), h('span', {}, fmtPct(maxShare)))),
            h('span', { class: 'swatch', style: `background:${NO_DATA_FILL}` }),
            h('span', {}, 'not listed'),
            h('span', { class: 'flow-key' }),
            h('span', {}, `flow width ∝ √(${unit}/yr)`),
        );

        const prodUnit = fieldUnit(prod, 'tonnes') || 't/yr';
        const rowT = base.byCountry.get('ROW') || 0;
        clear(caption).append(
            h(
                'p',
                { class: 'figure-caption', id: 'map-caption' },
                h('strong', {}, `${m?.name || material}`),
                ` (${material}, stage ${m?.stage}), baseline year ${base.year}. World production ${fmtNum(base.worldT)} ${unit}/yr`,
                base.publishedWorld !== null ? ` (published world total ${fmtNum(base.publishedWorld)}; listed producers incl. ROW ${fmtNum([...base.byCountry.values()].reduce((a, b) => a + b, 0))})` : ' (sum of listed producers incl. ROW: no published world total)',
                rowT ? `; unlisted producers (ROW) ${fmtNum(rowT)} ${unit}/yr are not on the map.` : '.',
                ` Flows: ${shown.length} largest of ${drawable.length} country-to-country pairs (${[...years].join(', ')}), ${fmtNum(shown.reduce((a, f) => a + f.tonnes, 0))} of ${fmtNum(totalT)} ${unit}/yr listed; ${notDrawn.length} flows (${fmtNum(notDrawnT)} ${unit}/yr) involve ROW or a country without a shape on the map and are not drawn.`,
            ),
            sourceLine(`/api/data/production (unit ${prodUnit}, material unit ${unit}), /api/data/trade (baseline flows, mostly derived: see docs/baseline.md), borders Natural Earth 1:110m (world-atlas). `),
            sourcesList('Production sources for this material and year', base.sources),
            sourcesList('Trade sources for this material', flowSources),
        );

        // Side tables: producers and flows, the same numbers as the map.
        const producers = [...shares.entries()].map(([c, v]) => ({ country: c, name: L.countryName(c), ...v }));
        // Unlisted producers (ROW) and the gap to a larger published world total: in the
        // table so the shares add up, not on the map (no shape).
        const listed = [...base.byCountry.values()].reduce((a, b) => a + b, 0);
        const other = (base.byCountry.get('ROW') || 0) + Math.max(0, base.worldT - listed);
        if (other > 0) producers.push({ country: 'ROW', name: 'Other producers', tonnes: other, share: other / base.worldT, rest: true });
        clear(side).append(
            h('h2', {}, `Producers, ${base.year}`),
            sortableTable({
                id: 'producers-table',
                rows: producers,
                sortKey: 'tonnes',
                columns: [
                    { key: 'name', label: 'Country', fmt: (r) => `${r.name} (${r.country})` },
                    { key: 'tonnes', label: 'Production', unit: `${unit}/yr`, num: true, fmt: (r) => fmtNum(r.tonnes) },
                    { key: 'share', label: 'Share', unit: 'of world', num: true, fmt: (r) => fmtPct(r.share) },
                ],
                rowAttrs: (r) => ({ 'data-iso3': r.country, 'data-share': r.share, 'data-tonnes': r.tonnes, class: r.rest ? 'row-rest' : '' }),
            }),
            h('h2', {}, 'Largest flows'),
            sortableTable({
                id: 'flows-table',
                rows: shown,
                sortKey: 'tonnes',
                columns: [
                    { key: 'from', label: 'From' },
                    { key: 'to', label: 'To' },
                    { key: 'tonnes', label: 'Flow', unit: `${unit}/yr`, num: true, fmt: (r) => fmtNum(r.tonnes) },
                ],
                empty: 'No country-to-country flows listed.',
            }),
        );
        // Cross-check with the risk engine (same baseline rule): shown, never substituted.
        const asked = material;
        api(`/api/risk?material=${encodeURIComponent(asked)}`)
            .then((doc) => {
                const r = doc.materials?.find((x) => x.material === asked);
                // An answer for a material no longer shown is dropped.
                if (!r || !ctx.isCurrent() || asked !== material) return;
                const agree = Math.abs(r.world_t - base.worldT) <= 1e-6 * Math.max(1, base.worldT) && r.year === base.year;
                caption.append(h('p', { class: `check ${agree ? 'ok' : 'warn'}`, id: 'risk-crosscheck', 'data-material': asked }, `Cross-check with /api/risk (lode risk): world ${fmtNum(r.world_t)} ${unit}/yr in ${r.year}, top producer ${r.top1_country} ${fmtPct(r.top1_share)} — ${agree ? 'agrees with the map' : 'differs from the map (report this)'}.`));
            })
            .catch(() => {});
    }
    draw();
}
