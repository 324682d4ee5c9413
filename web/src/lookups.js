// Dataset lookups shared by the pages: country names and kinds, material names, stages and
// units, all read from /api/data at run time.
import { data } from './api.js';

export async function lookups() {
    const [countries, materials] = await Promise.all([data('countries'), data('materials')]);
    const country = new Map(countries.rows.map((r) => [r.iso3, r]));
    const material = new Map(materials.rows.map((r) => [r.id, r]));
    return {
        countries,
        materials,
        country,
        material,
        countryName: (iso3) => country.get(iso3)?.name || iso3,
        unit: (id) => material.get(id)?.unit || 't',
        materialName: (id) => material.get(id)?.name || id,
    };
}

export const STAGES = ['mine', 'refine', 'metal', 'component'];

// A field's unit as the API describes it ({"fields":[{"name","type","unit"}]}).
export function fieldUnit(doc, name) {
    return doc.fields?.find((f) => f.name === name)?.unit || '';
}
