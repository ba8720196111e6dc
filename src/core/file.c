/* file.c: whole-file reads, atomic writes, directories and read-only maps.
 *
 * Atomic write: write to "<path>.tmp.<pid>.<n>" in the same directory, fsync it, rename it
 * over the target, then fsync the directory so the rename itself is durable. A crash at any
 * point leaves the old file or the new one, never a mixture; a leftover temporary name is
 * harmless. Tests: tests/unit/core/test_file.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn/core.h"

static int io_error(cairn_error *err, const char *what, const char *path)
{
    int e = errno;
    int code = (e == ENOENT || e == ENOTDIR) ? CAIRN_ENOTFOUND : CAIRN_EIO;
    if (e == EACCES || e == EISDIR) code = CAIRN_EINVAL;
    cairn_error_set(err, code, "cannot %s: %s", what, strerror(e));
    cairn_error_at(err, path, 0, 0);
    return code;
}

int cairn_file_read(const char *path, cairn_buf *out, size_t max_bytes, cairn_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error(err, "open", path);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        errno = EISDIR;
        return io_error(err, "read", path);
    }
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            close(fd);
            return io_error(err, "read", path);
        }
        if (n == 0) break;
        if (max_bytes && out->len + (size_t)n > max_bytes) {
            close(fd);
            cairn_error_set(err, CAIRN_ELIMIT, "file is larger than %zu bytes", max_bytes);
            cairn_error_at(err, path, 0, 0);
            return CAIRN_ELIMIT;
        }
        int rc = cairn_buf_append(out, chunk, (size_t)n);
        if (rc) {
            close(fd);
            return cairn_error_set(err, rc, "cannot hold %s in memory", path);
        }
    }
    close(fd);
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(out, cap, ".");
    } else if (slash == path) {
        snprintf(out, cap, "/");
    } else {
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
    }
}

static void fsync_dir(const char *path)
{
    char dir[4096];
    dir_of(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int cairn_file_write_atomic(const char *path, const void *data, size_t len, cairn_error *err)
{
    static atomic_uint counter;
    char tmp[4200];
    int w = snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(),
                     atomic_fetch_add(&counter, 1));
    if (w < 0 || (size_t)w >= sizeof tmp)
        return cairn_error_set(err, CAIRN_EINVAL, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return io_error(err, "create", tmp);
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int rc = io_error(err, "write", tmp);
        close(fd);
        unlink(tmp);
        return rc;
    }
    if (close(fd) != 0) {
        unlink(tmp);
        return io_error(err, "close", tmp);
    }
    cairn_crashpoint("file: temporary synced, not renamed");
    if (rename(tmp, path) != 0) {
        int rc = io_error(err, "rename into place", path);
        unlink(tmp);
        return rc;
    }
    cairn_crashpoint("file: renamed, directory not synced");
    fsync_dir(path);
    return 0;
}

int cairn_mkdir_p(const char *path, unsigned mode, cairn_error *err)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return cairn_error_set(err, CAIRN_EINVAL, "bad directory path '%s'", path);
    memcpy(tmp, path, n + 1);
    if (!mode) mode = 0755;
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0') continue;
        char saved = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST) return io_error(err, "mkdir", tmp);
        tmp[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return io_error(err, "use as a directory", path);
    }
    return 0;
}

bool cairn_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

enum { MAP_NONE = 0, MAP_MMAP = 1, MAP_HEAP = 2 };

int cairn_file_map(const char *path, cairn_mapped *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error(err, "open", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int rc = io_error(err, "stat", path);
        close(fd);
        return rc;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        errno = EISDIR;
        return io_error(err, "read", path);
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
            (void)madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
            out->data = p;
            out->len = (size_t)st.st_size;
            out->priv_ = p;
            out->kind_ = MAP_MMAP;
            return 0;
        }
    }
    close(fd);
    /* Pipes, empty files and special files: read into the heap. */
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = cairn_file_read(path, &b, 0, err);
    if (rc) {
        cairn_buf_release(&b);
        return rc;
    }
    size_t len;
    char *p = cairn_buf_detach(&b, &len);
    if (!p) return cairn_error_set(err, CAIRN_ENOMEM, "cannot hold %s in memory", path);
    out->data = p;
    out->len = len;
    out->priv_ = p;
    out->kind_ = MAP_HEAP;
    return 0;
}

void cairn_file_unmap(cairn_mapped *map)
{
    if (map->kind_ == MAP_MMAP) munmap(map->priv_, map->len);
    if (map->kind_ == MAP_HEAP) cairn_free(map->priv_);
    memset(map, 0, sizeof *map);
}
