/* cairn/core.h: the foundation every other part of Cairn stands on.
 *
 * Errors, the allocator hook, arenas, the growable buffer, logging, hashing, time, the
 * thread pool and progress reporting. JSON and YAML helpers are in json.h and yaml.h.
 *
 * Design notes
 * - A fallible call returns int: 0 on success, a negative CAIRN_E* code otherwise. Results go
 *   out through trailing pointer parameters and nothing half-built is ever returned.
 * - Detailed errors travel in a caller-owned cairn_error (fixed-size, so reporting never
 *   allocates and works even after CAIRN_ENOMEM). Every `cairn_error *err` parameter may be
 *   NULL when the caller wants only the code.
 * - All heap memory goes through cairn_malloc & co, which call the installed allocator, so
 *   tests can count allocations and fail the N-th one (see cairn_testalloc_*).
 * - Time is int64 UTC microseconds since the Unix epoch everywhere inside Cairn.
 */
#ifndef CAIRN_CORE_H
#define CAIRN_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CAIRN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define CAIRN_NODISCARD __attribute__((warn_unused_result))
#else
#define CAIRN_PRINTF(fmt, args)
#define CAIRN_NODISCARD
#endif

/* ------------------------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------------------- */

enum {
    CAIRN_OK = 0,
    CAIRN_EINVAL = -1,       /* invalid argument or usage */
    CAIRN_EPARSE = -2,       /* malformed input text or bytes */
    CAIRN_ETYPE = -3,        /* a value does not have the expected type */
    CAIRN_ERANGE = -4,       /* a value is out of range */
    CAIRN_ENOTFOUND = -5,    /* a named thing does not exist */
    CAIRN_EEXIST = -6,       /* a thing that must be new already exists */
    CAIRN_EUNSUPPORTED = -7, /* valid, but not supported by this build */
    CAIRN_ECONFLICT = -8,    /* incompatible with stored state */
    CAIRN_ECORRUPT = -9,     /* stored data failed an integrity check */
    CAIRN_EIO = -10,         /* the operating system refused (open, read, write, fsync, ...) */
    CAIRN_ENOMEM = -11,      /* an allocation failed */
    CAIRN_ELIMIT = -12,      /* a configured size limit was reached */
    CAIRN_ECATALOG = -13,    /* the catalog backend failed */
    CAIRN_EINTERNAL = -14,   /* a bug in Cairn */
    CAIRN_ECANCELED = -15,   /* the caller asked to stop */
};
#define CAIRN_ERROR_CODE_MIN (-15)

/* A static, one-line description of a code; never NULL. */
const char *cairn_strerror(int code);
/* The short symbolic name of a code, e.g. "EPARSE". */
const char *cairn_errname(int code);
/* True for failures of the environment or of Cairn itself (CLI exit 2), false for bad input
 * or usage (CLI exit 1). */
bool cairn_error_is_internal(int code);

/* A detailed error. Fields that do not apply are 0 (numbers) or "" (strings). */
typedef struct cairn_error {
    int code;           /* CAIRN_E*, 0 when no error */
    int64_t line;       /* 1-based line (text inputs), 0 = not applicable */
    int64_t column;     /* 1-based column: a field number in CSV, a character in JSON/YAML */
    int64_t row;        /* 0-based data row, -1 = not applicable */
    int64_t offset;     /* byte offset in the input, -1 = not applicable */
    char file[256];     /* path or name of the input */
    char field[128];    /* field, column or key name */
    char expected[128]; /* what was expected, e.g. "int64" */
    char found[128];    /* what was found, e.g. "'12x'" (quoted and truncated) */
    char message[512];  /* the reason, a sentence without location */
} cairn_error;

/* Resets every field (code 0, numbers 0 or -1, strings ""). */
void cairn_error_clear(cairn_error *err);
/* Sets code and message (printf-style) and returns code, so that `return cairn_error_set(...)`
 * reads naturally. Location fields are left as they are. err may be NULL. */
int cairn_error_set(cairn_error *err, int code, const char *fmt, ...) CAIRN_PRINTF(3, 4);
int cairn_error_setv(cairn_error *err, int code, const char *fmt, va_list ap)
    CAIRN_PRINTF(3, 0);
/* Location setters; each returns err->code. Strings are truncated to fit. */
void cairn_error_at(cairn_error *err, const char *file, int64_t line, int64_t column);
void cairn_error_field(cairn_error *err, const char *field);
void cairn_error_expect(cairn_error *err, const char *expected, const char *found,
                        size_t found_len);
