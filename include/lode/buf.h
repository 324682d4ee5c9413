/* buf.h: growable byte buffer for building output that is written whole or not at all.
 * A lode_buf is a value owned by the caller: init with LODE_BUF_INIT, free with lode_buf_free.
 * On out of memory the buffer sets `oom` and drops further appends; check it once at the end. */
#ifndef LODE_BUF_H
#define LODE_BUF_H

#include <stddef.h>
#include "lode/err.h"

typedef struct lode_buf {
    char *data; /* NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
    int oom;
} lode_buf;

#define LODE_BUF_INIT {NULL, 0, 0, 0}

void lode_buf_free(lode_buf *b);
void lode_buf_add(lode_buf *b, const char *s, size_t n);
void lode_buf_puts(lode_buf *b, const char *s);
void lode_buf_printf(lode_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read a whole file into *out (NUL-terminated). Fails with LODE_EIO naming the path. */
lode_status lode_file_read(const char *path, lode_buf *out, lode_err *err);
/* Write bytes to path atomically: a temporary file beside it, then rename. */
lode_status lode_file_write(const char *path, const char *data, size_t len, lode_err *err);

#endif
