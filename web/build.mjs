// Builds the Lodestone dashboard into web/dist (index.html + assets/), served by
// `lode serve --web web/dist`. Everything the page needs is bundled here, so the browser
// fetches nothing at run time except this origin's /api/.
//
// The map joins the API's ISO 3166-1 alpha-3 codes to world-atlas features, whose ids are
// ISO 3166-1 numeric codes. That mapping is generated from Debian's iso-codes package
// (/usr/share/iso-codes/json/iso_3166-1.json) at every build: no hand-typed table.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'dist');
const isoPath = process.env.ISO_3166_JSON || '/usr/share/iso-codes/json/iso_3166-1.json';

function iso3166() {
    let doc;
    try {
        doc = JSON.parse(fs.readFileSync(isoPath, 'utf8'));
    } catch (e) {
        console.error(`build.mjs: cannot read ${isoPath} (${e.message}); install Debian's iso-codes package`);
        process.exit(1);
    }
    const rows = doc['3166-1'];
    if (!Array.isArray(rows) || rows.length < 200) {
        console.error(`build.mjs: ${isoPath}: expected a "3166-1" array of countries`);
        process.exit(1);
    }
    const byAlpha3 = {};
    for (const r of rows) {
        if (r.alpha_3 && r.numeric) byAlpha3[r.alpha_3] = { numeric: r.numeric, name: r.common_name || r.name };
    }
    return byAlpha3;
}

// Virtual modules: `iso3166` (alpha-3 -> {numeric, name}) and the world-atlas topology.
const virtual = {
    name: 'lodestone-virtual',
    setup(b) {
        b.onResolve({ filter: /^virtual:iso3166$/ }, (a) => ({ path: a.path, namespace: 'virtual' }));
        b.onLoad({ filter: /^virtual:iso3166$/, namespace: 'virtual' }, () => ({
            contents: JSON.stringify(iso3166()),
            loader: 'json',
        }));
    },
};

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'assets'), { recursive: true });

await esbuild.build({
    entryPoints: [path.join(here, 'src/main.js')],
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'esm',
    target: ['chrome100', 'firefox100', 'safari15'],
    outfile: path.join(out, 'assets/app.js'),
    plugins: [virtual],
    loader: { '.json': 'json' },
    legalComments: 'eof',
    logLevel: 'warning',
});
await esbuild.build({
    entryPoints: [path.join(here, 'src/style.css')],
    bundle: true,
    minify: true,
    outfile: path.join(out, 'assets/app.css'),
    logLevel: 'warning',
});
fs.copyFileSync(path.join(here, 'src/index.html'), path.join(out, 'index.html'));
const files = fs.readdirSync(path.join(out, 'assets')).map((f) => `assets/${f}`);
console.log(`web/dist: index.html ${files.join(' ')}`);
