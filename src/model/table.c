/* table.c: the dataset's tables (include/lode/table.h). Reads the Frictionless Data Package
 * that describes them (with cJSON), streams a CSV file through libcsv checking every cell
 * against its field, and writes rows back in the canonical form Python's csv.writer produces,
 * so that a file read and written again comes out byte for byte the same. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <csv.h>
#include <utf8proc.h>

#include "lode/table.h"

/* ---------------------------------------------------------------------------------------------
 * Small shared helpers
 */

enum {
    QUOTE_MAX = 40, /* bytes of a value quoted in a message before it is cut with "..." */
    JPATH = 96      /* room for a JSON path such as resources[3].schema.fields[2].type */
};

/* Offset of the first byte of s[0..n) that is not valid UTF-8 or is NUL, or n if none.
 * *nul is set when that byte is a NUL. ASCII runs are skipped 8 bytes at a time, since almost
 * every cell is plain ASCII and this runs on every byte of every file. */
static size_t utf8_bad(const unsigned char *s, size_t n, int *nul)
{
    const uint64_t hi = 0x8080808080808080u, lo = 0x0101010101010101u;
    size_t i = 0;
    utf8proc_int32_t cp;
    utf8proc_ssize_t k;
    uint64_t w;

    *nul = 0;
    while (i < n) {
        if (n - i >= 8) {
            memcpy(&w, s + i, 8);
            /* no byte >= 0x80 and no zero byte: eight good ASCII bytes */
            if ((w & hi) == 0 && ((w - lo) & ~w & hi) == 0) {
                i += 8;
                continue;
            }
        }
        if (s[i] == 0) {
            *nul = 1;
            return i;
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        /* n - i <= SIZE_MAX / 2 in practice: a cell is at most LODE_CSV_MAX_LINE bytes */
        k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k < 0)
            return i;
        i += (size_t)k;
    }
    return n;
}

/* Write s into dst[0..cap) for a message: at most QUOTE_MAX bytes of it, cut at a UTF-8
 * character boundary and followed by "..." if longer; '"', '\\' and control bytes are escaped
 * so that the message stays on one line. */
static void quote_val(char *dst, size_t cap, const char *s)
{
    size_t i = 0, o = 0, n = strlen(s), cut = n;
    unsigned char c;

    if (n > QUOTE_MAX) {
        cut = QUOTE_MAX;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
    }
    for (i = 0; i < cut && o + 5 < cap; i++) {
        c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c == '\n') {
            dst[o++] = '\\';
            dst[o++] = 'n';
        } else if (c < 0x20 || c == 0x7F) {
            o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", c);
        } else {
            dst[o++] = (char)c;
        }
    }
    if (cut < n && o + 4 < cap) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/* ---------------------------------------------------------------------------------------------
 * lode_package_parse: datapackage.json
 */

typedef struct pctx {
    const char *path; /* the package file, for errors */
    lode_arena *a;
    lode_err *err;
} pctx;

#define JFAIL(c, jp, ...) LODE_FAIL((c)->err, LODE_EINPUT, (c)->path, 0, (jp), __VA_ARGS__)
#define JOOM(c)           LODE_FAIL((c)->err, LODE_EIO, (c)->path, 0, "", "out of memory")

/* dst = base, then ".key" (just "key" when base is "", nothing when key is ""), then "[idx]"
 * when idx >= 0: a JSON path for messages, cut to JPATH - 1 bytes. */
static void jp_set(char *dst, const char *base, const char *key, long idx)
{
    char num[32];
    const char *part[4];
    size_t i, n, o = 0;
    num[0] = '\0';
    if (idx >= 0)
        snprintf(num, sizeof num, "[%ld]", idx);
    part[0] = base;
    part[1] = base[0] && key[0] ? "." : "";
    part[2] = key;
    part[3] = num;
    for (i = 0; i < 4; i++) {
        n = strlen(part[i]);
        if (n > JPATH - 1 - o)
            n = JPATH - 1 - o;
        memcpy(dst + o, part[i], n);
        o += n;
    }
    dst[o] = '\0';
}

/* Arena copy of the JSON string `it` (at JSON path jp) into *out: LODE_EINPUT if it is not
 * a string or not valid UTF-8, LODE_EIO when out of memory. */
static lode_status copy_str(pctx *c, const cJSON *it, const char *jp, const char **out)
{
    const char *s = cJSON_GetStringValue(it);
    size_t n;
    int nul;
    if (s == NULL)
        return JFAIL(c, jp, "expected a string");
    n = strlen(s);
    if (utf8_bad((const unsigned char *)s, n, &nul) != n)
        return JFAIL(c, jp, "invalid UTF-8 in string");
    *out = lode_arena_strndup(c->a, s, n);
    return *out ? LODE_OK : JOOM(c);
}

/* The string member `key` of obj (whose JSON path is parent) into *out. A missing member is an
 * error when `required`, else gives "". */
