// Response page: alliance + scenario → job "respond" (the LP of docs/respond.md) → the
// delivery plan as a table and a from → to flow diagram, unserved before/after, burden.
// Rows the server marks confidential (from "pooled", or "withheld": true with nulls) are
// shown as such: another ally's national stock is not ours to see.
import { data } from '../api.js';
import { lookups } from '../lookups.js';
import { scenarioChooser, stat } from './scenario.js';
import { h, clear, fmtNum, fmtPct, fmtUSD, field, select, runJobInto, sortableTable, sourceLine, routeParams, setRouteParams, showTip, hideTip, confidentialityNote } from '../ui.js';

const SVGNS = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
    return e;
}

const CONF = () => h('span', { class: 'confidential', title: 'another ally’s confidential stock' }, 'confidential');

export function isConfidential(d) {
    return d.withheld === true || d.from === 'pooled' || d.tonnes === null;
}

export async function allianceChooser(current, id = 'alliance-select') {
    const doc = await data('alliances');
    const rows = doc.rows || [];
    const sel = select(
        rows.map((a) => ({ value: a.id, label: `${a.id} — ${a.name}` })),
        rows.some((a) => a.id === current) ? current : rows.find((a) => a.id === 'G7')?.id || rows[0]?.id,
        { id },
    );
    const about = h('p', { class: 'muted alliance-about' });
    const describe = () => {
        const a = rows.find((x) => x.id === sel.value);
        about.textContent = a ? `Members: ${String(a.members).split(';').join(', ')}. Burden rule: ${a.burden_rule}. (alliances.csv: ${a.source})` : '';
    };
    sel.addEventListener('change', describe);
    describe();
    return { sel, about, rows };
}

export async function renderResponse(root, ctx) {
    const params = routeParams();
    const [{ sel: scen, about: scenAbout }, { sel: ally, about: allyAbout }, L] = await Promise.all([scenarioChooser(params.scenario), allianceChooser(params.alliance), lookups()]);
    if (!ctx.isCurrent()) return;
    const weeks = h('input', { type: 'number', id: 'weeks', min: 1, max: 520, value: params.weeks || '', placeholder: "scenario's" });
    const run = h('button', { type: 'submit', class: 'btn', id: 'run-respond' }, 'Plan the response');
    const status = h('div', { class: 'job-status' });
    const out = h('div', { class: 'results', id: 'response-results' });
    const form = h('form', { class: 'controls' }, field('Alliance', ally), field('Scenario', scen), field('Weeks', weeks, 'blank: the scenario’s'), run);
    root.append(
        h('h1', {}, 'Who ships what to whom?'),
        h('p', { class: 'lede' }, 'Plans coordinated emergency deliveries among the allies (lode respond): releases from national stockpiles and exports redirected from non-members, with shipping lead times and release limits, minimising priority-weighted unserved demand, then re-simulates the plan.'),
        form,
        allyAbout,
        scenAbout,
        status,
        out,
    );
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const p = { scenario: scen.value, alliance: ally.value };
        if (weeks.value) p.weeks = parseInt(weeks.value, 10);
        setRouteParams({ alliance: p.alliance, scenario: p.scenario, weeks: p.weeks });
        await runJobInto({ command: 'respond', params: p, button: run, out, status, ctx,
                           done: (job) => showResult(out, job, L, p) });
    });
}

