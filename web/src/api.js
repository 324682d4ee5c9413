// API client: the key lives in sessionStorage; every call sends it as a Bearer token.
// A 401 clears the key and sends the user back to the sign-in page with the server's message.
const KEY = 'lodestone.apiKey';

export class ApiError extends Error {
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}

export function getKey() {
    return sessionStorage.getItem(KEY);
}
export function setKey(k) {
    sessionStorage.setItem(KEY, k);
}
export function clearKey() {
    sessionStorage.removeItem(KEY);
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
    onUnauthorized = fn;
}

export async function api(path, { method = 'GET', body, key } = {}) {
    const headers = { Accept: 'application/json' };
    const k = key ?? getKey();
    if (k) headers.Authorization = `Bearer ${k}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
        res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
        throw new ApiError(0, `cannot reach the server (${e.message})`);
    }
    let doc = null;
    const text = await res.text();
    try {
        doc = text ? JSON.parse(text) : null;
    } catch {
        doc = null;
    }
    if (!res.ok) {
        const msg = doc?.error?.message || `${res.status} ${res.statusText}`;
        const err = new ApiError(res.status, msg);
        if (res.status === 401 && key === undefined) onUnauthorized(msg);
        throw err;
    }
    if (doc === null) throw new ApiError(res.status, `${path}: the server's answer is not JSON`);
    return doc;
}

// Cached GET for the dataset tables, which do not change while the page is open.
const cache = new Map();
export function data(resource) {
    if (!cache.has(resource)) {
        const p = api(`/api/data/${encodeURIComponent(resource)}`);
        p.catch(() => cache.delete(resource));
        cache.set(resource, p);
    }
    return cache.get(resource);
}
export function clearCache() {
    cache.clear();
}

// Runs a job: POST /api/jobs, then polls GET /api/jobs/{id} until done or failed.
// onProgress(job) is called after each poll. Resolves with the job (result inside).
export async function runJob(command, params, onProgress, { intervalMs = 400, signal } = {}) {
    let job = await api('/api/jobs', { method: 'POST', body: { command, params } });
    onProgress?.(job);
    while (job.state !== 'done' && job.state !== 'failed') {
        if (signal?.aborted) throw new ApiError(0, 'cancelled');
        await new Promise((r) => setTimeout(r, intervalMs));
        job = await api(`/api/jobs/${encodeURIComponent(job.id)}`);
        onProgress?.(job);
    }
    if (job.state === 'failed') throw new ApiError(job.error?.status || 500, job.error?.message || 'the job failed');
    return job;
}
