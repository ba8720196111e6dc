/* src/catalog/home.c: the Cairn home, a directory holding cairn.yaml, the catalog and the
 * stores' directories.
 *
 * cairn_home_init lays the directory out (lake/ dlq/ objects/ online/, keys/ at 0700),
 * writes a default cairn.yaml atomically when there is none, then opens the home once so
 * that the catalog exists and is migrated. It keeps whatever is already there, so running
 * it again, or over a home left half-made by a crash, is safe.
 *
 * cairn_home_open reads cairn.yaml into a flat list of settings ("section.key" -> text;
 * deeper mappings give "a.b.c"; sequences and nulls are not settings) and takes a
 * snapshot of the CAIRN_* environment variables. A lookup of "section.key" checks the
 * snapshot for CAIRN_SECTION_KEY (upper case, '.' and '-' as '_') first, then the file.
 * Both lists own their strings, so returned settings live until cairn_home_close and do
 * not change if the environment does. The catalog URL is the setting catalog.url; a
 * relative SQLite path in it is taken relative to the home, not the working directory.
 *
 * Tests: tests/unit/catalog/test_home.c.
 */
#include "catalog/catalog_internal.h"
#include "cairn/yaml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern char **environ;

typedef struct home_setting {
    char *key; /* "section.key" for file settings, "CAIRN_SECTION_KEY" for the environment */
    char *value;
} home_setting;

typedef struct setting_list {
    home_setting *items;
    size_t count, cap;
} setting_list;

struct cairn_home {
    char *path; /* as given, without trailing slashes */
    cairn_catalog *catalog;
    setting_list file; /* from cairn.yaml */
    setting_list env;  /* CAIRN_* at open time */
};

static const char default_yaml[] =
    "# Cairn home configuration. Every setting can be overridden by CAIRN_<SECTION>_<KEY>.\n"
    "catalog:\n"
    "  url: sqlite:catalog.db      # or postgres://user@host:port/db\n"
    "online:\n"
    "  url: lmdb:online            # or redis://host:port\n"
    "server:\n"
    "  listen: 127.0.0.1:8080\n";

static const char *const subdirs[] = {"lake", "dlq", "objects", "online"};
#define KEYS_DIR "keys"
#define DEFAULT_CATALOG_URL "sqlite:catalog.db"

/* ------------------------------------------------------------------------------------------
 * Settings
 * ---------------------------------------------------------------------------------------- */

static void settings_release(setting_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        cairn_free(list->items[i].key);
        cairn_free(list->items[i].value);
    }
    cairn_free(list->items);
    memset(list, 0, sizeof *list);
}

/* Takes key and value whether it succeeds or not. */
static int settings_add(setting_list *list, char *key, char *value)
{
    if (!key || !value ||
        cairn_grow((void **)&list->items, &list->cap, list->count + 1, sizeof *list->items)) {
        cairn_free(key);
        cairn_free(value);
        return CAIRN_ENOMEM;
    }
    list->items[list->count].key = key;
    list->items[list->count].value = value;
    list->count++;
    return 0;
}

static const char *settings_find(const setting_list *list, const char *key)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].key, key) == 0) return list->items[i].value;
    return NULL;
}

/* Adds the scalars under node with their dotted names; prefix holds node's own name. */
static int flatten(setting_list *list, const cairn_yaml_node *node, cairn_buf *prefix)
{
    if (node->kind == CAIRN_YAML_SCALAR) {
        if (cairn_yaml_is_null(node) || prefix->len == 0) return 0;
        return settings_add(list, cairn_strndup(prefix->data, prefix->len),
                            cairn_strndup(node->scalar, node->scalar_len));
    }
    if (node->kind != CAIRN_YAML_MAPPING) return 0; /* a list is not a setting */
    size_t mark = prefix->len;
    for (size_t i = 0; i < node->count; i++) {
        const cairn_yaml_node *key = node->keys[i];
        int rc = 0;
        if (mark) rc = cairn_buf_putc(prefix, '.');
        if (rc == 0) rc = cairn_buf_append(prefix, key->scalar, key->scalar_len);
        if (rc == 0) rc = flatten(list, node->items[i], prefix);
        if (prefix->cap) { /* truncate back to this mapping's own name */
            prefix->len = mark;
            prefix->data[mark] = '\0';
        }
        if (rc) return rc;
    }
    return 0;
}

