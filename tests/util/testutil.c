/* tests/util/testutil.c: temporary directories and fixture files for the unit tests. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *tmp_root(void)
{
    const char *t = getenv("TMPDIR");
    return (t && *t) ? t : "/tmp";
}

const char *cairn_test_tmpdir(const char *tag)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/cairn-test-%s-XXXXXX", tmp_root(), tag ? tag : "t");
    if (!mkdtemp(path)) {
        fail_msg("mkdtemp %s: %s", path, strerror(errno));
    }
    return path;
}

void cairn_test_rmtree(const char *path)
{
    char cmd[4200];
    if (strncmp(path, tmp_root(), strlen(tmp_root())) != 0 || strstr(path, "cairn-test-") == NULL)
        fail_msg("refusing to remove %s", path);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fail_msg("could not remove %s", path);
}

void cairn_test_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("open %s: %s", path, strerror(errno));
    if (len && fwrite(data, 1, len, f) != len) fail_msg("write %s", path);
    fclose(f);
}
