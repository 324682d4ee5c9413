// End-to-end test of the dashboard in headless Chromium against a running `lode serve`.
// Usage: LODE_URL=http://127.0.0.1:PORT LODE_KEY=<key> node tests/web/dashboard.mjs
// (tests/web/run.sh starts the server, makes the key and calls this). Prints one
// "PASS name" / "FAIL name: why" line per check, then "N passed, N failed"; exits 1 on any
// failure. Screenshots: build/web-shots/<page>.png (SHOTS_DIR to change).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const require = createRequire(path.join(root, 'web/package.json'));
const { chromium } = require('playwright-core');

const BASE = process.env.LODE_URL;
const KEY = process.env.LODE_KEY;
const SHOTS = process.env.SHOTS_DIR || path.join(root, 'build/web-shots');
const RUNS = parseInt(process.env.WEB_TEST_RUNS || '20', 10);
if (!BASE || !KEY) {
    console.error('dashboard.mjs: set LODE_URL and LODE_KEY');
    process.exit(2);
}
fs.mkdirSync(SHOTS, { recursive: true });

let passed = 0;
let failed = 0;
function pass(name) {
    passed++;
    console.log(`PASS ${name}`);
}
function fail(name, why) {
    failed++;
    console.log(`FAIL ${name}: ${why}`);
}
async function check(name, fn) {
    try {
        const r = await fn();
        if (r === true || r === undefined) pass(name);
        else fail(name, r);
    } catch (e) {
        fail(name, (e && e.message ? e.message : String(e)).split('\n')[0]);
    }
}
async function apiGet(p) {
    const res = await fetch(BASE + p, { headers: { Authorization: `Bearer ${KEY}` } });
    if (!res.ok) throw new Error(`GET ${p}: HTTP ${res.status}`);
    return res.json();
}
// Two numbers read from the page (data-* attributes, String(x) of a JSON number) and the API
// must be the same double; allow only last-bit noise.
const same = (a, b) => a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
// Finished jobs as the page saw them, to compare the DOM with the job's result.
const jobs = new Map();
page.on('response', async (res) => {
    if (!/\/api\/jobs\/[^/?]+$/.test(new URL(res.url()).pathname) || !res.ok()) return;
    try {
        const j = await res.json();
        if (j.state === 'done') jobs.set(j.command, j);
    } catch {
        /* a body we cannot read is not a finished job */
    }
});
async function waitJob(command, timeout = 300000) {
    const t0 = Date.now();
    while (!jobs.has(command)) {
        if (Date.now() - t0 > timeout) throw new Error(`no finished ${command} job after ${timeout / 1000} s`);
        const err = await page.$('.job-status .error');
        if (err) throw new Error(`job failed: ${await err.textContent()}`);
        await page.waitForTimeout(200);
    }
    return jobs.get(command);
}
const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

