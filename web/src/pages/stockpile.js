// Stockpile page: alliance → job "stockpile" (docs/respond.md, "lode stockpile"): stock each
// ally must hold alone and pooled per material, what pooling saves, and per-ally targets.
// Another ally's confidential figures come as null with "withheld": true: shown as such.
import { lookups } from '../lookups.js';
import { allianceChooser } from './response.js';
import { stat } from './scenario.js';
import { h, clear, fmtNum, fmtPct, fmtUSD, field, runJobInto, sortableTable, sourceLine, routeParams, setRouteParams, confidentialityNote } from '../ui.js';

const CONF = () => h('span', { class: 'confidential', title: 'another ally’s confidential stock' }, 'confidential');
const num = (v, f = fmtNum) => (v === null || v === undefined ? null : f(v));

export async function renderStockpile(root, ctx) {
    const params = routeParams();
    const [{ sel: ally, about }, L] = await Promise.all([allianceChooser(params.alliance, 'stock-alliance'), lookups()]);
    if (!ctx.isCurrent()) return;
    const runs = h('input', { type: 'number', id: 'stock-runs', min: 1, max: 100000, value: params.runs || 200 });
    const conf = h('input', { type: 'number', id: 'confidence', min: 0.5, max: 0.999, step: 0.01, value: params.confidence || 0.95 });
    const run = h('button', { type: 'submit', class: 'btn', id: 'run-stockpile' }, 'Compute targets');
    const status = h('div', { class: 'job-status' });
    const out = h('div', { class: 'results', id: 'stockpile-results' });
    const form = h('form', { class: 'controls' }, field('Alliance', ally), field('Runs per scenario', runs), field('Confidence', conf, 'share of draws covered'), run);
    root.append(
        h('h1', {}, 'How much must each ally hold?'),
        h('p', { class: 'lede' }, 'Runs every shipped scenario with national stockpiles set to zero; each ally alone must hold the chosen quantile of its own shortfall, while a pooled stock (an LP across the allies, with shipping lead times) covers the same draws with less. The difference is the value of pooling.'),
        form,
        about,
        status,
        out,
    );
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const p = { alliance: ally.value, runs: parseInt(runs.value, 10) || 1, confidence: parseFloat(conf.value) || 0.95 };
        setRouteParams(p);
        await runJobInto({ command: 'stockpile', params: p, button: run, out, status, ctx,
                           done: (job) => showResult(out, job, L, p) });
    });
}

