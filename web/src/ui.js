// Small DOM helpers shared by the pages: element builder, number formats (fixed en-US
// locale so every analyst sees the same digits), sortable tables, tooltip, progress bar.
import { runJob } from './api.js';

export function h(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
        else if (k === 'dataset') Object.assign(e.dataset, v);
        else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat(Infinity)) {
        if (c === undefined || c === null || c === false) continue;
        e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
}

const nf0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const nf1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const nf2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const nfs = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

// Tonnes (or any quantity): whole numbers from 100 up, fewer digits below.
export function fmtNum(x) {
    if (x === null || x === undefined || Number.isNaN(x)) return '—';
    const a = Math.abs(x);
    if (a === 0) return '0';
    if (a >= 100) return nf0.format(x);
    if (a >= 10) return nf1.format(x);
    if (a >= 1) return nf2.format(x);
    return nfs.format(x);
}
export function fmtPct(share, digits = 1) {
    if (share === null || share === undefined || Number.isNaN(share)) return '—';
    return `${(share * 100).toFixed(digits)}%`;
}
export function fmtUSD(x) {
    if (x === null || x === undefined || Number.isNaN(x)) return '—';
    const a = Math.abs(x);
    if (a >= 1e9) return `US$${(x / 1e9).toFixed(2)} bn`;
    if (a >= 1e6) return `US$${(x / 1e6).toFixed(1)} m`;
    return `US$${nf0.format(x)}`;
}

export function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
}

export function errorBox(err) {
    return h('div', { class: 'error', role: 'alert' }, h('strong', {}, 'Error: '), err?.message || String(err));
}

