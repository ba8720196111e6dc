/* src/lake/objects.c: the content-addressed object store, <home>/objects/<aa>/<sha256-hex>.
 *
 * An object is named by the SHA-256 of its bytes, so writing one that exists is a no-op and
 * an object never changes. A write goes through cairn_file_write_atomic (temporary name in
 * the same directory, fsync, rename, directory fsync): a crash leaves the whole object or
 * nothing under its name. Reading re-hashes the bytes, so a damaged object is reported
 * (CAIRN_ECORRUPT), never returned.
 *
 * Tests: tests/unit/lake/test_objects.c.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lake/lake_internal.h"

static bool is_hex_id(const char *id)
{
    if (!id || strlen(id) != CAIRN_SHA256_HEX_LEN) return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return true;
}

int cairn_object_path(const char *home_dir, const char *id, char *out, size_t cap,
                      cairn_error *err)
{
    if (!is_hex_id(id))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "object id '%.80s' is not 64 lower-case hex digits", id ? id : "");
    int n = snprintf(out, cap, "%s/objects/%.2s/%s", home_dir, id, id);
    if (n < 0 || (size_t)n >= cap)
        return cairn_error_set(err, CAIRN_EINVAL, "object path under '%s' is too long", home_dir);
    return 0;
}

int cairn__object_put(const char *home_dir, const void *data, size_t len, char id[65],
                      bool *created, cairn_error *err)
{
    uint8_t digest[CAIRN_SHA256_LEN];
    char path[4096], dir[4096];
    cairn_sha256_digest(data, len, digest);
    cairn_hex_encode(digest, sizeof digest, id);
    if (created) *created = false;
    int rc = cairn_object_path(home_dir, id, path, sizeof path, err);
    if (rc) return rc;
    if (cairn_path_exists(path)) return 0;
    snprintf(dir, sizeof dir, "%s/objects/%.2s", home_dir, id);
    if ((rc = cairn_mkdir_p(dir, 0, err)) || (rc = cairn_file_write_atomic(path, data, len, err)))
        return rc;
    if (created) *created = true;
    return 0;
}

int cairn_object_put(const char *home_dir, const void *data, size_t len, char id[65],
                     cairn_error *err)
{
    return cairn__object_put(home_dir, data, len, id, NULL, err);
}

int cairn_object_get(const char *home_dir, const char *id, cairn_buf *out, cairn_error *err)
{
    char path[4096], hex[65];
    uint8_t digest[CAIRN_SHA256_LEN];
    int rc = cairn_object_path(home_dir, id, path, sizeof path, err);
    if (rc) return rc;
    if (!cairn_path_exists(path))
        return cairn_error_set(err, CAIRN_ENOTFOUND, "object %.12s is missing (%s)", id, path);
    cairn_buf_reset(out);
    if ((rc = cairn_file_read(path, out, 0, err))) return rc;
    cairn_sha256_digest(out->data, out->len, digest);
    cairn_hex_encode(digest, sizeof digest, hex);
    if (strcmp(hex, id) != 0) {
        cairn_error_set(err, CAIRN_ECORRUPT,
                        "object %.12s is corrupt: its bytes hash to %.12s (%s)", id, hex, path);
        cairn_buf_reset(out);
        return CAIRN_ECORRUPT;
    }
    return 0;
}

int cairn__object_remove(const char *home_dir, const char *id, cairn_error *err)
{
    char path[4096];
    int rc = cairn_object_path(home_dir, id, path, sizeof path, err);
    if (rc) return rc;
    if (unlink(path) != 0 && errno != ENOENT)
        return cairn_error_set(err, CAIRN_EIO, "cannot remove object %s: %s", path,
                               strerror(errno));
    return 0;
}
