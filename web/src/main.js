// Entry point: hash router, sign-in, the signed-in header (GET /api/whoami) and sign-out.
import { api, getKey, setKey, clearKey, clearCache, setUnauthorizedHandler, ApiError } from './api.js';
import { h, clear, errorBox, hideTip } from './ui.js';
import { renderMap } from './pages/map.js';
import { renderRisk } from './pages/risk.js';
import { renderScenario } from './pages/scenario.js';
import { renderResponse } from './pages/response.js';
import { renderStockpile } from './pages/stockpile.js';

const pages = {
    map: { title: 'Production map and baseline flows', render: renderMap },
    risk: { title: 'Supply risk by material', render: renderRisk },
    scenario: { title: 'Disruption scenario: shortfall', render: renderScenario },
    response: { title: 'Coordinated response: delivery plan', render: renderResponse },
    stockpile: { title: 'Stockpile targets: alone and pooled', render: renderStockpile },
};

let signInMessage = '';
let whoami = null;
let renderToken = 0;

setUnauthorizedHandler((msg) => {
    clearKey();
    clearCache();
    whoami = null;
    signInMessage = `Signed out: the server refused the key (${msg}).`;
    location.hash = '#/signin';
});

function routeName() {
    const r = (location.hash.replace(/^#\/?/, '').split('?')[0] || '').trim();
    return r || 'map';
}

function renderHeader() {
    const nav = document.getElementById('nav');
    const who = document.getElementById('who');
    const signedIn = !!whoami;
    nav.hidden = !signedIn;
    who.hidden = !signedIn;
    clear(who);
    if (signedIn) {
        who.append(
            h('span', { class: 'who-ally', title: `key id ${whoami.key_id ?? '—'}` }, h('span', { class: 'who-label' }, 'Signed in as '), h('strong', { id: 'who-name' }, whoami.name || '—'), ' · ', h('span', { id: 'who-ally' }, whoami.ally || '—')),
            h('button', { type: 'button', class: 'btn-link', id: 'signout', onclick: signOut }, 'Sign out'),
        );
    }
    const r = routeName();
    nav.querySelectorAll('a').forEach((a) => a.classList.toggle('active', a.dataset.route === r));
}

function signOut() {
    clearKey();
    clearCache();
    whoami = null;
    signInMessage = 'Signed out.';
    location.hash = '#/signin';
}

function renderSignIn(app) {
    const input = h('input', { type: 'password', id: 'api-key', name: 'key', autocomplete: 'off', spellcheck: 'false', placeholder: 'paste the key printed by lode keys add', required: true });
    const msg = h('div', { id: 'signin-message', class: signInMessage ? 'notice' : '', role: 'status' }, signInMessage);
    const btn = h('button', { type: 'submit', class: 'btn', id: 'signin-btn' }, 'Sign in');
    const form = h(
        'form',
        { class: 'card signin', id: 'signin-form' },
        h('h1', {}, 'Sign in'),
        h('p', {}, 'Each ally signs in with its own API key and sees only its own confidential stocks. An administrator makes a key with ', h('code', {}, 'lode keys add ISO3 --name "Agency"'), '. The key is kept in this browser tab only (session storage) and sent with every request as ', h('code', {}, 'Authorization: Bearer …'), '.'),
        h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'API key'), input),
        btn,
        msg,
    );
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const key = input.value.trim();
        if (!key) return;
        btn.disabled = true;
        msg.className = 'notice';
        msg.textContent = 'Checking the key…';
        try {
            const me = await api('/api/whoami', { key });
            setKey(key);
            whoami = me;
            signInMessage = '';
            location.hash = '#/map';
        } catch (e) {
            msg.className = 'error';
            msg.textContent = e instanceof ApiError && e.status === 401 ? `Key refused: ${e.message}` : `Cannot sign in: ${e.message}`;
        } finally {
            btn.disabled = false;
        }
    });
    app.append(form);
    input.focus();
}

async function route() {
    hideTip();
    const token = ++renderToken;
    const app = document.getElementById('app');
    const r = routeName();
    if (r === 'signin' || !getKey()) {
        whoami = null;
        renderHeader();
        clear(app);
        if (r !== 'signin') {
            history.replaceState(null, '', '#/signin');
        }
        renderSignIn(app);
        document.title = 'Sign in — Lodestone';
        return;
    }
    if (!whoami) {
        try {
            whoami = await api('/api/whoami');
        } catch (e) {
            if (token !== renderToken) return;
            clear(app);
            if (!(e instanceof ApiError && e.status === 401)) app.append(errorBox(e));
            return;
        }
        if (token !== renderToken) return;
    }
    renderHeader();
    const page = pages[r];
    clear(app);
    if (!page) {
        app.append(h('h1', {}, 'Not found'), h('p', {}, `No page “${r}”. `, h('a', { href: '#/map' }, 'Go to the map.')));
        return;
    }
    document.title = `${page.title} — Lodestone`;
    const root = h('section', { class: `page page-${r}`, id: `page-${r}` });
    app.append(root);
    try {
        await page.render(root, { whoami, isCurrent: () => token === renderToken });
    } catch (e) {
        if (token !== renderToken) return;
        if (!(e instanceof ApiError && e.status === 401)) root.append(errorBox(e));
    }
}

// Pages keep their own query (?material=…) with history.replaceState, which fires no
// hashchange: only real navigation re-renders.
window.addEventListener('hashchange', route);
route();