static lode_status get_str(pctx *c, const cJSON *obj, const char *parent, const char *key,
                           int required, const char **out)
{
    char jp[JPATH];
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    jp_set(jp, parent, key, -1);
    if (it == NULL) {
        *out = "";
        return required ? JFAIL(c, jp, "missing") : LODE_OK;
    }
    return copy_str(c, it, jp, out);
}

/* The name of the single column in `it`, which is a string or a one-element array of strings
 * (a JSON path jp): the form foreignKeys use for `fields`. */
static lode_status one_column(pctx *c, const cJSON *it, const char *jp, const char **out)
{
    char ep[JPATH];
    if (cJSON_IsArray(it)) {
        if (cJSON_GetArraySize(it) != 1)
            return JFAIL(c, jp, "multi-column foreign keys are not supported");
        jp_set(ep, jp, "", 0);
        return copy_str(c, it->child, ep, out);
    }
    if (it == NULL)
        return JFAIL(c, jp, "missing");
    return copy_str(c, it, jp, out);
}

/* Index of the field named `name` in s, or -1. */
static long field_index(const lode_schema *s, const char *name)
{
    size_t i;
    for (i = 0; i < s->n_fields; i++)
        if (strcmp(s->fields[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* A finite JSON number member `key` of the constraints object cons into *v; *has set if
 * present. */
static lode_status get_bound(pctx *c, const cJSON *cons, const char *jp, const char *key, int *has,
                             double *v)
{
    char kp[JPATH];
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(cons, key);
    *has = 0;
    if (it == NULL)
        return LODE_OK;
    jp_set(kp, jp, key, -1);
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return JFAIL(c, kp, "expected a finite number");
    *has = 1;
    *v = it->valuedouble;
    return LODE_OK;
}

/* One element of schema.fields (JSON path jp) into *f. */
static lode_status parse_field(pctx *c, const cJSON *fo, const char *jp, lode_field *f)
{
    static const char *const known[] = {"required", "minimum", "maximum", "enum"};
    char kp[JPATH], ep[JPATH];
    const char *type;
    const cJSON *cons, *it, *e;
    lode_status st;
    size_t k, i;
    int found;

    if (!cJSON_IsObject(fo))
        return JFAIL(c, jp, "expected an object");
    st = get_str(c, fo, jp, "name", 1, &f->name);
    if (st == LODE_OK && f->name[0] == '\0')
        st = JFAIL(c, jp, "empty field name");
    if (st == LODE_OK)
        st = get_str(c, fo, jp, "type", 0, &type);
    if (st == LODE_OK)
        st = get_str(c, fo, jp, "description", 0, &f->description);
    if (st == LODE_OK)
        st = get_str(c, fo, jp, "unit", 0, &f->unit);
    if (st != LODE_OK)
        return st;
    jp_set(kp, jp, "type", -1);
    if (type[0] == '\0' || strcmp(type, "string") == 0)
        f->type = LODE_FT_STRING; /* Frictionless: string is the default type */
    else if (strcmp(type, "number") == 0)
        f->type = LODE_FT_NUMBER;
    else if (strcmp(type, "integer") == 0)
        f->type = LODE_FT_INTEGER;
    else
        return JFAIL(c, kp, "unknown type \"%.40s\" (expected string, number or integer)", type);

    cons = cJSON_GetObjectItemCaseSensitive(fo, "constraints");
    if (cons == NULL)
        return LODE_OK;
    jp_set(kp, jp, "constraints", -1);
    if (!cJSON_IsObject(cons))
        return JFAIL(c, kp, "expected an object");
    /* A constraint we do not know would be silently unchecked: refuse it instead. */
    for (it = cons->child; it != NULL; it = it->next) {
        found = 0;
        for (k = 0; k < sizeof known / sizeof known[0]; k++)
            found |= it->string != NULL && strcmp(it->string, known[k]) == 0;
        if (!found)
            return JFAIL(c, kp, "unsupported constraint \"%.40s\"", it->string ? it->string : "");
    }
    it = cJSON_GetObjectItemCaseSensitive(cons, "required");
    if (it != NULL) {
        jp_set(ep, kp, "required", -1);
        if (!cJSON_IsBool(it))
            return JFAIL(c, ep, "expected true or false");
        f->required = cJSON_IsTrue(it);
    }
    st = get_bound(c, cons, kp, "minimum", &f->has_min, &f->min);
    if (st == LODE_OK)
        st = get_bound(c, cons, kp, "maximum", &f->has_max, &f->max);
    if (st != LODE_OK)
        return st;
    if ((f->has_min || f->has_max) && f->type == LODE_FT_STRING)
        return JFAIL(c, kp, "minimum and maximum need a number or integer field");
    if (f->has_min && f->has_max && f->min > f->max)
        return JFAIL(c, kp, "minimum is above maximum");

    it = cJSON_GetObjectItemCaseSensitive(cons, "enum");
    if (it == NULL)
        return LODE_OK;
    jp_set(ep, kp, "enum", -1);
    if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) < 1)
        return JFAIL(c, ep, "expected a non-empty array of strings");
    f->n_enum = (size_t)cJSON_GetArraySize(it);
    f->enums = lode_arena_calloc(c->a, f->n_enum, sizeof *f->enums);
    if (f->enums == NULL)
        return JOOM(c);
    for (i = 0, e = it->child; e != NULL; i++, e = e->next) {
        jp_set(ep, kp, "enum", (long)i);
        st = copy_str(c, e, ep, &f->enums[i]);
        if (st != LODE_OK)
            return st;
    }
    return LODE_OK;
}

/* schema.primaryKey (JSON path jp): a field name or a non-empty array of them. */
static lode_status parse_pkey(pctx *c, const cJSON *pk, const char *jp, lode_schema *s)
{
    char ep[JPATH];
    const char *name;
    const cJSON *e;
    lode_status st;
    size_t i, j, n = 1;
    long k;

    if (cJSON_IsArray(pk)) {
        if (cJSON_GetArraySize(pk) < 1)
            return JFAIL(c, jp, "expected a field name or a non-empty array of them");
        n = (size_t)cJSON_GetArraySize(pk);
    } else if (!cJSON_IsString(pk)) {
        return JFAIL(c, jp, "expected a field name or a non-empty array of them");
    }
    s->pkey = lode_arena_calloc(c->a, n, sizeof *s->pkey);
    if (s->pkey == NULL)
        return JOOM(c);
    e = cJSON_IsArray(pk) ? pk->child : pk;
    for (i = 0; i < n; i++, e = e->next) {
        if (cJSON_IsArray(pk))
            jp_set(ep, jp, "", (long)i);
        else
            jp_set(ep, jp, "", -1);
        st = copy_str(c, e, ep, &name);
        if (st != LODE_OK)
            return st;
        k = field_index(s, name);
        if (k < 0)
            return JFAIL(c, ep, "unknown field \"%.40s\"", name);
        for (j = 0; j < i; j++)
            if (s->pkey[j] == (size_t)k)
                return JFAIL(c, ep, "field \"%.40s\" appears twice", name);
        s->pkey[i] = (size_t)k;
    }
    s->n_pkey = n;
    return LODE_OK;
}

/* schema.foreignKeys (JSON path jp). References to other resources are resolved later, once
 * every resource is known. */
static lode_status parse_fkeys(pctx *c, const cJSON *fks, const char *jp, lode_schema *s)
{
    char ep[JPATH], kp[JPATH];
    const char *name;
    const cJSON *fk, *ref;
    lode_status st;
    lode_fkey *k;
    size_t i;
    long fi;

    if (!cJSON_IsArray(fks))
        return JFAIL(c, jp, "expected an array");
    s->n_fkeys = (size_t)cJSON_GetArraySize(fks);
    s->fkeys = lode_arena_calloc(c->a, s->n_fkeys, sizeof *s->fkeys);
    if (s->fkeys == NULL)
        return JOOM(c);
    for (i = 0, fk = fks->child; fk != NULL; i++, fk = fk->next) {
        k = &s->fkeys[i];
        jp_set(ep, jp, "", (long)i);
        if (!cJSON_IsObject(fk))
            return JFAIL(c, ep, "expected an object");
        jp_set(kp, ep, "fields", -1);
        st = one_column(c, cJSON_GetObjectItemCaseSensitive(fk, "fields"), kp, &name);
        if (st != LODE_OK)
            return st;
        fi = field_index(s, name);
        if (fi < 0)
            return JFAIL(c, kp, "unknown field \"%.40s\"", name);
        k->field = (size_t)fi;
        ref = cJSON_GetObjectItemCaseSensitive(fk, "reference");
        jp_set(kp, ep, "reference", -1);
        if (!cJSON_IsObject(ref))
            return JFAIL(c, kp, "%s", ref ? "expected an object" : "missing");
        st = get_str(c, ref, kp, "resource", 1, &k->ref_resource);
        if (st != LODE_OK)
            return st;
        /* Frictionless: an empty resource name refers to the resource itself. */
        if (k->ref_resource[0] == '\0')
            k->ref_resource = s->name;
        jp_set(kp, ep, "reference.fields", -1);
        st = one_column(c, cJSON_GetObjectItemCaseSensitive(ref, "fields"), kp, &k->ref_field);
        if (st != LODE_OK)
            return st;
    }
    return LODE_OK;
}

/* One element of `resources` (JSON path jp) into *s. */
static lode_status parse_resource(pctx *c, const cJSON *ro, const char *jp, lode_schema *s)
{
    char sp[JPATH], ep[JPATH];
    const cJSON *schema, *fields, *fo, *it;
    lode_status st;
    size_t i, j;

    if (!cJSON_IsObject(ro))
        return JFAIL(c, jp, "expected an object");
    st = get_str(c, ro, jp, "name", 1, &s->name);
    if (st == LODE_OK && s->name[0] == '\0')
        st = JFAIL(c, jp, "empty resource name");
    if (st == LODE_OK)
        st = get_str(c, ro, jp, "path", 1, &s->path);
    if (st != LODE_OK)
        return st;
    jp_set(sp, jp, "schema", -1);
    schema = cJSON_GetObjectItemCaseSensitive(ro, "schema");
    if (!cJSON_IsObject(schema))
        return JFAIL(c, sp, "%s", schema ? "expected an object" : "missing");
    fields = cJSON_GetObjectItemCaseSensitive(schema, "fields");
    jp_set(ep, sp, "fields", -1);
    if (!cJSON_IsArray(fields) || cJSON_GetArraySize(fields) < 1)
        return JFAIL(c, ep, "%s", fields ? "expected a non-empty array" : "missing");
    s->n_fields = (size_t)cJSON_GetArraySize(fields);
    s->fields = lode_arena_calloc(c->a, s->n_fields, sizeof *s->fields);
    if (s->fields == NULL)
        return JOOM(c);
    for (i = 0, fo = fields->child; fo != NULL; i++, fo = fo->next) {
        jp_set(ep, sp, "fields", (long)i);
        st = parse_field(c, fo, ep, &s->fields[i]);
        if (st != LODE_OK)
            return st;
        for (j = 0; j < i; j++)
            if (strcmp(s->fields[j].name, s->fields[i].name) == 0)
                return JFAIL(c, ep, "duplicate field name \"%.40s\"", s->fields[i].name);
    }
    it = cJSON_GetObjectItemCaseSensitive(schema, "primaryKey");
    if (it != NULL) {
        jp_set(ep, sp, "primaryKey", -1);
        st = parse_pkey(c, it, ep, s);
        if (st != LODE_OK)
            return st;
    }
    it = cJSON_GetObjectItemCaseSensitive(schema, "foreignKeys");
    if (it != NULL) {
        jp_set(ep, sp, "foreignKeys", -1);
        st = parse_fkeys(c, it, ep, s);
        if (st != LODE_OK)
            return st;
    }
    return LODE_OK;
}

/* The whole package, once cJSON has parsed it. */
static lode_status parse_package(pctx *c, const cJSON *root, lode_package *out)
{
    char jp[JPATH], tmp[JPATH], tmp2[JPATH];
    const cJSON *res, *ro;
    const lode_schema *to;
    const lode_fkey *k;
    lode_status st;
    size_t i, j;

    if (!cJSON_IsObject(root))
        return JFAIL(c, "", "expected a JSON object at the top level");
    st = get_str(c, root, "", "name", 0, &out->name);
    if (st != LODE_OK)
        return st;
    res = cJSON_GetObjectItemCaseSensitive(root, "resources");
    if (!cJSON_IsArray(res) || cJSON_GetArraySize(res) < 1)
        return JFAIL(c, "resources", "%s", res ? "expected a non-empty array" : "missing");
    out->n_res = (size_t)cJSON_GetArraySize(res);
    out->res = lode_arena_calloc(c->a, out->n_res, sizeof *out->res);
    if (out->res == NULL)
        return JOOM(c);
    for (i = 0, ro = res->child; ro != NULL; i++, ro = ro->next) {
        jp_set(jp, "resources", "", (long)i);
        st = parse_resource(c, ro, jp, &out->res[i]);
        if (st != LODE_OK)
            return st;
        for (j = 0; j < i; j++)
            if (strcmp(out->res[j].name, out->res[i].name) == 0)
                return JFAIL(c, jp, "duplicate resource name \"%.40s\"", out->res[i].name);
    }
    /* Every foreign key must point at a field of a resource of this package. */
    for (i = 0; i < out->n_res; i++) {
        for (j = 0; j < out->res[i].n_fkeys; j++) {
            k = &out->res[i].fkeys[j];
            jp_set(tmp, "resources", "", (long)i);
            jp_set(tmp2, tmp, "schema.foreignKeys", (long)j);
            jp_set(jp, tmp2, "reference", -1);
            to = lode_package_find(out, k->ref_resource);
            if (to == NULL)
                return JFAIL(c, jp, "unknown resource \"%.40s\"", k->ref_resource);
            if (lode_schema_field(to, k->ref_field) < 0)
                return JFAIL(c, jp, "unknown field \"%.40s\" in resource \"%.40s\"", k->ref_field,
                             k->ref_resource);
        }
    }
    return LODE_OK;
}

/* Parse the datapackage.json in json[0..len) (path names it in errors) into *out, whose
 * strings and arrays all live in arena a. Returns LODE_OK; LODE_EINPUT for bad JSON (the
 * message gives the byte offset; line and column are set) or a package this reader does not
 * accept (the field is the JSON path, e.g. "resources[3].schema.fields[2].type"); LODE_EIO when
 * out of memory. On failure *out is zeroed; what was allocated stays in the arena. */
lode_status lode_package_parse(const char *json, size_t len, const char *path, lode_arena *a,
                               lode_package *out, lode_err *err)
{
    pctx c = {path, a, err};
    const char *end = NULL;
    cJSON *root;
    lode_status st;
    size_t off, i;
    long line = 1, col = 1;

    memset(out, 0, sizeof *out);
    if (json == NULL)
        len = 0;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (root != NULL) {
        /* cJSON stops after the first value; anything but whitespace after it is an error. */
        off = (size_t)(end - json);
        while (off < len &&
               (json[off] == ' ' || json[off] == '\t' || json[off] == '\n' || json[off] == '\r'))
            off++;
        if (off < len) {
            cJSON_Delete(root);
            root = NULL;
            end = json + off;
        }
    }
    if (root == NULL) {
        off = (end != NULL && json != NULL && end >= json) ? (size_t)(end - json) : 0;
        if (off > len)
            off = len;
        for (i = 0; i < off; i++) {
            if (json[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)json[i] & 0xC0) != 0x80) {
                col++; /* count characters, not UTF-8 continuation bytes */
            }
        }
        st = LODE_FAIL(err, LODE_EINPUT, path, line, "", "invalid JSON at byte %zu", off);
        if (err != NULL)
            err->column = col;
        return st;
    }
    st = parse_package(&c, root, out);
    cJSON_Delete(root);
    if (st != LODE_OK)
        memset(out, 0, sizeof *out);
    return st;
}

/* Read and parse the datapackage.json at path (see lode_package_parse); LODE_EIO if the file
 * cannot be read. */
lode_status lode_package_load(const char *path, lode_arena *a, lode_package *out, lode_err *err)
{
    lode_buf b = LODE_BUF_INIT;
    lode_status st;
    memset(out, 0, sizeof *out);
    st = lode_file_read(path, &b, err);
    if (st == LODE_OK)
        st = lode_package_parse(b.data, b.len, path, a, out, err);
    lode_buf_free(&b);
    return st;
}

/* The resource named `name`, or NULL (also when p or name is NULL). */
const lode_schema *lode_package_find(const lode_package *p, const char *name)
{
    size_t i;
    if (p == NULL || name == NULL)
        return NULL;
    for (i = 0; i < p->n_res; i++)
        if (strcmp(p->res[i].name, name) == 0)
            return &p->res[i];
    return NULL;
}

/* Index of field `name` in s, or -1 (also when s or name is NULL). */
long lode_schema_field(const lode_schema *s, const char *name)
{
    if (s == NULL || name == NULL)
        return -1;
    return field_index(s, name);
}

/* ---------------------------------------------------------------------------------------------
 * Cells: numbers and constraints
 */

/* Length of the longest prefix of s that is a decimal number as the reader accepts it:
 * -?(digits(.digits?)?|.digits)([eE][+-]?digits)?  — no '+', spaces, hex, inf or nan. 0 if s
 * does not start with one. *integral is set when it is just -?digits. */
static size_t number_syntax(const char *s, int *integral)
{
    size_t i = 0, nd = 0, nf = 0, ne = 0, save;
    if (s[i] == '-')
        i++;
    while (s[i] >= '0' && s[i] <= '9')
        i++, nd++;
    *integral = nd > 0 && s[i] == '\0';
    if (s[i] == '.') {
        i++;
        while (s[i] >= '0' && s[i] <= '9')
            i++, nf++;
    }
    if (nd + nf == 0)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        save = i++;
        if (s[i] == '+' || s[i] == '-')
            i++;
        while (s[i] >= '0' && s[i] <= '9')
            i++, ne++;
        if (ne == 0)
            i = save;
    }
    return i;
}

