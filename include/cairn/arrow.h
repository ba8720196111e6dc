/* cairn/arrow.h: the Arrow C Data Interface, declared from the public specification
 * (arrow.apache.org/docs/format/CDataInterface.html), and conversions from and to tables.
 *
 * A table is exported as a struct array (format "+s") whose children are the columns, the
 * form Arrow uses for a record batch: bool "b", int32 "i", int64 "l", float32 "f", float64 "g",
 * string "U" (large utf8, int64 offsets), timestamp "tsu:UTC", date32 "tdD"; a dictionary
 * string column is int32 indices ("i") with a "U" dictionary. Export copies nothing it does not
 * have to: the exported buffers are owned by a private holder freed by the release callback.
 * Import takes ownership of the arrays (it calls their release callbacks when done) and
 * accepts the same formats plus "u" (utf8, int32 offsets), "s"/"c"/"C"/"S"/"I" integers,
 * "tsm"/"tsn"/"tss" timestamps with any zone, "tdm" (date64); anything else fails with
 * CAIRN_EUNSUPPORTED naming the column and its format.
 */
#ifndef CAIRN_ARROW_H
#define CAIRN_ARROW_H

#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

/* Exports a copy of the table's data; the caller releases both structs with their release
 * callbacks. On failure nothing needs releasing. */
int cairn_table_export_arrow(const cairn_table *table, struct ArrowSchema *schema,
                             struct ArrowArray *array, cairn_error *err);
/* Imports a struct array; takes ownership of both (released even on failure). */
int cairn_table_import_arrow(struct ArrowSchema *schema, struct ArrowArray *array,
                             cairn_table **out, cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_ARROW_H */
