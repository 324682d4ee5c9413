/* err.h: the one error type of Lodestone.
 *
 * Ownership: a lode_err is a plain value owned by the caller; functions that can fail take a
 * `lode_err *err` last (it may be NULL) and fill it on failure. Nothing in it needs freeing. */
#ifndef LODE_ERR_H
#define LODE_ERR_H

#include <stddef.h>

/* Status codes double as the `lode` exit codes (see DESIGN.md, command-line contract). */
typedef enum lode_status {
    LODE_OK = 0,      /* done */
    LODE_EUSAGE = 1,  /* bad command line */
    LODE_EINPUT = 2,  /* bad input data: file, line and field say where */
    LODE_ENOSOLN = 3, /* infeasible model or solver failure */
    LODE_EIO = 4      /* I/O or store error, out of memory */
} lode_status;

typedef struct lode_err {
    lode_status code;
    char path[256];  /* data file, or "" */
    long line;       /* row in path (1-based, header is line 1), 0 if none */
    long column;     /* 1-based column in the row, 0 if none */
    char field[64];  /* column or JSON key, or "" */
    char msg[256];
    const char *src; /* __FILE__ where raised */
    int src_line;    /* __LINE__ where raised */
} lode_err;

/* Fill *err (if not NULL) and return `code`. printf-style message. */
lode_status lode_err_set(lode_err *err, lode_status code, const char *path, long line,
                         const char *field, const char *src, int src_line, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

#define LODE_FAIL(err, code, path, line, field, ...)                                           \
    lode_err_set((err), (code), (path), (line), (field), __FILE__, __LINE__, __VA_ARGS__)

/* Return from the calling function with the status of x unless it is LODE_OK. */
#define LODE_TRY(x)                                                                            \
    do {                                                                                       \
        lode_status lode_try_st_ = (x);                                                        \
        if (lode_try_st_ != LODE_OK)                                                           \
            return lode_try_st_;                                                               \
    } while (0)

/* Format as `path:line:column: field 'f': msg` (parts omitted when empty) into buf.
 * Returns buf. */
const char *lode_err_fmt(const lode_err *err, char *buf, size_t len);

/* A short lowercase name of a status code ("bad input", ...). */
const char *lode_status_str(lode_status code);

#endif
