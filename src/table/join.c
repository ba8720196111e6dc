/* join.c: hash join of two tables on equal keys (inner and left).
 *
 * Build: an open-addressing table (linear probing, load <= 1/2) holds one slot per
 * distinct right key, with the key's hash and the first right row having it; the other
 * rows with that key hang off it in `next`, a chain through right row numbers. Building
 * walks the right rows backwards and prepends, so each chain lists its rows in right order.
 * Probe: left rows in order look their key up and emit one (left, right) pair per chain
 * entry, or (left, -1) in a left join when nothing matches. The output is then gathered
 * with cairn__column_take: every left column, then the right's non-key columns (renamed
 * with "_right" on a clash; nullable in a left join).
 * A key with a null (or NaN) part never matches anything; key values hash and compare as
 * src/table/keys.c says (an INT32 key joins an INT64 key). Tests: tests/unit/table/test_join.c.
 */
#include <math.h>
#include <string.h>

#include "table_internal.h"

typedef struct join_keys {
    const cairn_column **left, **right;
    size_t n;
} join_keys;

typedef struct pair_list {
    int64_t *left, *right;
    size_t count, cap_left, cap_right;
} pair_list;

typedef struct hash_table {
    int64_t *heads;   /* first right row of the slot's key; -1 = empty */
    uint64_t *hashes; /* the key's hash, to skip most full comparisons */
    int64_t *next;    /* per right row: the next row with the same key, or -1 */
    size_t mask;
} hash_table;

/* ------------------------------------------------------------------------------------------
 * Key values
 * ---------------------------------------------------------------------------------------- */

static bool keys_equal(const join_keys *keys, int64_t left_row, int64_t right_row)
{
    for (size_t k = 0; k < keys->n; k++)
        if (!cairn__key_part_equal(keys->left[k], left_row, keys->right[k], right_row)) return false;
    return true;
}

static bool right_keys_equal(const join_keys *keys, int64_t a, int64_t b)
{
    for (size_t k = 0; k < keys->n; k++)
        if (!cairn__key_part_equal(keys->right[k], a, keys->right[k], b)) return false;
    return true;
}

/* ------------------------------------------------------------------------------------------
 * The hash table on the right side
 * ---------------------------------------------------------------------------------------- */

static void hash_table_release(hash_table *ht)
{
    cairn_free(ht->heads);
    cairn_free(ht->hashes);
    cairn_free(ht->next);
}

static int hash_table_build(hash_table *ht, const join_keys *keys, int64_t rows)
{
    size_t slots = 16;
    while (slots < (size_t)rows * 2)
        slots *= 2;
    ht->mask = slots - 1;
    ht->heads = cairn_malloc(slots * sizeof *ht->heads);
    ht->hashes = cairn_malloc(slots * sizeof *ht->hashes);
    ht->next = cairn_malloc((size_t)(rows ? rows : 1) * sizeof *ht->next);
    if (!ht->heads || !ht->hashes || !ht->next) return CAIRN_ENOMEM;
    for (size_t i = 0; i < slots; i++)
        ht->heads[i] = -1;
    for (int64_t row = rows - 1; row >= 0; row--) {
        ht->next[row] = -1;
        if (!cairn__key_usable(keys->right, keys->n, row)) continue;
        uint64_t h = cairn__key_hash(keys->right, keys->n, row);
        size_t i = (size_t)h & ht->mask;
        while (ht->heads[i] >= 0 &&
               !(ht->hashes[i] == h && right_keys_equal(keys, ht->heads[i], row)))
            i = (i + 1) & ht->mask;
        ht->next[row] = ht->heads[i];
        ht->heads[i] = row;
        ht->hashes[i] = h;
    }
    return 0;
}