function showResult(out, job, L, p) {
    const r = job.result;
    const dels = r.deliveries || [];
    const conf = dels.filter(isConfidential).length;
    const tonnesCell = (d) => (d.tonnes === null || d.tonnes === undefined ? h('span', { class: 'confidential' }, 'confidential') : `${fmtNum(d.tonnes)} ${d.unit || L.unit(d.material)}`);
    const fromCell = (d) => (d.from === 'pooled' ? h('span', { class: 'confidential', title: `pooled: releases of ${d.holders ?? 'two or more'} allies’ confidential stocks, summed; first week shown` }, 'pooled (confidential)') : d.withheld ? h('span', { class: 'confidential', title: 'withheld: another ally’s confidential stock' }, `${d.from ?? ''} (withheld)`) : `${L.countryName(d.from)} (${d.from})`);
    const saved = r.unserved_before_t - r.unserved_after_t;
    clear(out).append(
        h(
            'div',
            { class: 'summary' },
            stat('Unserved without a plan', h('span', { id: 'unserved-before', 'data-t': r.unserved_before_t }, `${fmtNum(r.unserved_before_t)} t`), 'sum over materials, each in its own unit, over the horizon'),
            stat('Unserved with the plan', h('span', { id: 'unserved-after', 'data-t': r.unserved_after_t }, `${fmtNum(r.unserved_after_t)} t`), r.resimulated ? 're-simulated' : 'as planned by the LP (not re-simulated)'),
            stat('Served by the plan', `${fmtNum(saved)} t (${fmtPct(r.unserved_before_t ? saved / r.unserved_before_t : 0)})`),
            stat('Released / redirected', `${r.released_t === null ? 'confidential' : fmtNum(r.released_t)} / ${fmtNum(r.redirected_t)} t`, 'stockpile releases / exports redirected from non-members'),
            stat('Deliveries', h('span', { id: 'delivery-count' }, String(dels.length)), conf ? `${conf} confidential` : undefined),
        ),
        h('p', { class: 'muted' }, `Tonnes are each material’s own unit (t oxide, t magnet…), summed over materials and the ${r.weeks} weeks; weighted unserved (priority weights, docs/respond.md) before: ${fmtNum(r.weighted_unserved_before)}. Solver ${r.solver}; LP ${r.model?.rows ?? '?'} rows × ${r.model?.cols ?? '?'} columns.`),
        confidentialityNote(r),
        h('h2', {}, 'Flows of the plan'),
        flowDiagram(dels, L),
        h('p', { class: 'figure-caption' }, 'Left: shipping allies (or pooled stock); right: receiving allies. Band width ∝ tonnes summed over materials and weeks (each material in its own unit). Hover a band for the figures.'),
        h('h2', {}, 'Delivery plan'),
        sortableTable({
            id: 'deliveries-table',
            rows: dels,
            sortKey: 'week',
            sortDir: 'asc',
            columns: [
                { key: 'from', label: 'From', fmt: fromCell },
                { key: 'to', label: 'To', fmt: (d) => `${L.countryName(d.to)} (${d.to})` },
                { key: 'material', label: 'Material' },
                { key: 'week', label: 'Ships', unit: 'week', num: true },
                { key: 'arrive_week', label: 'Arrives', unit: 'week', num: true },
                { key: 'source', label: 'Taken from', fmt: (d) => (d.source === 'stockpile' || d.source === 'stock' ? 'stockpile release' : d.source === 'surplus' ? 'redirected exports' : d.source ?? '—') },
                { key: 'tonnes', label: 'Quantity', num: true, fmt: tonnesCell },
            ],
            rowAttrs: (d) => ({ class: isConfidential(d) ? 'row-confidential' : '', 'data-from': d.from, 'data-to': d.to, 'data-tonnes': d.tonnes ?? '' }),
            empty: 'The plan ships nothing: no ally has stock or surplus to spare for this scenario.',
        }),
        h('h2', {}, 'Burden sharing'),
        sortableTable({
            id: 'burden-table',
            rows: r.burden || [],
            rowAttrs: (b) => ({ class: b.withheld ? 'row-confidential' : '', 'data-country': b.country }),
            sortKey: 'contrib_usd',
            columns: [
                { key: 'country', label: 'Ally', fmt: (b) => `${L.countryName(b.country)} (${b.country})` },
                { key: 'key', label: 'Fair share', unit: 'key', num: true, fmt: (b) => fmtPct(b.key), title: 'the alliance rule’s key, e.g. share of consumption' },
                { key: 'share', label: 'Actual share', unit: 'of contributions', num: true, fmt: (b) => (b.share === null ? CONF() : fmtPct(b.share)) },
                { key: 'contrib_usd', label: 'Contribution', unit: 'USD', num: true, fmt: (b) => (b.contrib_usd === null ? CONF() : fmtUSD(b.contrib_usd)) },
                { key: 'own_release_t', label: 'Released to itself', unit: 't', num: true, fmt: (b) => (b.own_release_t === null ? CONF() : fmtNum(b.own_release_t)) },
                { key: 'received_t', label: 'Received', unit: 't', num: true, fmt: (b) => fmtNum(b.received_t) },
            ],
        }),
        sourceLine(`job ${job.id}${job.seconds !== undefined ? ` (submitted ${job.submitted ?? '?'}, ${job.seconds} s)` : ''}: lode respond ${r.scenario || p.scenario} --alliance ${r.alliance || p.alliance} --weeks ${r.weeks} (LP, docs/respond.md); values in USD at the latest prices.csv prices; stocks from stockpiles.csv as the simulation reads them.`),
    );
}