/* Prefixes the message with context, e.g. "reading catalog: " + message. */
void cairn_error_prefix(cairn_error *err, const char *fmt, ...) CAIRN_PRINTF(2, 3);
/* Renders "file:line:column: message (field 'f': expected E, found F)" into out (always
 * NUL-terminated). Absent parts are left out. Returns the length it wanted to write. */
size_t cairn_error_format(const cairn_error *err, char *out, size_t cap);

/* ------------------------------------------------------------------------------------------
 * Memory: the allocator hook, the test allocator
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_allocator {
    void *(*malloc_fn)(void *ud, size_t size);
    void *(*realloc_fn)(void *ud, void *ptr, size_t size);
    void (*free_fn)(void *ud, void *ptr);
    void *ud;
} cairn_allocator;

/* Installs an allocator for all of Cairn (NULL restores the C library's). Call it before
 * any other Cairn function, or between uses when no Cairn memory is live. The table is
 * copied. Also routes jansson's allocations through the hook. */
void cairn_set_allocator(const cairn_allocator *allocator);

void *cairn_malloc(size_t size);
void *cairn_calloc(size_t count, size_t size); /* NULL on overflow */
void *cairn_realloc(void *ptr, size_t size);
void cairn_free(void *ptr);
char *cairn_strdup(const char *s);
char *cairn_strndup(const char *s, size_t n);
/* Grows *ptr to hold at least `need` elements of `elem` bytes, doubling; updates *cap.
 * Returns 0 or CAIRN_ENOMEM (then *ptr and *cap are unchanged). */
int cairn_grow(void **ptr, size_t *cap, size_t need, size_t elem);

/* The test allocator: counts allocations and live bytes, and fails the N-th allocation
 * (1-based; 0 disables) and, when `fail_after` is set, every allocation after it too.
 * Thread-safe. Install it with cairn_testalloc_install(). */
void cairn_testalloc_install(void);
void cairn_testalloc_uninstall(void);
void cairn_testalloc_fail_at(int64_t nth, bool fail_after);
int64_t cairn_testalloc_count(void);      /* allocations attempted since reset */
int64_t cairn_testalloc_live_blocks(void);
int64_t cairn_testalloc_live_bytes(void);
int64_t cairn_testalloc_failures(void);   /* allocations refused since reset */
void cairn_testalloc_reset_counts(void);

/* A crash point between durable steps: with CAIRN_CRASHPOINT=N in the environment, the N-th
 * call kills the process (SIGKILL); with CAIRN_CRASHPOINT_TRACE set, each call prints
 * "crashpoint <n> <where>" to stderr. A no-op otherwise (src/core/crash.c). */
void cairn_crashpoint(const char *where);

/* ------------------------------------------------------------------------------------------
 * Arena: bump allocation freed all at once (request- and job-scoped memory)
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_arena_block cairn_arena_block;
typedef struct cairn_arena {
    cairn_arena_block *head; /* current block, newest first */
    size_t block_size;       /* default size of new blocks */
    size_t bytes_used;       /* total handed out, for reporting */
} cairn_arena;

void cairn_arena_init(cairn_arena *arena, size_t block_size); /* 0 = 64 KiB */
/* 16-byte aligned memory valid until reset or release; NULL on CAIRN_ENOMEM. */
void *cairn_arena_alloc(cairn_arena *arena, size_t size);
void *cairn_arena_calloc(cairn_arena *arena, size_t count, size_t size);
char *cairn_arena_strndup(cairn_arena *arena, const char *s, size_t n);
char *cairn_arena_strdup(cairn_arena *arena, const char *s);
/* Frees all blocks but the first, which is kept for reuse. */
void cairn_arena_reset(cairn_arena *arena);
void cairn_arena_release(cairn_arena *arena);

/* ------------------------------------------------------------------------------------------
 * Growable buffer
 *
 * Invariants: data is never NULL (it points at a static "" while nothing is allocated),
 * data[len] == '\0' always, len <= cap, and len never exceeds max (0 = no cap): an append
 * that would pass max fails with CAIRN_ELIMIT and leaves the buffer unchanged.
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_buf {
    char *data;
    size_t len;
    size_t cap; /* allocated bytes not counting the terminator; 0 = static "" */
    size_t max; /* size cap in bytes; 0 = none */
} cairn_buf;