/* The first right row whose key equals the left row's, or -1. */
static int64_t hash_table_find(const hash_table *ht, const join_keys *keys, int64_t left_row)
{
    uint64_t h = cairn__key_hash(keys->left, keys->n, left_row);
    for (size_t i = (size_t)h & ht->mask; ht->heads[i] >= 0; i = (i + 1) & ht->mask)
        if (ht->hashes[i] == h && keys_equal(keys, left_row, ht->heads[i])) return ht->heads[i];
    return -1;
}

/* ------------------------------------------------------------------------------------------
 * Probing
 * ---------------------------------------------------------------------------------------- */

static int emit(pair_list *pairs, int64_t left_row, int64_t right_row)
{
    void *l = pairs->left, *r = pairs->right;
    int rc = cairn_grow(&l, &pairs->cap_left, pairs->count + 1, sizeof(int64_t));
    pairs->left = l;
    if (rc == 0) rc = cairn_grow(&r, &pairs->cap_right, pairs->count + 1, sizeof(int64_t));
    pairs->right = r;
    if (rc) return rc;
    pairs->left[pairs->count] = left_row;
    pairs->right[pairs->count++] = right_row;
    return 0;
}

static int probe(const hash_table *ht, const join_keys *keys, int64_t left_rows,
                 cairn_join_kind kind, pair_list *pairs)
{
    int rc = 0;
    for (int64_t row = 0; row < left_rows && rc == 0; row++) {
        int64_t match = -1;
        if (cairn__key_usable(keys->left, keys->n, row)) match = hash_table_find(ht, keys, row);
        if (match < 0 && kind == CAIRN_JOIN_LEFT) rc = emit(pairs, row, -1);
        for (; match >= 0 && rc == 0; match = ht->next[match])
            rc = emit(pairs, row, match);
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Output
 * ---------------------------------------------------------------------------------------- */

static bool is_right_key(const join_keys *keys, const cairn_column *c)
{
    for (size_t k = 0; k < keys->n; k++)
        if (keys->right[k] == c) return true;
    return false;
}

/* Renames a right column that clashes: name_right, then name_right2, name_right3, ... */
static int rename_clash(const cairn_table *out, cairn_column *c)
{
    if (cairn_table_find(out, c->name) < 0) return 0;
    cairn_buf name;
    cairn_buf_init(&name, 0);
    int rc = 0;
    for (int n = 1; rc == 0; n++) {
        cairn_buf_reset(&name);
        rc = n == 1 ? cairn_buf_printf(&name, "%s_right", c->name)
                    : cairn_buf_printf(&name, "%s_right%d", c->name, n);
        if (rc == 0 && cairn_table_find(out, name.data) < 0) break;
    }
    char *owned = rc == 0 ? cairn_buf_detach(&name, NULL) : NULL;
    cairn_buf_release(&name);
    if (!owned) return rc ? rc : CAIRN_ENOMEM;
    cairn_free(c->name);
    c->name = owned;
    return 0;
}

static int add_taken(cairn_table *out, const cairn_column *src, const int64_t *rows, size_t count,
                     bool rename, bool nullable)
{
    cairn_column *c = NULL;
    int rc = cairn__column_take(src, rows, (int64_t)count, &c);
    if (rc) return rc;
    c->nullable = c->nullable || nullable;
    if (rename && (rc = rename_clash(out, c)) != 0) {
        cairn_column_free(c);
        return rc;
    }
    return cairn_table_adopt_column(out, c, NULL);
}

static int build_output(const cairn_table *left, const cairn_table *right, const join_keys *keys,
                        const pair_list *pairs, cairn_join_kind kind, cairn_table **out)
{
    cairn_table *t = NULL;
    int rc = cairn_table_create(&t);
    for (size_t i = 0; rc == 0 && i < cairn_table_num_columns(left); i++)
        rc = add_taken(t, cairn_table_column(left, i), pairs->left, pairs->count, false, false);
    for (size_t i = 0; rc == 0 && i < cairn_table_num_columns(right); i++) {
        const cairn_column *c = cairn_table_column(right, i);
        if (!is_right_key(keys, c))
            rc = add_taken(t, c, pairs->right, pairs->count, true, kind == CAIRN_JOIN_LEFT);
    }
    if (rc) {
        cairn_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

static bool types_joinable(cairn_type a, cairn_type b)
{
    bool a_int = a == CAIRN_TYPE_INT32 || a == CAIRN_TYPE_INT64;
    bool b_int = b == CAIRN_TYPE_INT32 || b == CAIRN_TYPE_INT64;
    return a == b || (a_int && b_int);
}

static int resolve_side(const cairn_table *table, const char *const *names, size_t n,
                        const char *side, const cairn_column **cols, cairn_error *err)
{
    for (size_t k = 0; k < n; k++) {
        cols[k] = names[k] ? cairn_table_column_by_name(table, names[k]) : NULL;
        if (!cols[k]) {
            cairn_error_set(err, CAIRN_ENOTFOUND, "no column named '%s' in the %s table",
                            names[k] ? names[k] : "(null)", side);
            cairn_error_field(err, names[k] ? names[k] : "");
            return CAIRN_ENOTFOUND;
        }
    }
    return 0;
}

static int resolve_keys(const cairn_table *left, const cairn_table *right,
                        const char *const *left_keys, const char *const *right_keys,
                        join_keys *keys, cairn_error *err)
{
    int rc = resolve_side(left, left_keys, keys->n, "left", keys->left, err);
    if (rc == 0) rc = resolve_side(right, right_keys, keys->n, "right", keys->right, err);
    for (size_t k = 0; rc == 0 && k < keys->n; k++) {
        cairn_type lt = keys->left[k]->type, rt = keys->right[k]->type;
        if (types_joinable(lt, rt)) continue;
        rc = cairn_error_set(err, CAIRN_ETYPE, "join key '%s' is %s but '%s' is %s", left_keys[k],
                             cairn_type_name(lt), right_keys[k], cairn_type_name(rt));
        cairn_error_field(err, right_keys[k]);
        cairn_error_expect(err, cairn_type_name(lt), cairn_type_name(rt),
                           strlen(cairn_type_name(rt)));
    }
    return rc;
}

int cairn_table_hash_join(const cairn_table *left, const cairn_table *right,
                          const char *const *left_keys, const char *const *right_keys, size_t nkeys,
                          cairn_join_kind kind, cairn_table **out, cairn_error *err)
{
    if (nkeys == 0) return cairn_error_set(err, CAIRN_EINVAL, "a join needs at least one key");
    if (kind != CAIRN_JOIN_INNER && kind != CAIRN_JOIN_LEFT)
        return cairn_error_set(err, CAIRN_EINVAL, "unknown join kind %d", (int)kind);
    join_keys keys = {cairn_calloc(nkeys, sizeof *keys.left),
                      cairn_calloc(nkeys, sizeof *keys.right), nkeys};
    hash_table ht = {0};
    pair_list pairs = {0};
    int rc = keys.left && keys.right ? 0 : CAIRN_ENOMEM;
    if (rc == 0 && (rc = resolve_keys(left, right, left_keys, right_keys, &keys, err)) == 0) {
        rc = hash_table_build(&ht, &keys, cairn_table_num_rows(right));
        if (rc == 0) rc = probe(&ht, &keys, cairn_table_num_rows(left), kind, &pairs);
        if (rc == 0) rc = build_output(left, right, &keys, &pairs, kind, out);
        if (rc) cairn_error_set(err, rc, "joining: %s", cairn_strerror(rc));
    } else if (rc == CAIRN_ENOMEM) {
        cairn_error_set(err, rc, "joining: %s", cairn_strerror(rc));
    }
    hash_table_release(&ht);
    cairn_free(pairs.left);
    cairn_free(pairs.right);
    cairn_free((void *)keys.left);
    cairn_free((void *)keys.right);
    return rc;
}