static int read_config(cairn_home *home, const char *yaml_path, cairn_error *err)
{
    cairn_yaml_doc *doc = NULL;
    cairn_buf prefix;
    int rc = cairn_yaml_load_file(yaml_path, &doc, err);
    if (rc) return rc;
    const cairn_yaml_node *root = cairn_yaml_root(doc);
    if (root && root->kind != CAIRN_YAML_MAPPING && !cairn_yaml_is_null(root)) {
        rc = cairn_yaml_error(doc, root, CAIRN_EPARSE, err,
                              "cairn.yaml must be a mapping of sections (catalog:, online:, "
                              "server:)");
        cairn_yaml_free(doc);
        return rc;
    }
    cairn_buf_init(&prefix, 0);
    if (root && (rc = flatten(&home->file, root, &prefix)))
        rc = cairn_error_set(err, rc, "reading %s", yaml_path);
    cairn_buf_release(&prefix);
    cairn_yaml_free(doc);
    return rc;
}

static int snapshot_env(setting_list *list, cairn_error *err)
{
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, "CAIRN_", 6) != 0 || !eq) continue;
        int rc = settings_add(list, cairn_strndup(*e, (size_t)(eq - *e)), cairn_strdup(eq + 1));
        if (rc) return cairn_error_set(err, rc, "reading the CAIRN_* environment");
    }
    return 0;
}

/* "catalog.url" -> "CAIRN_CATALOG_URL"; false when it does not fit. */
static bool env_name(const char *key, char *out, size_t cap)
{
    size_t n = strlen(key);
    if (n + 7 > cap) return false;
    memcpy(out, "CAIRN_", 6);
    for (size_t i = 0; i <= n; i++) {
        char c = key[i];
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        if (c == '.' || c == '-') c = '_';
        out[6 + i] = c;
    }
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Paths
 * ---------------------------------------------------------------------------------------- */

static int join(cairn_buf *out, const char *dir, const char *name)
{
    cairn_buf_reset(out);
    if (strcmp(dir, "/") == 0) return cairn_buf_printf(out, "/%s", name);
    return cairn_buf_printf(out, "%s/%s", dir, name);
}

/* dir without trailing slashes ("/" stays "/"); NULL on CAIRN_ENOMEM. */
static char *clean_dir(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return cairn_strndup(dir, n);
}

static int not_a_home(const char *dir, cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ENOTFOUND, "not a Cairn home: %s (run `cairn init`)", dir);
}

/* The catalog URL with a relative SQLite path made relative to the home. */
static int resolve_catalog_url(const char *home, const char *url, cairn_buf *out)
{
    size_t scheme = cairn__url_scheme_len(url);
    const char *path = url;
    cairn_buf_reset(out);
    if (scheme == 6 && strncmp(url, "sqlite", 6) == 0)
        path = url + 7;
    else if (scheme)
        return cairn_buf_puts(out, url); /* another backend: its URL is not a path */
    if (path[0] == '/' || path[0] == '\0' || strcmp(path, ":memory:") == 0)
        return cairn_buf_printf(out, "sqlite:%s", path);
    return cairn_buf_printf(out, "sqlite:%s/%s", home, path);
}

/* ------------------------------------------------------------------------------------------
 * Opening and closing
 * ---------------------------------------------------------------------------------------- */

static int open_into(cairn_home *home, cairn_error *err)
{
    cairn_buf path;
    cairn_buf_init(&path, 0);
    int rc = join(&path, home->path, "cairn.yaml");
    if (rc) {
        rc = cairn_error_set(err, rc, "opening home %s", home->path);
    } else if (!cairn_path_exists(home->path) || !cairn_path_exists(path.data)) {
        rc = not_a_home(home->path, err);
    } else if ((rc = read_config(home, path.data, err)) == 0 &&
               (rc = snapshot_env(&home->env, err)) == 0) {
        const char *url = cairn_home_setting(home, "catalog.url", DEFAULT_CATALOG_URL);
        if ((rc = resolve_catalog_url(home->path, url, &path)))
            rc = cairn_error_set(err, rc, "opening home %s", home->path);
        else if ((rc = cairn_catalog_open(path.data, &home->catalog, err)))
            cairn_error_prefix(err, "home %s: ", home->path);
    }
    cairn_buf_release(&path);
    return rc;
}