function showResult(out, job, L, p) {
    const r = job.result;
    const withheld = (r.stocks || []).filter((x) => x.withheld).length;
    const stocks = (r.stocks || []).filter((x) => x.withheld || x.lone_t > 0 || x.pooled_t > 0 || x.held_t > 0 || x.mean_shortfall_t > 0);
    clear(out).append(
        h(
            'div',
            { class: 'summary' },
            stat('Alone', h('span', { id: 'lone-usd', 'data-usd': r.lone_usd }, fmtUSD(r.lone_usd)), `${fmtNum(r.lone_t)} t, every material in its own unit`),
            stat('Pooled', h('span', { id: 'pooled-usd', 'data-usd': r.pooled_usd }, fmtUSD(r.pooled_usd)), `${fmtNum(r.pooled_t)} t`),
            stat('Pooling saves', `${fmtUSD(r.saved_usd)} (${fmtPct(r.lone_usd ? r.saved_usd / r.lone_usd : 0)})`, `${fmtNum(r.saved_t)} t`),
            stat('Draws', `${r.draws} = ${r.runs} runs × ${(r.scenarios || []).length} scenarios`, (r.scenarios || []).join(', ')),
            stat('Confidence', fmtPct(r.confidence, 0), 'share of draws each lone stock covers'),
        ),
        confidentialityNote(r),
        h('h2', {}, 'Per material'),
        sortableTable({
            id: 'stock-materials-table',
            rows: r.materials || [],
            sortKey: 'saved_usd',
            columns: [
                { key: 'material', label: 'Material', fmt: (m) => h('span', { title: L.materialName(m.material) }, m.material) },
                { key: 'unit', label: 'Unit', fmt: (m) => m.unit || L.unit(m.material) },
                { key: 'lone_t', label: 'Alone', unit: 't', num: true, fmt: (m) => fmtNum(m.lone_t) },
                { key: 'pooled_t', label: 'Pooled', unit: 't', num: true, fmt: (m) => fmtNum(m.pooled_t) },
                { key: 'saved_t', label: 'Saved', unit: 't', num: true, fmt: (m) => fmtNum(m.saved_t) },
                { key: 'usd_per_t', label: 'Value', unit: 'USD/t', num: true, fmt: (m) => h('span', { title: `value basis: ${m.value_basis}` }, fmtNum(m.usd_per_t)) },
                { key: 'lone_usd', label: 'Alone', unit: 'USD', num: true, sortValue: (m) => m.lone_t * m.usd_per_t, fmt: (m) => fmtUSD(m.lone_t * m.usd_per_t) },
                { key: 'pooled_usd', label: 'Pooled', unit: 'USD', num: true, sortValue: (m) => m.pooled_t * m.usd_per_t, fmt: (m) => fmtUSD(m.pooled_t * m.usd_per_t) },
                { key: 'saved_usd', label: 'Saved', unit: 'USD', num: true, fmt: (m) => fmtUSD(m.saved_usd) },
                ...((r.materials || []).some((m) => 'others_confidential_held_t' in m)
                    ? [{ key: 'others_confidential_held_t', label: 'Others hold', unit: 't, confidential', num: true, title: 'sum of other allies’ confidential stocks of this material, shown only over two or more holders', fmt: (m) => num(m.others_confidential_held_t) ?? h('span', { class: 'muted', title: 'not shown: fewer than two other allies hold confidential stock of it, so a total would reveal one holder' }, 'not shown') }]
                    : []),
            ],
            rowAttrs: (m) => ({ 'data-material': m.material }),
        }),
        h('p', { class: 'muted' }, 'USD columns “Alone” and “Pooled” are tonnes × the USD/t value the engine reports (latest prices.csv price, or recipe inputs for unpriced materials: docs/respond.md “Values”).'),
        h('h2', {}, 'Per ally'),
        sortableTable({
            id: 'stock-targets-table',
            rows: stocks,
            sortKey: 'lone_t',
            columns: [
                { key: 'country', label: 'Ally', fmt: (x) => `${L.countryName(x.country)} (${x.country})` },
                { key: 'material', label: 'Material' },
                { key: 'use_t_yr', label: 'Use', unit: 't/yr', num: true, fmt: (x) => num(x.use_t_yr) ?? CONF() },
                { key: 'mean_shortfall_t', label: 'Mean shortfall', unit: 't', num: true, fmt: (x) => num(x.mean_shortfall_t) ?? CONF() },
                { key: 'lone_t', label: 'Alone', unit: 't', num: true, fmt: (x) => num(x.lone_t) ?? CONF() },
                { key: 'lone_days', label: 'Alone', unit: 'days of use', num: true, fmt: (x) => num(x.lone_days, (v) => v.toFixed(0)) ?? CONF() },
                { key: 'pooled_t', label: 'Pooled', unit: 't', num: true, fmt: (x) => num(x.pooled_t) ?? CONF() },
                { key: 'pooled_days', label: 'Pooled', unit: 'days of use', num: true, fmt: (x) => num(x.pooled_days, (v) => v.toFixed(0)) ?? CONF() },
                { key: 'held_t', label: 'Held now', unit: 't', num: true, fmt: (x) => num(x.held_t) ?? (x.withheld ? CONF() : '—') },
                { key: 'target_t', label: 'Stated target', unit: 't', num: true, fmt: (x) => (x.target_t === null || x.target_t === undefined ? (x.withheld ? CONF() : '—') : h('span', { title: `${x.target_agency ?? ''} ${x.target_days ? `${x.target_days} days` : ''}` }, fmtNum(x.target_t))) },
                { key: 'iea90_t', label: 'IEA 90-day rule', unit: 't', num: true, fmt: (x) => num(x.iea90_t) ?? (x.withheld ? CONF() : '—') },
            ],
            rowAttrs: (x) => ({ class: x.withheld ? 'row-confidential' : '', 'data-country': x.country, 'data-material': x.material, 'data-withheld': x.withheld ? 'true' : 'false' }),
            empty: 'No ally needs a stock for these scenarios.',
        }),
        h('p', { class: 'muted' }, `${stocks.length} of ${(r.stocks || []).length} ally–material rows (rows with nothing to hold, held or short are left out)${withheld ? `; ${withheld} rows hold another ally’s confidential figures` : ''}. Days of use = tonnes ÷ (baseline final + intermediate use per year ÷ 365).`),
        sourceLine(`job ${job.id}${job.seconds !== undefined ? ` (submitted ${job.submitted ?? '?'}, ${job.seconds} s)` : ''}: lode stockpile --alliance ${r.alliance || p.alliance} --runs ${r.runs} --confidence ${r.confidence} (solver ${r.solver}; method docs/respond.md, “lode stockpile”); stated targets and holdings from stockpiles.csv, IEA rule from its WLD row.`),
    );
}