function flowDiagram(dels, L) {
    const links = new Map();
    for (const d of dels) {
        const from = d.from === 'pooled' ? 'pooled' : d.from;
        const k = `${from}>${d.to}`;
        const l = links.get(k) || { from, to: d.to, tonnes: 0, n: 0, hidden: 0, materials: new Set() };
        if (typeof d.tonnes === 'number') l.tonnes += d.tonnes;
        else l.hidden += 1;
        l.n += 1;
        l.materials.add(d.material);
        links.set(k, l);
    }
    const ls = [...links.values()];
    if (!ls.length) return h('p', { class: 'muted' }, 'No deliveries to draw.');
    const total = (key, id) => ls.filter((l) => l[key] === id).reduce((a, l) => a + l.tonnes, 0);
    const froms = [...new Set(ls.map((l) => l.from))].sort((a, b) => total('from', b) - total('from', a));
    const tos = [...new Set(ls.map((l) => l.to))].sort((a, b) => total('to', b) - total('to', a));
    const W = 860;
    const rowH = 40;
    const H = Math.max(froms.length, tos.length) * rowH + 30;
    const xL = 190;
    const xR = W - 190;
    const yOf = (list, id) => 20 + list.indexOf(id) * rowH + rowH / 2;
    const maxT = Math.max(1e-9, ...ls.map((l) => l.tonnes));
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'sankey', id: 'response-flows', role: 'img', 'aria-label': 'delivery plan flows from allies to allies' });
    for (const l of ls.sort((a, b) => b.tonnes - a.tonnes)) {
        const y1 = yOf(froms, l.from);
        const y2 = yOf(tos, l.to);
        const w = l.tonnes > 0 ? 1.5 + 16 * Math.sqrt(l.tonnes / maxT) : 1.5;
        const p = s('path', { d: `M${xL},${y1} C${(xL + xR) / 2},${y1} ${(xL + xR) / 2},${y2} ${xR},${y2}`, class: `link${l.from === 'pooled' || l.hidden ? ' link-confidential' : ''}`, 'stroke-width': w.toFixed(2), 'data-from': l.from, 'data-to': l.to, 'data-tonnes': l.tonnes });
        const lines = [`${l.from === 'pooled' ? 'pooled stock (confidential)' : L.countryName(l.from)} → ${L.countryName(l.to)}`, `${fmtNum(l.tonnes)} t over the horizon${l.hidden ? ` + ${l.hidden} confidential deliveries` : ''}`, `${l.n} deliveries: ${[...l.materials].join(', ')}`];
        p.addEventListener('mousemove', (ev) => showTip(ev, lines));
        p.addEventListener('mouseleave', hideTip);
        svg.append(p);
    }
    const label = (id, x, y, anchor, tonnes) => {
        const t = s('text', { x, y: y + 4, 'text-anchor': anchor, class: 'node-label' });
        t.textContent = id === 'pooled' ? 'pooled (confidential)' : `${L.countryName(id)} (${id})`;
        const sub = s('tspan', { class: 'node-t', dx: 6 });
        sub.textContent = `${fmtNum(tonnes)} t`;
        if (anchor === 'end') t.prepend(Object.assign(s('tspan', { class: 'node-t' }), { textContent: `${fmtNum(tonnes)} t  ` }));
        else t.append(sub);
        return t;
    };
    for (const f of froms) {
        const y = yOf(froms, f);
        svg.append(s('rect', { x: xL - 6, y: y - 11, width: 6, height: 22, class: 'node' }), label(f, xL - 12, y, 'end', total('from', f)));
    }
    for (const t of tos) {
        const y = yOf(tos, t);
        svg.append(s('rect', { x: xR, y: y - 11, width: 6, height: 22, class: 'node' }), label(t, xR + 12, y, 'start', total('to', t)));
    }
    const head = (x, text, anchor) => {
        const t = s('text', { x, y: 12, 'text-anchor': anchor, class: 'col-head' });
        t.textContent = text;
        return t;
    };
    svg.append(head(xL, 'ships', 'end'), head(xR, 'receives', 'start'));
    return h('div', { class: 'chart-box' }, svg);
}