try {
    await page.goto(`${BASE}/`, { waitUntil: 'load' });

    await check('signin-page-shown', async () => {
        await page.waitForSelector('#signin-form', { timeout: 10000 });
    });
    await shot('signin');

    await check('signin-wrong-key-refused', async () => {
        await page.fill('#api-key', 'not-a-key-0000');
        await page.click('#signin-btn');
        await page.waitForSelector('#signin-message.error', { timeout: 10000 });
        const msg = await page.textContent('#signin-message');
        if (!/refused/i.test(msg)) return `message was "${msg}"`;
        if (!(await page.$('#signin-form'))) return 'left the sign-in page';
        if (await page.evaluate(() => sessionStorage.getItem('lodestone.apiKey'))) return 'kept the wrong key';
    });

    const who = await apiGet('/api/whoami');
    await check('signin-right-key', async () => {
        await page.fill('#api-key', KEY);
        await page.click('#signin-btn');
        await page.waitForSelector('#who-ally', { timeout: 10000 });
        const ally = (await page.textContent('#who-ally')).trim();
        if (ally !== who.ally) return `header shows ally "${ally}", whoami says "${who.ally}"`;
        if ((await page.evaluate(() => sessionStorage.getItem('lodestone.apiKey'))) !== KEY) return 'key not in sessionStorage';
    });

    // ---- map ----------------------------------------------------------------------------
    const MAT = 'NdFeB_magnet';
    await check('map-renders-countries', async () => {
        await page.goto(`${BASE}/#/map`);
        await page.waitForSelector('#world-map path.country', { timeout: 15000 });
        // Through the choosers, as a person would: stage first, then the material.
        await page.selectOption('#stage-select', 'component');
        await page.selectOption('#material-select', MAT);
        await page.waitForFunction((m) => /NdFeB_magnet/.test(document.querySelector('#map-caption')?.textContent || '') && document.querySelector('#material-select').value === m, MAT, { timeout: 10000 });
        const n = await page.$$eval('#world-map path.country', (ps) => ps.length);
        if (n < 150) return `only ${n} country shapes`;
        const sel = await page.$eval('#material-select', (s) => s.value);
        if (sel !== MAT) return `material chooser shows ${sel}`;
    });
    await check('map-fill-by-share', async () => {
        const fills = await page.$$eval('#world-map path.country', (ps) => ps.map((p) => p.getAttribute('fill')));
        const counts = {};
        for (const f of fills) counts[f] = (counts[f] || 0) + 1;
        const dflt = Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0];
        const coloured = fills.filter((f) => f !== dflt).length;
        if (coloured < 1) return 'no country has a fill other than the default';
    });
    await check('map-top-producer-matches-api', async () => {
        // The engine's figures (/api/risk) and the dataset rows (/api/data/production).
        const risk = (await apiGet(`/api/risk?material=${MAT}`)).materials.find((r) => r.material === MAT);
        const prod = await apiGet('/api/data/production');
        const row = prod.rows.find((r) => r.material === MAT && r.country === risk.top1_country && r.year === risk.year);
        if (!row) return `no production row ${MAT} ${risk.top1_country} ${risk.year}`;
        const el = await page.$(`#world-map path.country[data-iso3="${risk.top1_country}"]`);
        if (!el) return `no map shape for ${risk.top1_country}`;
        const share = parseFloat(await el.getAttribute('data-share'));
        const tonnes = parseFloat(await el.getAttribute('data-tonnes'));
        if (!same(tonnes, row.tonnes)) return `map tonnes ${tonnes} != production.csv ${row.tonnes}`;
        if (!same(share, row.tonnes / risk.world_t)) return `map share ${share} != ${row.tonnes}/${risk.world_t}`;
        if (Math.abs(share - risk.top1_share) > 1e-9) return `map share ${share} != risk top1_share ${risk.top1_share}`;
        // Arcs may lie over the country's centre: send the pointer event to the shape itself.
        const box = await el.boundingBox();
        await el.dispatchEvent('mousemove', { clientX: box.x + box.width / 2, clientY: box.y + box.height / 2, bubbles: true });
        await page.waitForSelector('#tooltip:not([hidden])', { timeout: 5000 });
        const tip = await page.textContent('#tooltip');
        const pct = `${(risk.top1_share * 100).toFixed(1)}%`;
        if (!tip.includes(pct)) return `tooltip "${tip}" lacks ${pct}`;
        if (!tip.includes(`${new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(row.tonnes)}`)) return `tooltip "${tip}" lacks ${row.tonnes} t`;
        await el.dispatchEvent('mouseleave');
        if (!(await page.$('#tooltip[hidden]'))) return 'tooltip stays after the pointer leaves';
    });
    await check('map-flows-drawn', async () => {
        const n = await page.$$eval('#world-map path.flow', (ps) => ps.length);
        if (n < 1) return 'no flow arcs';
        const w = await page.$$eval('#world-map path.flow', (ps) => ps.map((p) => [parseFloat(p.dataset.tonnes), parseFloat(p.getAttribute('stroke-width'))]));
        const big = w.reduce((a, b) => (b[0] > a[0] ? b : a));
        const small = w.reduce((a, b) => (b[0] < a[0] ? b : a));
        if (big[0] > small[0] && !(big[1] > small[1])) return 'arc width does not grow with tonnes';
        const cap = await page.textContent('#map-caption');
        if (!/t magnet\/yr|\/yr/.test(cap)) return 'caption has no unit';
    });
    await check('map-every-material-agrees-with-risk', async () => {
        // The page works out baseline year and world total itself from /api/data; the engine's
        // /api/risk must agree for every material (the page says so in #risk-crosscheck).
        const risk = await apiGet('/api/risk');
        const bad = [];
        for (const r of risk.materials) {
            await page.selectOption('#stage-select', r.stage);
            await page.selectOption('#material-select', r.material);
            await page.waitForSelector(`#risk-crosscheck[data-material="${r.material}"]`, { timeout: 10000 });
            const cls = await page.getAttribute('#risk-crosscheck', 'class');
            if (!/\bok\b/.test(cls)) bad.push(`${r.material}: ${await page.textContent('#risk-crosscheck')}`);
            const top = await page.$(`#world-map path.country[data-iso3="${r.top1_country}"]`);
            const share = top ? parseFloat(await top.getAttribute('data-share')) : NaN;
            if (!(Math.abs(share - r.top1_share) <= 1e-9)) bad.push(`${r.material}: ${r.top1_country} share ${share} on the map, ${r.top1_share} in /api/risk`);
        }
        if (bad.length) return bad.join('; ');
        await page.selectOption('#stage-select', 'component');
        await page.selectOption('#material-select', MAT);
        await page.waitForFunction((m) => document.querySelector('#map-caption')?.textContent.includes(`(${m},`), MAT, { timeout: 10000 });
    });
    await page.mouse.move(5, 5);
    await page.waitForSelector('#risk-crosscheck', { timeout: 10000 }).catch(() => {});
    await shot('map');

    // ---- risk ---------------------------------------------------------------------------
    await check('risk-table-rows', async () => {
        const risk = await apiGet('/api/risk');
        await page.goto(`${BASE}/#/risk`);
        await page.waitForSelector('#risk-table tbody tr[data-material]', { timeout: 15000 });
        const mats = await page.$$eval('#risk-table tbody tr[data-material]', (rs) => rs.map((r) => r.dataset.material));
        if (mats.length !== risk.materials.length) return `${mats.length} rows, /api/risk has ${risk.materials.length}`;
        const want = new Set(risk.materials.map((m) => m.material));
        const missing = [...want].filter((m) => !mats.includes(m));
        if (missing.length) return `missing ${missing.join(', ')}`;
    });
    await check('risk-table-sorts', async () => {
        await page.click('#risk-table th[data-key="hhi"] button');
        const a = await page.$$eval('#risk-table tbody tr[data-material]', (rs) => rs.map((r) => parseFloat(r.dataset.hhi)));
        const asc = a.every((v, i) => i === 0 || a[i - 1] <= v);
        const desc = a.every((v, i) => i === 0 || a[i - 1] >= v);
        if (!asc && !desc) return 'HHI column not sorted after a click';
        await page.click('#risk-table th[data-key="hhi"] button');
        const b = await page.$$eval('#risk-table tbody tr[data-material]', (rs) => rs.map((r) => parseFloat(r.dataset.hhi)));
        if (JSON.stringify(b) !== JSON.stringify(a.slice().reverse()) && a.length > 1 && new Set(a).size === a.length) return 'second click did not reverse the order';
    });
    await shot('risk');

    // ---- scenario -----------------------------------------------------------------------
    await check('scenario-run-fan-chart', async () => {
        await page.goto(`${BASE}/#/scenario`);
        await page.waitForSelector('#scenario-select option', { state: 'attached', timeout: 15000 });
        await page.selectOption('#scenario-select', 'china-ree-stop');
        await page.fill('#runs', String(RUNS));
        jobs.delete('simulate');
        await page.click('#run-simulate');
        await page.waitForSelector('.progress', { timeout: 10000 });
        const job = await waitJob('simulate');
        await page.waitForSelector('#fan-chart .pt', { timeout: 30000 });
        const mat = await page.$eval('#chart-material', (s) => s.value);
        const rows = job.result.week_shortfall.filter((w) => w.material === mat);
        const pts = await page.$$eval('#fan-chart .pt', (es) => es.map((e) => ({ week: +e.dataset.week, p95: +e.dataset.p95, p50: +e.dataset.p50, mean: +e.dataset.mean })));
        if (!rows.length) return `job result has no week_shortfall rows for ${mat}`;
        if (pts.length !== rows.length) return `chart has ${pts.length} points, result ${rows.length} weeks of ${mat}`;
        for (const r of rows) {
            const p = pts.find((q) => q.week === r.week);
            if (!p) return `week ${r.week} missing from the chart`;
            if (!same(p.p95, r.p95_t)) return `week ${r.week}: chart p95 ${p.p95} != result ${r.p95_t}`;
            if (!same(p.p50, r.p50_t) || !same(p.mean, r.mean_t)) return `week ${r.week}: p50/mean differ`;
        }
        if (!rows.some((r) => r.p95_t > 0)) return `chart material ${mat} has no shortfall at all (expected the worst-hit one first)`;
        const labels = await page.$$eval('#fan-chart .axis-label', (ts) => ts.map((t) => t.textContent).join(' | '));
        if (!/week/.test(labels) || !/t /.test(labels)) return `axis labels "${labels}"`;
        const n = await page.$$eval('#shortfall-table tbody tr[data-country]', (rs) => rs.length);
        const expect = Math.min(25, job.result.shortfall.filter((x) => x.mean_t > 0 || x.p95_t > 0).length);
        if (n !== expect) return `shortfall table ${n} rows, expected ${expect}`;
    });
    await shot('scenario');

    // ---- response -----------------------------------------------------------------------
    await check('response-deliveries', async () => {
        await page.goto(`${BASE}/#/response`);
        await page.waitForSelector('#alliance-select option', { state: 'attached', timeout: 15000 });
        await page.selectOption('#alliance-select', 'G7');
        await page.selectOption('#scenario-select', 'china-ree-stop');
        jobs.delete('respond');
        await page.click('#run-respond');
        const job = await waitJob('respond');
        await page.waitForSelector('#deliveries-table tbody tr', { timeout: 30000 });
        const n = await page.$$eval('#deliveries-table tbody tr[data-to]', (rs) => rs.length);
        if (n !== job.result.deliveries.length) return `table ${n} rows, result ${job.result.deliveries.length} deliveries`;
        if (n === 0) return 'G7 plan for china-ree-stop has no deliveries';
        const before = parseFloat(await page.getAttribute('#unserved-before', 'data-t'));
        const after = parseFloat(await page.getAttribute('#unserved-after', 'data-t'));
        if (!same(before, job.result.unserved_before_t) || !same(after, job.result.unserved_after_t)) return 'unserved before/after differ from the result';
        const links = await page.$$eval('#response-flows path.link', (ps) => ps.length);
        if (links < 1) return 'no flow diagram';
    });
    await shot('response');

    // ---- stockpile ----------------------------------------------------------------------
    await check('stockpile-targets', async () => {
        await page.goto(`${BASE}/#/stockpile`);
        await page.waitForSelector('#stock-alliance option', { state: 'attached', timeout: 15000 });
        await page.selectOption('#stock-alliance', 'G7');
        await page.fill('#stock-runs', String(Math.max(5, Math.floor(RUNS / 2))));
        jobs.delete('stockpile');
        await page.click('#run-stockpile');
        const job = await waitJob('stockpile');
        await page.waitForSelector('#stock-materials-table tbody tr', { timeout: 30000 });
        const n = await page.$$eval('#stock-materials-table tbody tr[data-material]', (rs) => rs.length);
        if (n !== job.result.materials.length) return `materials table ${n} rows, result ${job.result.materials.length}`;
        const lone = parseFloat(await page.getAttribute('#lone-usd', 'data-usd'));
        if (!same(lone, job.result.lone_usd)) return `lone USD ${lone} != ${job.result.lone_usd}`;
        const withheld = job.result.stocks.filter((s) => s.withheld).length;
        const shown = await page.$$eval('#stock-targets-table tbody tr[data-withheld="true"]', (rs) => rs.length);
        if (shown !== withheld) return `${shown} confidential rows shown, result has ${withheld}`;
        if (withheld) {
            const txt = await page.textContent('#stock-targets-table tbody tr[data-withheld="true"]');
            if (!/confidential/.test(txt)) return 'withheld row not marked confidential';
        }
    });
    await shot('stockpile');

    // ---- sign-out and a revoked/unknown key -----------------------------------------------
    await check('signout', async () => {
        await page.click('#signout');
        await page.waitForSelector('#signin-form', { timeout: 10000 });
        if (await page.evaluate(() => sessionStorage.getItem('lodestone.apiKey'))) return 'key still stored';
    });
    await check('401-returns-to-signin', async () => {
        await page.evaluate(() => sessionStorage.setItem('lodestone.apiKey', 'revoked-or-unknown'));
        await page.goto(`${BASE}/#/risk`);
        await page.waitForFunction(() => /refused/i.test(document.querySelector('#signin-message')?.textContent || ''), null, { timeout: 10000 });
        if (await page.evaluate(() => sessionStorage.getItem('lodestone.apiKey'))) return 'the refused key is still stored';
    });
    await check('no-page-errors', async () => (pageErrors.length ? pageErrors.join('; ') : true));
} finally {
    await browser.close();
}
console.log(`dashboard: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
