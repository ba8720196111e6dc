#include "testutil.h"

/* tests/unit/table/test_parquet_encoding.c: Parquet's encodings (src/table/parquet_encoding.c)
 * against the examples of Encodings.md, hand-computed bytes and a small reference encoder
 * written here (bit packing, DELTA_BINARY_PACKED); truncated inputs must fail with
 * CAIRN_ECORRUPT. Also the page codecs (src/table/parquet_codec.c): round trips, wrong
 * sizes, names. */

#include <stdlib.h>
#include <string.h>

#include "table/parquet_encoding.h"
#include "table/parquet_internal.h"
#include "table/table_internal.h"

/* ------------------------------------------------------------------------------------------
 * A reference encoder, as simple as possible
 * ---------------------------------------------------------------------------------------- */

static void put_byte(cairn_buf *b, uint8_t v)
{
    assert_int_equal(cairn_buf_append(b, &v, 1), 0);
}

static void put_uleb(cairn_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        put_byte(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    put_byte(b, (uint8_t)v);
}

static void put_zigzag(cairn_buf *b, int64_t v)
{
    put_uleb(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* count values of `width` bits, least significant bit first, padded to a whole byte. */
static void put_packed(cairn_buf *b, const uint64_t *v, size_t count, int width)
{
    size_t bits = count * (size_t)width, bytes = (bits + 7) / 8;
    uint8_t *out = calloc(bytes + 1, 1);
    for (size_t i = 0; i < count; i++)
        for (int k = 0; k < width; k++)
            if ((v[i] >> k) & 1) out[(i * (size_t)width + (size_t)k) / 8] |= (uint8_t)(1u << ((i * (size_t)width + (size_t)k) % 8));
    assert_int_equal(cairn_buf_append(b, out, bytes), 0);
    free(out);
}

static int bit_width(uint64_t v)
{
    int w = 0;
    while (v) {
        w++;
        v >>= 1;
    }
    return w;
}

/* DELTA_BINARY_PACKED with blocks of 128 values in 4 miniblocks. */
static void put_delta(cairn_buf *b, const int64_t *v, size_t n)
{
    put_uleb(b, 128);
    put_uleb(b, 4);
    put_uleb(b, n);
    put_zigzag(b, n ? v[0] : 0);
    for (size_t i = 1; i < n; i += 128) {
        size_t m = n - i < 128 ? n - i : 128;
        uint64_t d[128] = {0}, min = UINT64_MAX;
        for (size_t j = 0; j < m; j++) {
            d[j] = (uint64_t)v[i + j] - (uint64_t)v[i + j - 1];
            if ((int64_t)d[j] < (int64_t)min || j == 0) min = d[j];
        }
        uint8_t widths[4] = {0};
        for (size_t j = 0; j < m; j++) {
            d[j] -= min;
            int w = bit_width(d[j]);
            if (w > widths[j / 32]) widths[j / 32] = (uint8_t)w;
        }
        put_zigzag(b, (int64_t)min);
        for (int k = 0; k < 4; k++) put_byte(b, widths[k]);
        for (size_t k = 0; k * 32 < m; k++) put_packed(b, d + k * 32, 32, widths[k]);
    }
}

/* ------------------------------------------------------------------------------------------
 * RLE / bit-packing hybrid
 * ---------------------------------------------------------------------------------------- */

static void test_rle_spec_example(void **state)
{
    (void)state;
    /* Encodings.md: 0..7 at width 3 bit-pack to 10001000 11000110 11111010 */
    const uint8_t data[] = {0x03, 0x88, 0xC6, 0xFA};
    uint32_t out[8];
    cairn_error err;
    CAIRN_ASSERT_OK(cairn__pq_rle_decode(data, sizeof data, 3, out, 8, &err), &err);
    for (uint32_t i = 0; i < 8; i++) assert_int_equal(out[i], i);
    /* an RLE run of five 7s, then a bit-packed group, then a run of 300 (width 9) */
    const uint8_t mixed[] = {0x0a, 0x07, 0x03, 0x88, 0xC6, 0xFA};
    uint32_t m[13];
    CAIRN_ASSERT_OK(cairn__pq_rle_decode(mixed, sizeof mixed, 3, m, 13, &err), &err);
    for (int i = 0; i < 5; i++) assert_int_equal(m[i], 7);
    for (uint32_t i = 0; i < 8; i++) assert_int_equal(m[5 + i], i);
    const uint8_t wide[] = {0x8a, 0x01, 0x2c, 0x01}; /* run of 69, value 300 */
    uint32_t w[69];
    CAIRN_ASSERT_OK(cairn__pq_rle_decode(wide, sizeof wide, 9, w, 69, &err), &err);
    assert_int_equal(w[68], 300);
}

static void test_rle_widths(void **state)
{
    (void)state;
    srand(3);
    for (int width = 0; width <= 32; width++) {
        size_t n = 1000 + (size_t)width * 8; /* packed in groups of 8 */
        uint64_t *v = calloc(n, sizeof *v);
        for (size_t i = 0; i < n; i++) {
            uint64_t r = ((uint64_t)rand() << 31) ^ (uint64_t)rand();
            v[i] = width == 0 ? 0 : r & ((UINT64_C(1) << width) - 1);
        }
        cairn_buf b;
        cairn_buf_init(&b, 0);
        put_uleb(&b, (n / 8) << 1 | 1);
        put_packed(&b, v, n, width);
        uint32_t *out = calloc(n, sizeof *out);
        cairn_error err;
        size_t take = n - 5; /* fewer than packed: the rest is padding to the reader */
        CAIRN_ASSERT_OK(cairn__pq_rle_decode((const uint8_t *)b.data, b.len, width, out, (int64_t)take, &err), &err);
        for (size_t i = 0; i < take; i++)
            if (out[i] != v[i]) fail_msg("width %d value %zu: %u != %llu", width, i, out[i], (unsigned long long)v[i]);
        if (width > 0) /* one value more than the data holds */
            assert_int_equal(cairn__pq_rle_decode((const uint8_t *)b.data, b.len, width, out, (int64_t)n + 1, &err), CAIRN_ECORRUPT);
        cairn_buf_release(&b);
        free(v);
        free(out);
    }
}

static void test_rle_bad(void **state)
{
    (void)state;
    uint32_t out[16];
    cairn_error err;
    const uint8_t wide_value[] = {0x10, 0x09}; /* a run of 8 with value 9 at width 3 */
    assert_int_equal(cairn__pq_rle_decode(wide_value, 2, 3, out, 8, &err), CAIRN_ECORRUPT);
    const uint8_t short_run[] = {0x04, 0x01};   /* a run of 2, 4 wanted */
    assert_int_equal(cairn__pq_rle_decode(short_run, 2, 1, out, 4, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "ends after 2 of 4 values"));
    const uint8_t endless[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(cairn__pq_rle_decode(endless, sizeof endless, 1, out, 4, &err), CAIRN_ECORRUPT);
    assert_int_equal(cairn__pq_rle_decode(short_run, 2, 33, out, 1, &err), CAIRN_ECORRUPT);
    /* a bit-packed run that claims more groups than there are bytes: what is there counts */
    const uint8_t cut[] = {0x0b, 0xff}; /* 5 groups of 8 at width 1, one byte present */
    CAIRN_ASSERT_OK(cairn__pq_rle_decode(cut, 2, 1, out, 8, &err), &err);
    assert_int_equal(cairn__pq_rle_decode(cut, 2, 1, out, 9, &err), CAIRN_ECORRUPT);
}

/* ------------------------------------------------------------------------------------------
 * Bitmaps
 * ---------------------------------------------------------------------------------------- */

static void test_bitmaps(void **state)
{
    (void)state;
    srand(5);
    for (int trial = 0; trial < 200; trial++) {
        uint8_t src[40], dst[48], ref[48];
        for (size_t i = 0; i < sizeof src; i++) src[i] = (uint8_t)rand();
        for (size_t i = 0; i < sizeof dst; i++) dst[i] = ref[i] = (uint8_t)rand();
        int64_t at = rand() % 64, n = rand() % 300;
        cairn__pq_copy_bits(dst, at, src, n);
        for (int64_t i = 0; i < n; i++) cairn__bit_put(ref, at + i, (src[i >> 3] >> (i & 7)) & 1);
        for (int64_t i = 0; i < at + n; i++) assert_int_equal(cairn_bit_get(dst, i), cairn_bit_get(ref, i));
        int64_t count = 0;
        for (int64_t i = 0; i < n; i++) count += cairn_bit_get(dst, at + i);
        assert_int_equal(cairn__pq_count_bits(dst, at, n), count);
        bool v = rand() & 1;
        cairn__pq_fill_bits(dst, at, n, v);
        for (int64_t i = 0; i < n; i++) assert_int_equal(cairn_bit_get(dst, at + i), v);
        if (at > 0) assert_int_equal(cairn_bit_get(dst, at - 1), cairn_bit_get(ref, at - 1));
    }
}

static void test_level_bitmaps(void **state)
{
    (void)state;
    /* levels 1 1 1 0 0 then the bit-packed group 1 0 1 1 0 0 0 1, at bit 3 of the map */
    const uint8_t data[] = {0x06, 0x01, 0x04, 0x00, 0x03, 0x8d};
    uint8_t bm[4] = {0xff, 0xff, 0xff, 0xff};
    cairn_error err;
    CAIRN_ASSERT_OK(cairn__pq_rle_bitmap(data, sizeof data, 13, bm, 3, &err), &err);
    const int want[] = {1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1};
    for (int i = 0; i < 13; i++) assert_int_equal(cairn_bit_get(bm, 3 + i), want[i]);
    for (int i = 0; i < 3; i++) assert_true(cairn_bit_get(bm, i));
    assert_int_equal(cairn__pq_count_bits(bm, 3, 13), 7);
    /* the deprecated BIT_PACKED: most significant bit first */
    const uint8_t msb[] = {0xB1};
    memset(bm, 0, sizeof bm);
    CAIRN_ASSERT_OK(cairn__pq_bitpacked_bitmap(msb, 1, 8, bm, 0, &err), &err);
    assert_int_equal(bm[0], 0x8d);
    assert_int_equal(cairn__pq_bitpacked_bitmap(msb, 1, 9, bm, 0, &err), CAIRN_ECORRUPT);
}

/* ------------------------------------------------------------------------------------------
 * DELTA_BINARY_PACKED and the byte-array encodings
 * ---------------------------------------------------------------------------------------- */

static void test_delta_examples(void **state)
{
    (void)state;
    /* Encodings.md's examples with the smallest valid block (128 values, 4 miniblocks) */
    const uint8_t ex1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
    uint64_t out[8];
    int64_t total;
    size_t used;
    cairn_error err;
    CAIRN_ASSERT_OK(cairn__pq_delta_decode(ex1, sizeof ex1, out, 5, &total, &used, &err), &err);
    for (int i = 0; i < 5; i++) assert_int_equal(out[i], i + 1);
    assert_int_equal(total, 5);
    assert_int_equal(used, sizeof ex1);
    const uint8_t ex2[] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 2, 0, 0, 0,
                           0xC0, 0x3F, 0, 0, 0, 0, 0, 0};
    const int64_t want[] = {7, 5, 3, 1, 2, 3, 4, 5};
    CAIRN_ASSERT_OK(cairn__pq_delta_decode(ex2, sizeof ex2, out, 8, &total, &used, &err), &err);
    for (int i = 0; i < 8; i++) assert_int_equal((int64_t)out[i], want[i]);
    assert_int_equal(used, sizeof ex2);
    /* truncated anywhere: an error, never a read past the end */
    for (size_t cut = 0; cut < sizeof ex2 - 6; cut++)
        assert_int_equal(cairn__pq_delta_decode(ex2, cut, out, 8, &total, &used, &err), CAIRN_ECORRUPT);
    const uint8_t bad_block[] = {0x40, 0x04, 0x05, 0x02};
    assert_int_equal(cairn__pq_delta_decode(bad_block, 4, out, 1, &total, &used, &err), CAIRN_ECORRUPT);
    CAIRN_ASSERT_OK(cairn__pq_delta_count(ex2, sizeof ex2, &total, &err), &err);
    assert_int_equal(total, 8);
}

static void test_delta_round_trip(void **state)
{
    (void)state;
    srand(9);
    size_t sizes[] = {0, 1, 2, 31, 33, 128, 129, 1000, 5000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        int64_t *v = malloc((n + 1) * sizeof *v);
        for (size_t i = 0; i < n; i++) {
            switch (i % 4) {
            case 0: v[i] = (int64_t)i * 3; break;
            case 1: v[i] = i % 8 == 1 ? INT64_MIN : INT64_MAX; break; /* wrapping deltas */
            default: v[i] = ((int64_t)rand() << 16) - (int64_t)rand(); break;
            }
        }
        cairn_buf b;
        cairn_buf_init(&b, 0);
        put_delta(&b, v, n);
        uint64_t *out = malloc((n + 1) * sizeof *out);
        int64_t total;
        size_t used;
        cairn_error err;
        CAIRN_ASSERT_OK(cairn__pq_delta_decode((const uint8_t *)b.data, b.len, out, (int64_t)n, &total, &used, &err), &err);
        assert_int_equal(total, n);
        assert_int_equal(used, b.len);
        for (size_t i = 0; i < n; i++) assert_int_equal((int64_t)out[i], v[i]);
        cairn_buf_release(&b);
        free(v);
        free(out);
    }
}

static void strbuf_init(pq_strbuf *s, int64_t n)
{
    memset(s, 0, sizeof *s);
    s->offsets = cairn_malloc((size_t)(n + 1) * sizeof(int64_t));
    s->offsets[0] = 0;
}

static void assert_strings(const pq_strbuf *s, const char *const *want, int64_t n)
{
    assert_int_equal(s->count, n);
    for (int64_t i = 0; i < n; i++) {
        size_t len = (size_t)(s->offsets[i + 1] - s->offsets[i]);
        assert_int_equal(len, strlen(want[i]));
        assert_memory_equal(s->data + s->offsets[i], want[i], len);
    }
}

static void strbuf_free(pq_strbuf *s)
{
    cairn_free(s->offsets);
    cairn_free(s->data);
}

static void test_byte_arrays(void **state)
{
    (void)state;
    cairn_error err;
    pq_strbuf s;
    /* DELTA_LENGTH_BYTE_ARRAY: Encodings.md's "Hello", "World", "Foobar", "ABCDEF" */
    const char *hello[] = {"Hello", "World", "Foobar", "ABCDEF"};
    cairn_buf b;
    cairn_buf_init(&b, 0);
    put_delta(&b, (const int64_t[]){5, 5, 6, 6}, 4);
    cairn_buf_puts(&b, "HelloWorldFoobarABCDEF");
    strbuf_init(&s, 4);
    CAIRN_ASSERT_OK(cairn__pq_delta_length_strings((const uint8_t *)b.data, b.len, 4, &s, &err), &err);
    assert_strings(&s, hello, 4);
    strbuf_free(&s);
    strbuf_init(&s, 4);
    assert_int_equal(cairn__pq_delta_length_strings((const uint8_t *)b.data, b.len - 1, 4, &s, &err), CAIRN_ECORRUPT);
    strbuf_free(&s);

    /* DELTA_BYTE_ARRAY: "axis", "axle", "babble", "babyhood" */
    const char *axis[] = {"axis", "axle", "babble", "babyhood"};
    cairn_buf_reset(&b);
    put_delta(&b, (const int64_t[]){0, 2, 0, 3}, 4);
    put_delta(&b, (const int64_t[]){4, 2, 6, 5}, 4);
    cairn_buf_puts(&b, "axislebabbleyhood");
    strbuf_init(&s, 4);
    CAIRN_ASSERT_OK(cairn__pq_delta_strings((const uint8_t *)b.data, b.len, 4, &s, &err), &err);
    assert_strings(&s, axis, 4);
    strbuf_free(&s);
    /* a prefix longer than the previous value */
    cairn_buf_reset(&b);
    put_delta(&b, (const int64_t[]){0, 9}, 2);
    put_delta(&b, (const int64_t[]){1, 1}, 2);
    cairn_buf_puts(&b, "ab");
    strbuf_init(&s, 2);
    assert_int_equal(cairn__pq_delta_strings((const uint8_t *)b.data, b.len, 2, &s, &err), CAIRN_ECORRUPT);
    strbuf_free(&s);

    /* PLAIN and fixed-length */
    const uint8_t plain[] = {2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0, 3, 0, 0, 0, 'y', 'o', 'u'};
    const char *p3[] = {"hi", "", "you"};
    strbuf_init(&s, 3);
    size_t used;
    CAIRN_ASSERT_OK(cairn__pq_plain_strings(plain, sizeof plain, 3, &s, &used, &err), &err);
    assert_strings(&s, p3, 3);
    assert_int_equal(used, sizeof plain);
    strbuf_free(&s);
    strbuf_init(&s, 3);
    assert_int_equal(cairn__pq_plain_strings(plain, sizeof plain - 1, 3, &s, &used, &err), CAIRN_ECORRUPT);
    strbuf_free(&s);
    const char *f2[] = {"ab", "cd"};
    strbuf_init(&s, 2);
    CAIRN_ASSERT_OK(cairn__pq_fixed_strings((const uint8_t *)"abcd", 4, 2, 2, &s, &err), &err);
    assert_strings(&s, f2, 2);
    assert_int_equal(cairn__pq_fixed_strings((const uint8_t *)"abcd", 4, 2, 3, &s, &err), CAIRN_ECORRUPT);
    strbuf_free(&s);
    cairn_buf_release(&b);
}

static void test_byte_stream_split_and_bools(void **state)
{
    (void)state;
    /* Encodings.md: AA BB CC DD / 00 11 22 33 / A3 B4 C5 D6 */
    const uint8_t enc[] = {0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6};
    const uint8_t dec[] = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
    uint8_t out[12];
    cairn_error err;
    CAIRN_ASSERT_OK(cairn__pq_byte_stream_split(enc, 12, 4, 3, out, &err), &err);
    assert_memory_equal(out, dec, 12);
    assert_int_equal(cairn__pq_byte_stream_split(enc, 11, 4, 3, out, &err), CAIRN_ECORRUPT);
    const uint8_t bits[] = {0x8d, 0x01};
    const uint8_t want[] = {1, 0, 1, 1, 0, 0, 0, 1, 1};
    CAIRN_ASSERT_OK(cairn__pq_plain_bools(bits, 2, 9, out, &err), &err);
    assert_memory_equal(out, want, 9);
    assert_int_equal(cairn__pq_plain_bools(bits, 1, 9, out, &err), CAIRN_ECORRUPT);
}

/* ------------------------------------------------------------------------------------------
 * Codecs
 * ---------------------------------------------------------------------------------------- */

static void test_codecs(void **state)
{
    (void)state;
    const int codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD,
                          PQ_CODEC_LZ4_RAW};
    size_t n = 100000;
    uint8_t *src = malloc(n), *dst = malloc(n + 1);
    for (size_t i = 0; i < n; i++) src[i] = (uint8_t)((i * 7) % 13 + (i / 1000));
    for (size_t k = 0; k < 5; k++) {
        cairn_buf out;
        cairn_buf_init(&out, 0);
        cairn_error err;
        cairn_buf_puts(&out, "xy"); /* compress appends */
        CAIRN_ASSERT_OK(cairn__parquet_compress(codecs[k], src, n, 0, &out, &err), &err);
        const uint8_t *c = (const uint8_t *)out.data + 2;
        size_t clen = out.len - 2;
        CAIRN_ASSERT_OK(cairn__parquet_decompress(codecs[k], c, clen, dst, n, &err), &err);
        assert_memory_equal(dst, src, n);
        assert_int_equal(cairn__parquet_decompress(codecs[k], c, clen, dst, n - 1, &err), CAIRN_ECORRUPT);
        assert_int_equal(cairn__parquet_decompress(codecs[k], c, clen, dst, n + 1, &err), CAIRN_ECORRUPT);
        if (codecs[k] != PQ_CODEC_UNCOMPRESSED)
            assert_int_equal(cairn__parquet_decompress(codecs[k], c, clen / 2, dst, n, &err), CAIRN_ECORRUPT);
        int parsed = -1;
        assert_int_equal(cairn__parquet_codec_parse(cairn__parquet_codec_name(codecs[k]), &parsed), 0);
        assert_int_equal(parsed, codecs[k]);
        cairn_buf_release(&out);
    }
    cairn_error err;
    assert_int_equal(cairn__parquet_decompress(PQ_CODEC_BROTLI, src, 1, dst, 1, &err), CAIRN_EUNSUPPORTED);
    int parsed;
    assert_int_equal(cairn__parquet_codec_parse("NONE", &parsed), 0);
    assert_int_equal(parsed, PQ_CODEC_UNCOMPRESSED);
    assert_int_equal(cairn__parquet_codec_parse("lzo", &parsed), CAIRN_EINVAL);
    free(src);
    free(dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rle_spec_example),
        cmocka_unit_test(test_rle_widths),
        cmocka_unit_test(test_rle_bad),
        cmocka_unit_test(test_bitmaps),
        cmocka_unit_test(test_level_bitmaps),
        cmocka_unit_test(test_delta_examples),
        cmocka_unit_test(test_delta_round_trip),
        cmocka_unit_test(test_byte_arrays),
        cmocka_unit_test(test_byte_stream_split_and_bools),
        cmocka_unit_test(test_codecs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