/* Parse s as a number the way the reader does: C-locale decimal (strtod; the library never
 * calls setlocale, so LC_NUMERIC is "C" unless the host program changed it), an optional '-'
 * and no '+', no surrounding spaces, no thousands separators, no hex, inf or nan; the value
 * must be finite. Returns 1 and sets *out on success, else 0 and leaves *out alone. */
int lode_parse_number(const char *s, double *out)
{
    char *end;
    double v;
    int integral;
    size_t n;
    if (s == NULL)
        return 0;
    n = number_syntax(s, &integral);
    if (n == 0 || s[n] != '\0')
        return 0;
    v = strtod(s, &end);
    if (end != s + n || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

/* "a|b|c" from the field's enum into dst[0..cap), cut with "..." when it does not fit. */
static void enum_list(char *dst, size_t cap, const lode_field *f)
{
    size_t i, o = 0, n;
    dst[0] = '\0';
    for (i = 0; i < f->n_enum; i++) {
        n = strlen(f->enums[i]);
        if (o + n + 1 + 4 >= cap) {
            snprintf(dst + o, cap - o, "%s...", i > 0 ? "|" : "");
            return;
        }
        if (i > 0)
            dst[o++] = '|';
        memcpy(dst + o, f->enums[i], n);
        o += n;
        dst[o] = '\0';
    }
}

/* Check cell (NUL-terminated) against field `col` of s, for row `line` of path. Returns
 * LODE_OK, or LODE_EINPUT with path, line, column (col + 1) and field set and a message that
 * quotes the value: required but empty, not a number or integer, outside minimum/maximum (with
 * the unit if the field has one), or not in the enum. An empty cell that is not required passes
 * without further checks. */
lode_status lode_csv_check_cell(const lode_schema *s, size_t col, const char *cell,
                                const char *path, long line, lode_err *err)
{
    const lode_field *f;
    char q[QUOTE_MAX * 4 + 8], list[160];
    lode_status st = LODE_OK;
    double v = 0;
    int integral, ok, syntax;
    size_t i;

    if (s == NULL || col >= s->n_fields)
        return LODE_FAIL(err, LODE_EINPUT, path, line, "", "no column %zu in the schema", col + 1);
    f = &s->fields[col];
    if (cell == NULL)
        cell = "";
    if (cell[0] == '\0') {
        if (f->required)
            st = LODE_FAIL(err, LODE_EINPUT, path, line, f->name, "required value is empty");
        goto done;
    }
    if (f->type != LODE_FT_STRING) {
        syntax = number_syntax(cell, &integral) == strlen(cell);
        ok = syntax && lode_parse_number(cell, &v);
        if (syntax && !ok) {
            quote_val(q, sizeof q, cell);
            st = LODE_FAIL(err, LODE_EINPUT, path, line, f->name, "number out of range, got \"%s\"",
                           q);
            goto done;
        }
        if (!ok || (f->type == LODE_FT_INTEGER && !integral)) {
            quote_val(q, sizeof q, cell);
            st = LODE_FAIL(err, LODE_EINPUT, path, line, f->name, "expected %s, got \"%s\"",
                           f->type == LODE_FT_INTEGER ? "an integer" : "a number", q);
            goto done;
        }
        /* Integers are kept in doubles: beyond 2^53 they stop being exact. */
        if (f->type == LODE_FT_INTEGER && fabs(v) > 9007199254740992.0) {
            quote_val(q, sizeof q, cell);
            st = LODE_FAIL(err, LODE_EINPUT, path, line, f->name,
                           "integer out of range, got \"%s\"", q);
            goto done;
        }
        if ((f->has_min && v < f->min) || (f->has_max && v > f->max)) {
            quote_val(q, sizeof q, cell);
            st = LODE_FAIL(
                err, LODE_EINPUT, path, line, f->name, "expected a value %s %.15g, got %s%s%s%s",
                f->has_min && v < f->min ? ">=" : "<=", f->has_min && v < f->min ? f->min : f->max,
                q, f->unit[0] ? " (unit: " : "", f->unit, f->unit[0] ? ")" : "");
            goto done;
        }
    }
    if (f->n_enum > 0) {
        for (i = 0; i < f->n_enum; i++)
            if (strcmp(cell, f->enums[i]) == 0)
                goto done;
        quote_val(q, sizeof q, cell);
        enum_list(list, sizeof list, f);
        st = LODE_FAIL(err, LODE_EINPUT, path, line, f->name, "expected one of %s, got \"%s\"",
                       list, q);
    }
done:
    if (st != LODE_OK && err != NULL)
        err->column = (long)col + 1;
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * lode_csv_scan: libcsv driven one physical line at a time
 *
 * libcsv reports fields and record ends but not where they are in the input, and it skips
 * blank lines without a word. To name the line a record starts on, the scanner feeds libcsv one
 * physical line at a time (up to and including its '\n', or a bare '\r'): a record then always
 * ends at the end of a piece, so "a record starts on this line" is known when a piece is fed
 * outside a record and does not begin with a line break. Line numbers count every '\n',
 * including those inside quoted fields (CRLF counts once, a bare CR as a line break).
 */

typedef struct scan {
    const lode_schema *s;
    const char *path;
    lode_row_fn fn;
    void *ctx;
    lode_err *err;
    lode_status st; /* first failure: libcsv cannot be stopped, so callbacks check this */
    long line;      /* physical line of the piece being fed */
    long rec_line;  /* line the current record starts on */
    int in_rec;     /* a record has started and not ended */
    int header_done;
    size_t ncell; /* cells of the current record so far */
    size_t keep;  /* cells stored per record: n_fields + 1 (one extra, for messages) */
    char *text;   /* the stored cells' bytes, each NUL-terminated */
    size_t text_len, text_cap;
    size_t *off; /* keep offsets into text */
    const char **cells;
} scan;

/* Fail the scan at the current record, column col (1-based; 0 for none). */
#define SFAIL(sc, col, ...)                                                                        \
    scan_fail((sc), (col),                                                                         \
              LODE_FAIL((sc)->err, LODE_EINPUT, (sc)->path, (sc)->rec_line, col_name((sc), (col)), \
                        __VA_ARGS__))

/* Name of 1-based column col, or "" for 0 or a column past the schema's last. */
static const char *col_name(const scan *sc, size_t col)
{
    return col >= 1 && col <= sc->s->n_fields ? sc->s->fields[col - 1].name : "";
}

static void scan_fail(scan *sc, size_t col, lode_status st)
{
    sc->st = st;
    if (sc->err != NULL)
        sc->err->column = (long)col;
}

static void scan_oom(scan *sc)
{
    sc->st = LODE_FAIL(sc->err, LODE_EIO, sc->path, sc->rec_line, "", "out of memory");
}

/* libcsv field callback: check the bytes, keep the first `keep` cells of the record. */
static void on_cell(void *data, size_t len, void *vsc)
{
    scan *sc = vsc;
    const char *cell = data ? data : "";
    size_t col, bad, cap;
    char *p;
    int nul;

    if (sc->st != LODE_OK)
        return;
    col = ++sc->ncell;
    bad = utf8_bad((const unsigned char *)cell, len, &nul);
    if (bad < len) {
        if (nul)
            SFAIL(sc, col, "cell holds a NUL byte at offset %zu", bad);
        else
            SFAIL(sc, col, "invalid UTF-8 at byte %zu of the cell (0x%02x)", bad + 1,
                  (unsigned)(unsigned char)cell[bad]);
        return;
    }
    if (col > sc->keep)
        return;
    if (sc->text_cap - sc->text_len < len + 1) {
        cap = sc->text_cap ? sc->text_cap : 256;
        while (cap - sc->text_len < len + 1)
            cap *= 2;
        p = realloc(sc->text, cap);
        if (p == NULL) {
            scan_oom(sc);
            return;
        }
        sc->text = p;
        sc->text_cap = cap;
    }
    memcpy(sc->text + sc->text_len, cell, len);
    sc->text[sc->text_len + len] = '\0';
    sc->off[col - 1] = sc->text_len;
    sc->text_len += len + 1;
}

/* The header record: the schema's field names, in order. */
static void check_header(scan *sc, size_t n)
{
    const lode_schema *s = sc->s;
    char q[QUOTE_MAX * 4 + 8];
    size_t i;
    for (i = 0; i < s->n_fields && i < n; i++) {
        if (strcmp(sc->cells[i], s->fields[i].name) != 0) {
            quote_val(q, sizeof q, sc->cells[i]);
            SFAIL(sc, i + 1, "header: expected column %zu '%s', got '%s'", i + 1, s->fields[i].name,
                  q);
            return;
        }
    }
    if (n < s->n_fields) {
        SFAIL(sc, n + 1, "header: missing column %zu '%s'", n + 1, s->fields[n].name);
    } else if (n > s->n_fields) {
        quote_val(q, sizeof q, sc->cells[s->n_fields]);
        SFAIL(sc, s->n_fields + 1, "header: unexpected column %zu '%s'", s->n_fields + 1, q);
    }
}

/* libcsv record callback: check the record and hand it to the caller. */
static void on_record(int term, void *vsc)
{
    scan *sc = vsc;
    const lode_schema *s = sc->s;
    size_t i, n = sc->ncell;
    (void)term;

    sc->in_rec = 0;
    sc->ncell = 0;
    if (sc->st != LODE_OK)
        return;
    for (i = 0; i < n && i < sc->keep; i++)
        sc->cells[i] = sc->text + sc->off[i];
    sc->text_len = 0;
    if (!sc->header_done) {
        sc->header_done = 1;
        check_header(sc, n);
        return;
    }
    if (n != s->n_fields) {
        SFAIL(sc, n < s->n_fields ? n + 1 : s->n_fields + 1, "expected %zu column%s, got %zu",
              s->n_fields, s->n_fields == 1 ? "" : "s", n);
        return;
    }
    for (i = 0; i < n; i++) {
        sc->st = lode_csv_check_cell(s, i, sc->cells[i], sc->path, sc->rec_line, sc->err);
        if (sc->st != LODE_OK)
            return;
    }
    if (sc->fn != NULL)
        sc->st = sc->fn(sc->ctx, sc->cells, n, sc->rec_line, sc->err);
}

/* libcsv trims spaces and tabs around unquoted fields unless told that nothing is a space;
 * " 12" must reach the number check as written, and text must round-trip exactly. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* After libcsv stopped with a parse error (strict mode), fail with a message saying why. */
static void parse_error(scan *sc, struct csv_parser *p)
{
    size_t col = sc->ncell + 1;
    if (csv_error(p) != CSV_EPARSE)
        scan_oom(sc);
    else if (p->quoted)
        SFAIL(sc, col,
              "unexpected character after a closing quote (a quote inside a quoted "
              "field must be doubled)");
    else
        SFAIL(sc, col, "quote in an unquoted field (quote the whole field and double the quote)");
}

/* Scan CSV bytes buf[0..len) named path against schema s: see table.h. A leading UTF-8 BOM is
 * skipped; blank lines between records are skipped (but counted); records end with LF, CRLF or
 * CR. Each data row that passes is given to fn (if not NULL) with its cells (n == n_fields) and
 * the line it starts on; the cells are borrowed for the call only. Errors are LODE_EINPUT with
 * path, line (where the record starts), column and field set, in this order of checks: empty
 * file, invalid UTF-8 or a NUL byte in a cell, a record longer than LODE_CSV_MAX_LINE, quoting
 * errors, the header, the cell count, then each cell (lode_csv_check_cell); LODE_EIO when out
 * of memory; or whatever fn returns. Memory use is O(longest record). */
lode_status lode_csv_scan(const char *buf, size_t len, const char *path, const lode_schema *s,
                          lode_row_fn fn, void *ctx, lode_err *err)
{
    struct csv_parser p;
    scan sc;
    const char *q, *end, *nl, *cr;
    size_t piece, body, room, rec_bytes = 0, fed;

    memset(&sc, 0, sizeof sc);
    sc.s = s;
    sc.path = path;
    sc.fn = fn;
    sc.ctx = ctx;
    sc.err = err;
    sc.line = 1;
    sc.rec_line = 1;
    if (s == NULL || s->n_fields == 0)
        return LODE_FAIL(err, LODE_EINPUT, path, 0, "", "schema has no fields");
    if (buf == NULL)
        len = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;
        len -= 3;
    }
    sc.keep = s->n_fields + 1;
    sc.off = calloc(sc.keep, sizeof *sc.off);
    sc.cells = calloc(sc.keep, sizeof *sc.cells);
    if (sc.off == NULL || sc.cells == NULL || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(sc.off);
        free(sc.cells);
        return LODE_FAIL(err, LODE_EIO, path, 0, "", "out of memory");
    }
    csv_set_space_func(&p, no_space);
    csv_set_blk_size(&p, 4096);

    end = buf + len;
    for (q = buf; q < end && sc.st == LODE_OK; q += piece) {
        /* the next physical line: through its '\n', or through a bare '\r' */
        nl = memchr(q, '\n', (size_t)(end - q));
        piece = nl ? (size_t)(nl - q) + 1 : (size_t)(end - q);
        cr = memchr(q, '\r', piece);
        if (cr != NULL && cr + 1 < q + piece && cr[1] != '\n')
            piece = (size_t)(cr - q) + 1;
        body = piece;
        if (body > 0 && q[body - 1] == '\n')
            body--;
        if (body > 0 && q[body - 1] == '\r')
            body--;

        if (!sc.in_rec && body > 0) {
            sc.in_rec = 1;
            sc.rec_line = sc.line;
            rec_bytes = 0;
        }
        if (sc.in_rec && (rec_bytes > (size_t)LODE_CSV_MAX_LINE ||
                          body > (size_t)LODE_CSV_MAX_LINE - rec_bytes)) {
            /* feed what fits, so the error names the column the limit falls in */
            room =
                rec_bytes < (size_t)LODE_CSV_MAX_LINE ? (size_t)LODE_CSV_MAX_LINE - rec_bytes : 0;
            fed = csv_parse(&p, q, room, on_cell, on_record, &sc);
            if (sc.st == LODE_OK && fed < room)
                parse_error(&sc, &p);
            if (sc.st == LODE_OK)
                SFAIL(&sc, sc.ncell + 1, "record longer than %ld bytes", LODE_CSV_MAX_LINE);
            break;
        }
        fed = csv_parse(&p, q, piece, on_cell, on_record, &sc);
        if (sc.st == LODE_OK && fed < piece)
            parse_error(&sc, &p);
        rec_bytes += piece;
        if (q[piece - 1] == '\n' || q[piece - 1] == '\r')
            sc.line++;
    }
    /* csv_fini fails only on a quoted field still open at the end of the input */
    if (sc.st == LODE_OK && csv_fini(&p, on_cell, on_record, &sc) != 0)
        SFAIL(&sc, sc.ncell + 1, "unterminated quoted field");
    if (sc.st == LODE_OK && !sc.header_done) {
        sc.rec_line = 1;
        SFAIL(&sc, 0, "empty file: expected a header row");
    }
    csv_free(&p);
    free(sc.text);
    free(sc.off);
    free(sc.cells);
    return sc.st;
}

/* ---------------------------------------------------------------------------------------------
 * lode_csv_write_row
 */

/* Append one record of n cells, '\n'-terminated, as Python's csv.writer(lineterminator='\n')
 * with QUOTE_MINIMAL writes it: a cell is quoted only if it holds a comma, a double quote, CR
 * or LF, with quotes inside doubled. Like Python, a record of one empty cell is written `""`, so
 * that it is not a blank line (which readers skip). Python 3.11 leaves a cell holding a bare CR
 * unquoted, which no reader reads back; we quote it. */
void lode_csv_write_row(lode_buf *b, const char *const *cells, size_t n)
{
    const char *c, *qt;
    size_t i;
    if (n == 1 && (cells[0] == NULL || cells[0][0] == '\0')) {
        lode_buf_add(b, "\"\"\n", 3);
        return;
    }
    for (i = 0; i < n; i++) {
        c = cells[i] ? cells[i] : "";
        if (i > 0)
            lode_buf_add(b, ",", 1);
        if (c[strcspn(c, ",\"\r\n")] == '\0') {
            lode_buf_puts(b, c);
            continue;
        }
        lode_buf_add(b, "\"", 1);
        for (;;) {
            qt = strchr(c, '"');
            if (qt == NULL)
                break;
            lode_buf_add(b, c, (size_t)(qt - c) + 1);
            lode_buf_add(b, "\"", 1);
            c = qt + 1;
        }
        lode_buf_puts(b, c);
        lode_buf_add(b, "\"", 1);
    }
    lode_buf_add(b, "\n", 1);
}