void cairn_buf_init(cairn_buf *buf, size_t max);
void cairn_buf_release(cairn_buf *buf);
void cairn_buf_reset(cairn_buf *buf); /* len = 0, memory kept */
int cairn_buf_reserve(cairn_buf *buf, size_t extra);
int cairn_buf_append(cairn_buf *buf, const void *data, size_t len);
int cairn_buf_puts(cairn_buf *buf, const char *s);
int cairn_buf_putc(cairn_buf *buf, char c);
int cairn_buf_printf(cairn_buf *buf, const char *fmt, ...) CAIRN_PRINTF(2, 3);
int cairn_buf_vprintf(cairn_buf *buf, const char *fmt, va_list ap) CAIRN_PRINTF(2, 0);
/* Hands the heap string to the caller (free with cairn_free) and resets buf. Never NULL
 * unless allocation fails. */
char *cairn_buf_detach(cairn_buf *buf, size_t *len);

/* ------------------------------------------------------------------------------------------
 * Files
 * ---------------------------------------------------------------------------------------- */

/* Reads a whole file into a buffer (NUL-terminated). max_bytes 0 = no limit. */
int cairn_file_read(const char *path, cairn_buf *out, size_t max_bytes, cairn_error *err);
/* Writes atomically: a temporary file in the same directory, fsync, rename, fsync of the
 * directory. A crash leaves either the old file or the new one under `path`. */
int cairn_file_write_atomic(const char *path, const void *data, size_t len, cairn_error *err);
/* Creates a directory and its parents (mode 0755, or `mode`). Existing is not an error. */
int cairn_mkdir_p(const char *path, unsigned mode, cairn_error *err);
bool cairn_path_exists(const char *path);
/* A read-only view of a file (mmap; a heap copy where mmap is not possible). */
typedef struct cairn_mapped {
    const char *data;
    size_t len;
    void *priv_;
    int kind_;
} cairn_mapped;
int cairn_file_map(const char *path, cairn_mapped *out, cairn_error *err);
void cairn_file_unmap(cairn_mapped *map);

/* ------------------------------------------------------------------------------------------
 * Logging: leveled, to stderr by default, optionally as JSON lines
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_log_level {
    CAIRN_LOG_DEBUG = 0,
    CAIRN_LOG_INFO = 1,
    CAIRN_LOG_WARN = 2,
    CAIRN_LOG_ERROR = 3,
    CAIRN_LOG_OFF = 4,
} cairn_log_level;

void cairn_log_set_level(cairn_log_level level);
cairn_log_level cairn_log_get_level(void);
void cairn_log_set_json(bool json); /* {"ts":"...","level":"info","msg":"..."} per line */
void cairn_log_set_stream(FILE *stream); /* borrowed; NULL = stderr */
int cairn_log_level_parse(const char *s, cairn_log_level *out);
void cairn_log(cairn_log_level level, const char *fmt, ...) CAIRN_PRINTF(2, 3);

#define CAIRN_DEBUG(...) cairn_log(CAIRN_LOG_DEBUG, __VA_ARGS__)
#define CAIRN_INFO(...) cairn_log(CAIRN_LOG_INFO, __VA_ARGS__)
#define CAIRN_WARN(...) cairn_log(CAIRN_LOG_WARN, __VA_ARGS__)
#define CAIRN_ERROR(...) cairn_log(CAIRN_LOG_ERROR, __VA_ARGS__)

/* ------------------------------------------------------------------------------------------
 * Hashing: SHA-256 (content addresses) and a fast non-cryptographic 64-bit hash (XXH3)
 * ---------------------------------------------------------------------------------------- */

#define CAIRN_SHA256_LEN 32
#define CAIRN_SHA256_HEX_LEN 64

typedef struct cairn_sha256 {
    _Alignas(16) unsigned char state_[128]; /* libsodium's crypto_hash_sha256_state */
} cairn_sha256;

void cairn_sha256_init(cairn_sha256 *ctx);
void cairn_sha256_update(cairn_sha256 *ctx, const void *data, size_t len);
void cairn_sha256_final(cairn_sha256 *ctx, uint8_t out[CAIRN_SHA256_LEN]);
void cairn_sha256_digest(const void *data, size_t len, uint8_t out[CAIRN_SHA256_LEN]);
int cairn_sha256_file(const char *path, uint8_t out[CAIRN_SHA256_LEN], cairn_error *err);
/* Lower-case hex of n bytes into out, which must hold 2n + 1 bytes. */
void cairn_hex_encode(const uint8_t *in, size_t n, char *out);
/* Parses exactly 2n hex digits; returns CAIRN_EPARSE on anything else. */
int cairn_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t n);