export function loading(text = 'Loading…') {
    return h('div', { class: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

// A caption under a figure: what it shows, units and where the numbers come from.
export function sourceLine(...parts) {
    return h('p', { class: 'source' }, h('span', { class: 'source-label' }, 'Source: '), ...parts);
}

// Long source texts (dataset rows quote publications at length) folded away.
export function sourcesList(title, sources) {
    const uniq = [...new Set(sources.filter(Boolean))];
    return h(
        'details',
        { class: 'sources' },
        h('summary', {}, `${title} (${uniq.length})`),
        h('ul', {}, uniq.map((s) => h('li', {}, s))),
    );
}

// columns: [{key, label, unit, title, num, fmt(row) -> string|Node, sortValue(row)}]
export function sortableTable({ columns, rows, sortKey, sortDir = 'desc', rowAttrs, caption, id, empty = 'No rows.' }) {
    let key = sortKey ?? null;
    let dir = sortDir;
    const tbody = h('tbody');
    const ths = columns.map((c) => {
        const th = h(
            'th',
            { scope: 'col', class: c.num ? 'num' : '', title: c.title || undefined, dataset: { key: c.key } },
            h('button', { type: 'button', class: 'sort' }, c.label, c.unit ? h('span', { class: 'unit' }, c.unit) : null),
        );
        th.querySelector('button').addEventListener('click', () => {
            if (key === c.key) dir = dir === 'asc' ? 'desc' : 'asc';
            else {
                key = c.key;
                dir = c.num ? 'desc' : 'asc';
            }
            render();
        });
        return th;
    });
    const val = (c, r) => (c.sortValue ? c.sortValue(r) : r[c.key]);
    function render() {
        const col = columns.find((c) => c.key === key);
        const sorted = rows.slice();
        if (col) {
            sorted.sort((a, b) => {
                const va = val(col, a);
                const vb = val(col, b);
                const na = va === null || va === undefined;
                const nb = vb === null || vb === undefined;
                if (na || nb) return na === nb ? 0 : na ? 1 : -1; // missing values last
                const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
                return dir === 'asc' ? c : -c;
            });
        }
        ths.forEach((th) => {
            const c = th.dataset.key;
            th.setAttribute('aria-sort', c === key ? (dir === 'asc' ? 'ascending' : 'descending') : 'none');
        });
        clear(tbody);
        if (!sorted.length) tbody.append(h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty)));
        for (const r of sorted) {
            const tr = h('tr', rowAttrs ? rowAttrs(r) : {});
            for (const c of columns) {
                const v = c.fmt ? c.fmt(r) : r[c.key];
                tr.append(h('td', { class: c.num ? 'num' : '' }, v instanceof Node ? v : v ?? '—'));
            }
            tbody.append(tr);
        }
    }
    render();
    return h(
        'div',
        { class: 'table-wrap' },
        h('table', { class: 'data', id }, caption ? h('caption', {}, caption) : null, h('thead', {}, h('tr', {}, ths)), tbody),
    );
}

// Tooltip that follows the pointer; content is plain text lines.
const tip = () => document.getElementById('tooltip');
export function showTip(ev, lines) {
    const t = tip();
    clear(t);
    lines.forEach((l, i) => t.append(h(i === 0 ? 'strong' : 'div', {}, l)));
    t.hidden = false;
    const pad = 14;
    const w = t.offsetWidth;
    const hgt = t.offsetHeight;
    let x = ev.clientX + pad;
    let y = ev.clientY + pad;
    if (x + w > window.innerWidth - 8) x = ev.clientX - w - pad;
    if (y + hgt > window.innerHeight - 8) y = ev.clientY - hgt - pad;
    t.style.left = `${x}px`;
    t.style.top = `${y}px`;
}
export function hideTip() {
    const t = tip();
    if (t) t.hidden = true;
}

export function progressBar() {
    const bar = h('div', { class: 'bar-fill' });
    const label = h('span', { class: 'bar-label' }, 'queued');
    const el = h(
        'div',
        { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0 },
        h('div', { class: 'bar' }, bar),
        label,
    );
    el.update = (job) => {
        const done = job.progress?.done ?? 0;
        const total = job.progress?.total ?? 0;
        const pct = job.state === 'done' ? 100 : total > 0 ? Math.min(100, (100 * done) / total) : 0;
        bar.style.width = `${pct}%`;
        el.setAttribute('aria-valuenow', String(Math.round(pct)));
        el.dataset.state = job.state;
        const unit = job.progress?.unit ? ` ${job.progress.unit}` : '';
        label.textContent = `${job.state}${total ? ` — ${done} / ${total}${unit}` : ''}${job.id ? ` (job ${job.id})` : ''}`;
    };
    return el;
}

/* Run a job of the API with a progress bar in `status`, `button` disabled meanwhile; done(job)
 * is called with the finished job unless the page was left (ctx.isCurrent()); a failure is
 * shown in `status`. */
export async function runJobInto({ command, params, button, out, status, ctx, done }) {
    button.disabled = true;
    clear(out);
    const bar = progressBar();
    clear(status).append(bar);
    try {
        const job = await runJob(command, params, (j) => bar.update(j));
        if (ctx.isCurrent()) done(job);
    } catch (e) {
        if (ctx.isCurrent()) status.append(errorBox(e));
    } finally {
        button.disabled = false;
    }
}

export function field(label, control, hint) {
    return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control, hint ? h('span', { class: 'hint' }, hint) : null);
}

export function select(options, value, attrs = {}) {
    const s = h('select', attrs);
    for (const o of options) {
        const opt = h('option', { value: o.value }, o.label);
        if (o.value === value) opt.selected = true;
        s.append(opt);
    }
    return s;
}

// Route query: #/page?a=1&b=2
export function routeParams() {
    const q = location.hash.split('?')[1] || '';
    return Object.fromEntries(new URLSearchParams(q));
}
export function setRouteParams(params) {
    const base = location.hash.split('?')[0] || '#/';
    const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
    history.replaceState(null, '', `${base}${q.toString() ? `?${q}` : ''}`);
}

// The server's note on what it withheld for this viewer (result.confidentiality).
export function confidentialityNote(result) {
    const c = result?.confidentiality;
    if (!c) return null;
    const parts = [];
    if (c.withheld_items) parts.push(`${c.withheld_items} item${c.withheld_items === 1 ? '' : 's'} withheld`);
    if (c.withheld_deliveries) parts.push(`${c.withheld_deliveries} deliveries from a single other holder dropped`);
    if (c.totals_visible_only) parts.push('some totals are over the rows you can see only');
    return h(
        'p',
        { class: 'conf-note', id: 'confidentiality-note' },
        h('span', { class: 'confidential' }, 'confidential'),
        ' ',
        c.rule ? `${c.rule.charAt(0).toUpperCase()}${c.rule.slice(1)}.` : 'Other allies’ confidential stocks are withheld.',
        parts.length ? ` For ${c.viewer || 'you'}: ${parts.join('; ')}.` : '',
    );
}
