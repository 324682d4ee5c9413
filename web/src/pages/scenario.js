// Scenario page: pick a shipped scenario, run `simulate` as a job (POST /api/jobs, poll
// GET /api/jobs/{id}), then a fan chart of all countries' shortfall per week for one
// material (result.week_shortfall[]) and the largest country shortfalls (result.shortfall[]).
import { api } from '../api.js';
import { lookups } from '../lookups.js';
import { fanChart } from '../chart.js';
import { h, clear, fmtNum, field, select, runJobInto, sortableTable, sourceLine, routeParams, setRouteParams, confidentialityNote } from '../ui.js';

export async function scenarioChooser(current) {
    const doc = await api('/api/scenarios');
    const list = doc.scenarios || [];
    const sel = select(
        list.map((s) => ({ value: s.name, label: s.name })),
        list.some((s) => s.name === current) ? current : list[0]?.name,
        { id: 'scenario-select' },
    );
    const about = h('p', { class: 'scenario-about', id: 'scenario-about' });
    const describe = () => {
        const s = list.find((x) => x.name === sel.value);
        about.textContent = s ? s.title || s.description || '' : '';
    };
    sel.addEventListener('change', describe);
    describe();
    return { sel, about, list };
}

export async function renderScenario(root, ctx) {
    const params = routeParams();
    const [{ sel, about }, L] = await Promise.all([scenarioChooser(params.scenario), lookups()]);
    if (!ctx.isCurrent()) return;
    const runs = h('input', { type: 'number', id: 'runs', min: 1, max: 100000, value: params.runs || 200 });
    const weeks = h('input', { type: 'number', id: 'weeks', min: 1, max: 520, value: params.weeks || '', placeholder: "scenario's" });
    const seed = h('input', { type: 'number', id: 'seed', min: 0, value: params.seed || '', placeholder: '1' });
    const run = h('button', { type: 'submit', class: 'btn', id: 'run-simulate' }, 'Run simulation');
    const status = h('div', { class: 'job-status' });
    const out = h('div', { class: 'results', id: 'scenario-results' });
    const form = h('form', { class: 'controls' }, field('Scenario', sel), field('Runs', runs, 'Monte Carlo draws'), field('Weeks', weeks, 'blank: the scenario’s'), field('Seed', seed, 'blank: 1'), run);
    root.append(
        h('h1', {}, 'What if supply stops?'),
        h('p', { class: 'lede' }, 'Runs the weekly simulation of a shipped disruption scenario (lode simulate) many times with random start, duration and severity, and shows how much final demand goes unserved, week by week, across the runs.'),
        form,
        about,
        status,
        out,
    );
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const p = { scenario: sel.value, runs: parseInt(runs.value, 10) || 1 };
        if (weeks.value) p.weeks = parseInt(weeks.value, 10);
        if (seed.value) p.seed = parseInt(seed.value, 10);
        setRouteParams({ scenario: p.scenario, runs: p.runs, weeks: p.weeks, seed: p.seed });
        await runJobInto({ command: 'simulate', params: p, button: run, out, status, ctx,
                           done: (job) => showResult(out, job, L, p) });
    });
}

function showResult(out, job, L, p) {
    const r = job.result;
    const byMat = new Map();
    for (const w of r.week_shortfall || []) {
        if (!byMat.has(w.material)) byMat.set(w.material, []);
        byMat.get(w.material).push(w);
    }
    // Materials ordered by the largest p95 week: the ones the scenario hurts most come first.
    const peak = (m) => Math.max(0, ...byMat.get(m).map((w) => w.p95_t));
    const mats = [...byMat.keys()].sort((a, b) => peak(b) - peak(a) || a.localeCompare(b));
    const hit = mats.filter((m) => peak(m) > 0);
    const matSel = select(
        mats.map((m) => ({ value: m, label: `${m} — ${L.materialName(m)}${peak(m) > 0 ? '' : ' (no shortfall)'}` })),
        mats[0],
        { id: 'chart-material' },
    );
    const chartBox = h('div', { class: 'chart-box' });
    const chartCaption = h('p', { class: 'figure-caption', id: 'chart-caption' });
    function draw() {
        const m = matSel.value;
        const unit = L.unit(m);
        clear(chartBox).append(fanChart(byMat.get(m), { unit, title: `Shortfall of ${m} per week, all countries` }));
        chartBox.dataset.material = m;
        chartCaption.textContent = `Unserved final demand of ${m} (${L.materialName(m)}), all countries summed, per week, in ${unit}. Band: 5th–95th percentile across ${r.runs} runs; solid line: median (p50); dashed line: mean.`;
    }
    matSel.addEventListener('change', draw);
    const legend = h('div', { class: 'chart-legend' }, h('span', { class: 'key band' }), 'p5–p95 across runs', h('span', { class: 'key p50' }), 'median (p50)', h('span', { class: 'key mean' }), 'mean');

    const sf = (r.shortfall || []).filter((x) => x.mean_t > 0 || x.p95_t > 0);
    sf.sort((a, b) => b.mean_t - a.mean_t || a.country.localeCompare(b.country));
    const top = sf.slice(0, 25);
    clear(out).append(
        h(
            'div',
            { class: 'summary' },
            stat('Scenario', r.scenario || p.scenario),
            stat('Runs × weeks', `${r.runs} × ${r.weeks}`),
            stat('Seed', r.seed),
            stat('Materials short', `${hit.length} of ${mats.length}`),
            stat('Mass balance error', `${(r.mass_balance_max_error_t ?? 0).toExponential(1)} t`, 'largest weekly |production − use − Δstock − withheld| in any run'),
        ),
        confidentialityNote(r),
        h('h2', {}, 'Shortfall by week'),
        h('div', { class: 'controls' }, field('Material', matSel)),
        chartBox,
        legend,
        chartCaption,
        h('h2', {}, 'Largest country shortfalls over the horizon'),
        sortableTable({
            id: 'shortfall-table',
            rows: top,
            sortKey: 'mean_t',
            columns: [
                { key: 'country', label: 'Country', fmt: (x) => `${L.countryName(x.country)} (${x.country})` },
                { key: 'material', label: 'Material' },
                { key: 'mean_t', label: 'Mean', unit: 'over horizon', num: true, fmt: (x) => `${fmtNum(x.mean_t)} ${x.unit || L.unit(x.material)}` },
                { key: 'p50_t', label: 'Median', num: true, fmt: (x) => fmtNum(x.p50_t) },
                { key: 'p95_t', label: 'p95', num: true, fmt: (x) => fmtNum(x.p95_t) },
            ],
            rowAttrs: (x) => ({ 'data-country': x.country, 'data-material': x.material, 'data-mean': x.mean_t }),
            empty: 'No country is short in this scenario.',
        }),
        h('p', { class: 'muted' }, `${top.length} largest of ${sf.length} country–material pairs with a shortfall; tonnes in each material’s own unit, summed over the ${r.weeks} weeks.`),
        sourceLine(`job ${job.id}${job.seconds !== undefined ? ` (submitted ${job.submitted ?? '?'}, ${job.seconds} s)` : ''}: lode simulate ${r.scenario || p.scenario} --runs ${r.runs} --weeks ${r.weeks} --seed ${r.seed} on the server’s dataset (method: docs/simulate.md). Digest `, h('code', { class: 'digest' }, r.digest || '—'), ' — the same numbers for any thread or process count.'),
    );
    draw();
}

export function stat(label, value, title) {
    return h('div', { class: 'stat', title }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value));
}
