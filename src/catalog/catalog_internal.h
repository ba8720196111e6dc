/* src/catalog/catalog_internal.h: catalog internals shared between src/catalog/ files and
 * the unit tests (private).
 *
 * Migrations: a numbered list (migrations.c) applied in order by the runner in catalog.c.
 * Each migration is an array of portable SQL statements (BIGINT, TEXT, DOUBLE PRECISION,
 * no AUTOINCREMENT or backend-only syntax), optionally followed by a C hook that runs in
 * the same transaction (e.g. to insert a random id). Versions are strictly increasing;
 * once released, a migration is never edited, only followed by a new one.
 *
 * Tests: tests/unit/catalog/test_migrations.c.
 */
#ifndef CAIRN_CATALOG_INTERNAL_H
#define CAIRN_CATALOG_INTERNAL_H

#include "cairn/catalog.h"

typedef struct cairn__migration {
    int64_t version;               /* > 0, strictly increasing along a list */
    const char *name;              /* short, e.g. "core" */
    const char *const *statements; /* NULL-terminated; each is one statement */
    /* Runs after the statements, inside the same transaction; NULL for none. */
    int (*apply)(cairn_catalog *catalog, cairn_error *err);
} cairn__migration;

/* The built-in list (static storage), *count entries. */
const cairn__migration *cairn__catalog_migrations(size_t *count);

/* Applies every migration of `list` newer than the catalog's applied version, each in its
 * own exclusive transaction together with its row in cairn_migrations. Fails with
 * CAIRN_ECONFLICT when the catalog is newer than the list's last version, CAIRN_EINVAL when
 * the list is not strictly increasing, and with the failing migration's number, name and
 * backend message otherwise (that migration is rolled back entirely; earlier ones stay). */
int cairn__catalog_migrate_list(cairn_catalog *catalog, const cairn__migration *list, size_t count,
                                cairn_error *err);

/* Opens a catalog without applying any migration (tests and tools). */
int cairn__catalog_open_raw(const char *url, cairn_catalog **out, cairn_error *err);

/* The highest version recorded in cairn_migrations; 0 when there is none. */
int cairn__catalog_applied_version(cairn_catalog *catalog, int64_t *out, cairn_error *err);

/* Length of the URL scheme before ':' ("sqlite:x" -> 6), 0 when url has none. A scheme is
 * a letter followed by letters, digits, '+', '-' or '.', at least two characters long. */
size_t cairn__url_scheme_len(const char *url);

#endif /* CAIRN_CATALOG_INTERNAL_H */