int cairn_home_open(const char *dir, cairn_home **out, cairn_error *err)
{
    if (!dir || !*dir || !out) return cairn_error_set(err, CAIRN_EINVAL, "no home directory given");
    cairn_home *home = cairn_calloc(1, sizeof *home);
    if (!home || !(home->path = clean_dir(dir))) {
        cairn_free(home);
        return cairn_error_set(err, CAIRN_ENOMEM, "opening home %s", dir);
    }
    int rc = open_into(home, err);
    if (rc) {
        cairn_home_close(home);
        return rc;
    }
    *out = home;
    return 0;
}

void cairn_home_close(cairn_home *home)
{
    if (!home) return;
    cairn_catalog_close(home->catalog);
    settings_release(&home->file);
    settings_release(&home->env);
    cairn_free(home->path);
    cairn_free(home);
}

const char *cairn_home_path(const cairn_home *home)
{
    return home->path;
}

cairn_catalog *cairn_home_catalog(const cairn_home *home)
{
    return home->catalog;
}

const char *cairn_home_setting(const cairn_home *home, const char *key, const char *fallback)
{
    char name[256];
    const char *value = NULL;
    if (env_name(key, name, sizeof name)) value = settings_find(&home->env, name);
    if (!value) value = settings_find(&home->file, key);
    return value ? value : fallback;
}

const char *cairn_home_default(const char *flag)
{
    if (flag && *flag) return flag;
    const char *env = getenv("CAIRN_HOME");
    return (env && *env) ? env : "./.cairn";
}

/* ------------------------------------------------------------------------------------------
 * Initialising
 * ---------------------------------------------------------------------------------------- */

static int make_layout(const char *dir, cairn_buf *path, cairn_error *err)
{
    int rc = cairn_mkdir_p(dir, 0755, err);
    for (size_t i = 0; rc == 0 && i < sizeof subdirs / sizeof subdirs[0]; i++) {
        if ((rc = join(path, dir, subdirs[i])))
            return cairn_error_set(err, rc, "initialising home %s", dir);
        rc = cairn_mkdir_p(path->data, 0755, err);
    }
    if (rc) return rc;
    if ((rc = join(path, dir, KEYS_DIR)))
        return cairn_error_set(err, rc, "initialising home %s", dir);
    if ((rc = cairn_mkdir_p(path->data, 0700, err))) return rc;
    /* Signing keys live here: tighten it even if it existed, or the umask was lax. */
    if (chmod(path->data, 0700) != 0)
        return cairn_error_set(err, CAIRN_EIO, "chmod 0700 %s: %s", path->data, strerror(errno));
    return 0;
}

static int init_into(const char *dir, cairn_buf *path, bool *fresh, cairn_error *err)
{
    int rc = make_layout(dir, path, err);
    if (rc) return rc;
    if ((rc = join(path, dir, "cairn.yaml")))
        return cairn_error_set(err, rc, "initialising home %s", dir);
    *fresh = !cairn_path_exists(path->data);
    if (*fresh &&
        (rc = cairn_file_write_atomic(path->data, default_yaml, sizeof default_yaml - 1, err)))
        return rc;
    cairn_home *home = NULL;
    if ((rc = cairn_home_open(dir, &home, err))) return rc; /* creates and migrates the catalog */
    cairn_home_close(home);
    return 0;
}

int cairn_home_init(const char *dir, bool *created, cairn_error *err)
{
    cairn_buf path;
    bool fresh = false;
    if (created) *created = false;
    if (!dir || !*dir) return cairn_error_set(err, CAIRN_EINVAL, "no home directory given");
    cairn_buf_init(&path, 0);
    int rc = init_into(dir, &path, &fresh, err);
    cairn_buf_release(&path);
    if (rc) return rc;
    if (created) *created = fresh;
    return 0;
}
