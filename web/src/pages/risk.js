// Risk page: GET /api/risk, one row per material, sortable (docs/risk.md gives the formulas).
import { api } from '../api.js';
import { lookups } from '../lookups.js';
import { h, fmtNum, fmtPct, sortableTable, sourceLine, sourcesList } from '../ui.js';

export async function renderRisk(root, ctx) {
    const [doc, L] = await Promise.all([api('/api/risk'), lookups()]);
    if (!ctx.isCurrent()) return;
    const rows = doc.materials || [];
    root.append(
        h('h1', {}, 'How concentrated is supply?'),
        h('p', { class: 'lede' }, 'One row per material at its stage, in its baseline year. Click a column to sort. HHI: Herfindahl–Hirschman index of production shares (0–10 000; above 2 500 is “highly concentrated” in the US merger guidelines). WGI-HHI: the EU’s HHI weighted by World Bank governance (0–10, higher = concentrated in poorly governed countries). EU SR: the EU 2023 supply-risk score (dimensionless; above 1 is “critical” with economic importance).'),
        sortableTable({
            id: 'risk-table',
            rows,
            sortKey: 'hhi',
            columns: [
                { key: 'material', label: 'Material', fmt: (r) => h('span', { title: L.materialName(r.material) }, r.material) },
                { key: 'stage', label: 'Stage' },
                { key: 'year', label: 'Year', num: true },
                { key: 'world_t', label: 'World output', unit: 'per yr', num: true, fmt: (r) => `${fmtNum(r.world_t)} ${r.unit || L.unit(r.material)}` },
                { key: 'hhi', label: 'HHI', unit: '0–10 000', num: true, fmt: (r) => fmtNum(r.hhi), title: 'Σ (100 × share)² over producing countries; ROW left out (docs/risk.md §1)' },
                { key: 'top1_share', label: 'Top-1 share', unit: 'of world', num: true, fmt: (r) => h('span', {}, fmtPct(r.top1_share), ' ', h('span', { class: 'muted' }, r.top1_country || '')) },
                { key: 'top3_share', label: 'Top-3 share', unit: 'of world', num: true, fmt: (r) => h('span', { title: (r.top3_countries || []).join(', ') }, fmtPct(r.top3_share)) },
                { key: 'wgi_hhi', label: 'WGI-HHI', unit: '0–10', num: true, fmt: (r) => (r.wgi_hhi === null || r.wgi_hhi === undefined ? '—' : r.wgi_hhi.toFixed(2)), title: 'Σ share² × WGI scaled 0 (best) .. 10 (worst) (docs/risk.md §2)' },
                { key: 'eu_sr', label: 'EU SR', unit: 'score', num: true, fmt: (r) => (r.eu_sr === null || r.eu_sr === undefined ? h('span', { class: 'muted', title: 'no EU CRM 2023 mapping for this material' }, 'n/a') : r.eu_sr.toFixed(2)), title: 'EU 2023 criticality methodology, supply risk (docs/risk.md §3)' },
                { key: 'source', label: 'Source', fmt: (r) => h('details', { class: 'cell-source' }, h('summary', {}, 'show'), h('div', {}, r.source || '—', r.eu?.source ? h('div', { class: 'muted' }, `EU SR: ${r.eu.source}`) : null)), sortValue: () => 0 },
            ],
            rowAttrs: (r) => ({ 'data-material': r.material, 'data-hhi': r.hhi }),
        }),
        sourceLine('/api/risk (lode risk: production.csv in each material’s baseline year, governance.csv WGI, eu_crm.csv), formulas in docs/risk.md.'),
        sourcesList('Production sources quoted by the rows', rows.map((r) => r.source)),
    );
}
