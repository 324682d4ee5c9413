/* err.c: filling and printing lode_err, the one error type (include/lode/err.h).
 * Every string copied into a lode_err is truncated to fit its fixed-size member, so raising an
 * error never allocates and never fails. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lode/err.h"

/* Copy the NUL-terminated s (NULL gives "") into dst[0..cap), truncating; dst is always
 * NUL-terminated (cap >= 1). */
static void copy_trunc(char *dst, size_t cap, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n > 0)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Fill *err, if err is not NULL, and return `code`. path and field may be NULL (stored as "").
 * The column is set to 0; a caller that knows it sets err->column afterwards. The message is
 * formatted with vsnprintf and truncated to fit. */
lode_status lode_err_set(lode_err *err, lode_status code, const char *path, long line,
                         const char *field, const char *src, int src_line, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL)
        return code;
    err->code = code;
    copy_trunc(err->path, sizeof err->path, path);
    err->line = line;
    err->column = 0;
    copy_trunc(err->field, sizeof err->field, field);
    err->src = src;
    err->src_line = src_line;
    err->msg[0] = '\0';
    if (fmt != NULL) {
        va_start(ap, fmt);
        if (vsnprintf(err->msg, sizeof err->msg, fmt, ap) < 0)
            err->msg[0] = '\0';
        va_end(ap);
    }
    return code;
}

/* Append s to buf[*pos..len), truncating; keeps buf NUL-terminated. */
static void put(char *buf, size_t len, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (*pos + 1 >= len)
        return;
    if (n > len - 1 - *pos)
        n = len - 1 - *pos;
    memcpy(buf + *pos, s, n);
    *pos += n;
    buf[*pos] = '\0';
}

/* Format *err as `path:line:column: field 'f': msg` into buf[0..len), truncating, and return
 * buf. `:line` is left out when the line is 0 and `:column` when the column or line is 0; with
 * no path the text starts at the field part, which is left out when the field is "". A NULL
 * err gives "". len must be >= 1. */
const char *lode_err_fmt(const lode_err *err, char *buf, size_t len)
{
    char num[32];
    size_t pos = 0;
    if (buf == NULL || len == 0)
        return buf;
    buf[0] = '\0';
    if (err == NULL)
        return buf;
    if (err->path[0] != '\0') {
        put(buf, len, &pos, err->path);
        if (err->line > 0) {
            snprintf(num, sizeof num, ":%ld", err->line);
            put(buf, len, &pos, num);
            if (err->column > 0) {
                snprintf(num, sizeof num, ":%ld", err->column);
                put(buf, len, &pos, num);
            }
        }
        put(buf, len, &pos, ": ");
    }
    if (err->field[0] != '\0') {
        put(buf, len, &pos, "field '");
        put(buf, len, &pos, err->field);
        put(buf, len, &pos, "': ");
    }
    put(buf, len, &pos, err->msg);
    return buf;
}

/* A short lowercase name of `code`. The switch has no default so that a new status code
 * without a name here is a compiler warning (and so an error under -Werror). */
const char *lode_status_str(lode_status code)
{
    switch (code) {
    case LODE_OK:
        return "ok";
    case LODE_EUSAGE:
        return "usage error";
    case LODE_EINPUT:
        return "bad input";
    case LODE_ENOSOLN:
        return "no solution";
    case LODE_EIO:
        return "i/o error";
    }
    return "unknown status";
}