uint64_t cairn_hash64(const void *data, size_t len, uint64_t seed);
static inline uint64_t cairn_hash_u64(uint64_t x)
{ /* a strong 64-bit mixer (splitmix64 finalizer) for integer keys */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* ------------------------------------------------------------------------------------------
 * Time: UTC microseconds since the epoch; ISO-8601 at the edges; durations like 90s, 7d
 * ---------------------------------------------------------------------------------------- */

#define CAIRN_US_PER_SECOND INT64_C(1000000)
#define CAIRN_US_PER_DAY INT64_C(86400000000)

/* Parses an ISO-8601 date or date-time: "2001-05-01", "2001-05-01T00:00:00Z",
 * "2001-05-01 00:00:00", fractions up to nanoseconds (truncated to microseconds), offsets
 * "Z", "+02:00", "-0530". A time without an offset is taken as UTC. The whole input must be
 * consumed. Returns CAIRN_EPARSE (with err->message saying which part) on anything else. */
int cairn_time_parse(const char *s, size_t len, int64_t *out_us, cairn_error *err);
/* Parses "YYYY-MM-DD" only, into days since the epoch. */
int cairn_date_parse(const char *s, size_t len, int32_t *out_days, cairn_error *err);
/* Formats as "2001-05-01T00:00:00Z", with ".ffffff" only when there are microseconds.
 * out needs CAIRN_TIME_FMT_LEN bytes. Returns the length written. */
#define CAIRN_TIME_FMT_LEN 40
size_t cairn_time_format(int64_t us, char *out, size_t cap);
size_t cairn_date_format(int32_t days, char *out, size_t cap); /* "2001-05-01" */
/* Civil calendar conversions (proleptic Gregorian). */
int64_t cairn_days_from_civil(int64_t year, unsigned month, unsigned day);
void cairn_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);
/* Durations: one or more <number><unit> parts, units us, ms, s, m, h, d, w ("90s", "1h30m",
 * "7d"). Negative durations are refused. */
int cairn_duration_parse(const char *s, size_t len, int64_t *out_us, cairn_error *err);
size_t cairn_duration_format(int64_t us, char *out, size_t cap); /* largest exact units */
int64_t cairn_now_us(void);       /* wall clock, UTC */
int64_t cairn_monotonic_ns(void); /* for measuring intervals */

/* ------------------------------------------------------------------------------------------
 * Thread pool: parallel-for over task indices; the caller's thread takes part
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_pool cairn_pool;
typedef void (*cairn_task_fn)(void *arg, size_t index);

/* threads 0 = one per online core. */
int cairn_pool_create(int threads, cairn_pool **out);
void cairn_pool_free(cairn_pool *pool);
int cairn_pool_threads(const cairn_pool *pool);
/* Runs fn(arg, i) for i in [0, count) on the pool and returns when all are done. Tasks are
 * handed out dynamically, so uneven tasks balance. Not reentrant from inside a task (a
 * nested call runs its tasks inline). */
void cairn_pool_run(cairn_pool *pool, size_t count, cairn_task_fn fn, void *arg);
/* The process-wide pool (created on first use, sized to the cores; NULL if that fails, in
 * which case callers run inline). Freed at exit. */
cairn_pool *cairn_pool_default(void);
int cairn_cpu_count(void);

/* ------------------------------------------------------------------------------------------
 * Progress: one callback type for long jobs; the CLI renders it
 * ---------------------------------------------------------------------------------------- */

/* done/total in the job's own unit (bytes, rows, files); total 0 = unknown. Return false to
 * ask the job to stop (it then fails with CAIRN_ECANCELED). Called from the job's thread. */
typedef bool (*cairn_progress_fn)(void *ud, const char *stage, int64_t done, int64_t total);

/* ------------------------------------------------------------------------------------------
 * Seeded random numbers: xoshiro256** seeded through splitmix64. Same seed, same sequence, on
 * every platform: splits, bootstrap resamples, search trials and k-means++ rely on it.
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_rng {
    uint64_t s[4];
} cairn_rng;

void cairn_rng_seed(cairn_rng *r, uint64_t seed);
/* A seed derived from a base seed and a stream number (trial i, fold k, bootstrap b), so that
 * independent streams do not depend on the order they are drawn in. */
uint64_t cairn_rng_derive(uint64_t seed, uint64_t stream);
uint64_t cairn_rng_next(cairn_rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t cairn_rng_below(cairn_rng *r, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double cairn_rng_uniform(cairn_rng *r);
/* Standard normal (Box-Muller; one value per call). */
double cairn_rng_normal(cairn_rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void cairn_rng_shuffle(cairn_rng *r, int64_t *idx, size_t n);

/* ------------------------------------------------------------------------------------------
 * Version
 * ---------------------------------------------------------------------------------------- */

const char *cairn_version(void);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_CORE_H */
