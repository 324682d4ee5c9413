/* buf.c: the growable byte buffer of include/lode/buf.h, and whole-file read and atomic write.
 * A buffer that runs out of memory sets `oom` and ignores later appends, so builders append
 * without checking and test once at the end; files are written to a temporary name, synced and
 * renamed, so a reader sees the old file or the new one, never half of one. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lode/buf.h"

/* Free b's memory and reset it to LODE_BUF_INIT. NULL is a no-op. */
void lode_buf_free(lode_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = 0;
}

/* Make room for `extra` more bytes plus the NUL. Returns 0, or -1 (and sets oom). */
static int reserve(lode_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;
    if (b->oom)
        return -1;
    if (extra > SIZE_MAX - 1 - b->len) {
        b->oom = 1;
        return -1;
    }
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (p == NULL) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

/* Append s[0..n) (which may hold NULs). Dropped if the buffer is out of memory. */
void lode_buf_add(lode_buf *b, const char *s, size_t n)
{
    if (reserve(b, n) != 0)
        return;
    if (n > 0)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Append the NUL-terminated s. */
void lode_buf_puts(lode_buf *b, const char *s)
{
    lode_buf_add(b, s, strlen(s));
}

/* Append printf-formatted text. A formatting error sets oom, since the output would be
 * incomplete. */
void lode_buf_printf(lode_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    size_t room;
    if (b->oom)
        return;
    room = b->cap > b->len ? b->cap - b->len : 0;
    va_start(ap, fmt);
    n = room > 0 ? vsnprintf(b->data + b->len, room, fmt, ap) : vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n >= room) {
        if (reserve(b, (size_t)n) != 0)
            return;
        va_start(ap, fmt);
        n = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
    }
    b->len += (size_t)n;
}

/* Read the whole file at path into *out, replacing its contents; out->data is then
 * NUL-terminated and not NULL, even for an empty file. Returns LODE_OK, or LODE_EIO naming the
 * path ("cannot read: <reason>", or "out of memory"). */
lode_status lode_file_read(const char *path, lode_buf *out, lode_err *err)
{
    FILE *f;
    size_t n;
    char why[128];
    int e;

    out->len = 0;
    out->oom = 0;
    f = fopen(path, "rb");
    if (f == NULL) {
        e = errno;
        if (strerror_r(e, why, sizeof why) != 0)
            snprintf(why, sizeof why, "error %d", e);
        return LODE_FAIL(err, LODE_EIO, path, 0, "", "cannot read: %s", why);
    }
    for (;;) {
        if (reserve(out, 64 * 1024) != 0)
            break;
        n = fread(out->data + out->len, 1, out->cap - out->len - 1, f);
        out->len += n;
        out->data[out->len] = '\0';
        if (n == 0)
            break;
    }
    int read_error = ferror(f);
    e = read_error ? errno : 0;
    fclose(f);
    if (out->oom)
        return LODE_FAIL(err, LODE_EIO, path, 0, "", "cannot read: out of memory");
    if (read_error || out->data == NULL) {
        if (e == 0 || strerror_r(e, why, sizeof why) != 0)
            snprintf(why, sizeof why, "read error");
        return LODE_FAIL(err, LODE_EIO, path, 0, "", "cannot read: %s", why);
    }
    return LODE_OK;
}

/* write(2) all of data[0..len), retrying short writes and EINTR. Returns 0 or -1 (errno). */
static int write_all(int fd, const char *data, size_t len)
{
    ssize_t n;
    while (len > 0) {
        n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Best-effort fsync of the directory holding path, so the rename itself is durable. Some file
 * systems refuse to sync a directory; that is not an error for us. */
static void sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n;
    int fd;
    if (slash == NULL) {
        strcpy(dir, ".");
    } else {
        n = (size_t)(slash - path);
        if (n == 0)
            n = 1; /* "/file": the root */
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    fd = open(dir, O_RDONLY);
    if (fd < 0)
        return;
    (void)fsync(fd);
    close(fd);
}

/* Write data[0..len) to path atomically: to "<path>.tmp.<pid>" beside it, fsync, then rename
 * over path. On any failure the temporary file is removed, path is left as it was, and the
 * result is LODE_EIO naming path ("cannot write: <reason>"). */
lode_status lode_file_write(const char *path, const char *data, size_t len, lode_err *err)
{
    char tmp[4096];
    char why[128];
    const char *what = "cannot write";
    int fd, e, n;

    n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return LODE_FAIL(err, LODE_EIO, path, 0, "", "cannot write: path too long");
    /* A stale temporary of ours (same pid, an earlier crash) is ours to replace. */
    (void)unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0666);
    if (fd < 0) {
        e = errno;
        goto fail;
    }
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        e = errno;
        close(fd);
        unlink(tmp);
        goto fail;
    }
    if (close(fd) != 0) {
        e = errno;
        unlink(tmp);
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        what = "cannot rename into place";
        unlink(tmp);
        goto fail;
    }
    sync_dir(path);
    return LODE_OK;

fail:
    if (strerror_r(e, why, sizeof why) != 0)
        snprintf(why, sizeof why, "error %d", e);
    return LODE_FAIL(err, LODE_EIO, path, 0, "", "%s: %s", what, why);
}
