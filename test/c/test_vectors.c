/* The byte-level vectors of test/vectors/ against the C wire and coordinate layers
 * (native/src/wire.c, native/src/coordinate.c): the C side of test/vectors.test.ts.
 *
 *   test_vectors DIR     DIR holds frames.json, values.json and coordinates.json
 *
 * Checked here, per file:
 *   frames.json       every vector: the stream decoded whole, one byte per push, split in two at
 *                     every position, and in 7-byte chunks pushed without draining, gives the
 *                     vector's frames, error (reported after errorAfterBytes bytes when pushed
 *                     byte by byte) and bytes left waiting; a failed decoder stays failed. Every
 *                     frame's body: malformed ones (bodyError) refused by hd_wire_check; valid
 *                     ones accepted, walked with the reader and compared with `body`, re-encoded
 *                     (frame header included) to the same bytes when encoderOutput is true, and
 *                     re-encoded in the smallest forms and read back the same otherwise.
 *                     `message` (valid/invalid message shapes) belongs to the message layer, not
 *                     checked here.
 *   values.json       datatype numbers; valid values: the program value's elements in program
 *                     order canonicalize to `hex`, `hex` is canonical, its elements read back as
 *                     `decoded` (or `value`), its coordinate; canonicalized and malformed bytes;
 *                     key encodings (docs/protocol.md 8) and their validity.
 *   coordinates.json  every hash, int64, float, typed, partition and routing vector.
 * Plus the planner's worked example of docs/protocol.md 4.14 (not a vector file) and unit checks
 * of the wire layer's limits.
 *
 * Prints each failure, a summary per section, and "N passed, M failed" last (N and M count
 * vectors, a vector failing when any of its checks fails). Exits 1 on any failure.
 *
 * `sh scripts/build-native.sh` builds and runs it through ctest. Under AddressSanitizer and UBSan:
 *   cmake -S . -B build/asan -DHYPERDEX_SANITIZE=ON && cmake --build build/asan --target test_vectors
 *   build/asan/test_vectors test/vectors
 * Every chunk fed to the frame decoder is its own allocation, freed as soon as the decoder's
 * contract allows, so a read past a chunk or after it was released shows there (and under
 * valgrind --leak-check=full, which passes too).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinate.h"
#include "hyperdex.h"
#include "json.h"
#include "wire.h"

/* ---- bookkeeping --------------------------------------------------------------------------- */

struct section
{
    const char* name;
    int passed;
    int failed;
};

struct ctx
{
    struct section sections[8];
    int nsections;
    struct section* cur;
    char vector[512];
    int vector_failures;
    long checks;
};

static struct ctx*
ctx_section(struct ctx* c, const char* name)
{
    c->cur = &c->sections[c->nsections++];
    c->cur->name = name;
    c->cur->passed = 0;
    c->cur->failed = 0;
    return c;
}

static void
vector_begin(struct ctx* c, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->vector, sizeof c->vector, fmt, ap);
    va_end(ap);
    c->vector_failures = 0;
}

static void
vector_end(struct ctx* c)
{
    if (c->vector_failures == 0)
    {
        ++c->cur->passed;
    }
    else
    {
        ++c->cur->failed;
    }
}

static int
check(struct ctx* c, int ok, const char* fmt, ...)
{
    ++c->checks;
    if (ok)
    {
        return 1;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->vector_failures < 10)
    {
        fprintf(stderr, "FAIL [%s] %s: %s\n", c->cur->name, c->vector, msg);
    }
    ++c->vector_failures;
    return 0;
}

/* ---- parsing helpers ----------------------------------------------------------------------- */

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
    {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f')
    {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F')
    {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes hex into a new buffer (never NULL on success, even when empty); -1 on bad hex. */
static int
unhex(const char* s, uint8_t** out, size_t* n)
{
    size_t len = s != NULL ? strlen(s) : 1;
    if (len % 2 != 0)
    {
        return -1;
    }
    uint8_t* b = malloc(len / 2 + 1);
    if (b == NULL)
    {
        return -1;
    }
    for (size_t i = 0; i < len / 2; ++i)
    {
        int hi = hexval(s[2 * i]);
        int lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
        {
            free(b);
            return -1;
        }
        b[i] = (uint8_t)(hi * 16 + lo);
    }
    *out = b;
    *n = len / 2;
    return 0;
}

static void
tohex(const uint8_t* p, size_t n, char* out, size_t out_len)
{
    size_t i = 0;
    for (; i < n && 2 * i + 3 < out_len; ++i)
    {
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    }
    out[2 * i] = '\0';
    if (i < n && out_len > 4)
    {
        memcpy(out + out_len - 4, "...", 4);
    }
}

/* An unsigned decimal, or hex after "0x"; -1 when it is neither or overflows. */
static int
parse_u64(const char* s, uint64_t* out)
{
    if (s == NULL || *s == '\0')
    {
        return -1;
    }
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    {
        base = 16;
        s += 2;
        if (*s == '\0')
        {
            return -1;
        }
    }
    uint64_t v = 0;
    for (; *s != '\0'; ++s)
    {
        int d = base == 16 ? hexval(*s) : (*s >= '0' && *s <= '9' ? *s - '0' : -1);
        if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / base)
        {
            return -1;
        }
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

/* A signed decimal that fits int64. */
static int
parse_i64(const char* s, int64_t* out)
{
    if (s == NULL)
    {
        return -1;
    }
    int neg = *s == '-';
    uint64_t mag;
    if (parse_u64(s + neg, &mag) < 0 || ((s + neg)[0] == '0' && (s + neg)[1] == 'x'))
    {
        return -1;
    }
    if (neg)
    {
        if (mag > (uint64_t)1 << 63)
        {
            return -1;
        }
        *out = mag == (uint64_t)1 << 63 ? INT64_MIN : -(int64_t)mag;
    }
    else
    {
        if (mag > INT64_MAX)
        {
            return -1;
        }
        *out = (int64_t)mag;
    }
    return 0;
}

static uint64_t
double_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static double
bits_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t
le64(const uint8_t* p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
    {
        v = (v << 8) | p[i];
    }
    return v;
}

static void
put_le64(uint8_t* p, uint64_t v)
{
    for (int i = 0; i < 8; ++i)
    {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static int
is_tagged(const struct json* j, const char* tag)
{
    return j != NULL && j->kind == JSON_OBJECT && j->count == 1 && strcmp(j->keys[0], tag) == 0;
}

/* A JSON number that is an integer: as u64 (*neg = 0) or a negative int64 (*neg = 1). */
static int
json_integer(const struct json* j, uint64_t* u, int64_t* i, int* neg)
{
    if (j == NULL || j->kind != JSON_NUMBER || strpbrk(j->text, ".eE") != NULL)
    {
        return -1;
    }
    if (j->text[0] == '-')
    {
        *neg = 1;
        return parse_i64(j->text, i);
    }
    *neg = 0;
    return parse_u64(j->text, u);
}

static int
json_uint(const struct json* j, uint64_t* out)
{
    int64_t i;
    int neg;
    return json_integer(j, out, &i, &neg) == 0 && !neg ? 0 : -1;
}

static void*
xmalloc(size_t n)
{
    void* p = malloc(n > 0 ? n : 1);
    if (p == NULL)
    {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* ---- frames: decoding streams -------------------------------------------------------------- */

struct got_frame
{
    uint16_t type;
    uint64_t id;
    uint8_t* body;
    size_t len;
};

struct decoded
{
    struct got_frame* frames;
    size_t nframes;
    size_t cap;
    enum hd_frame_error_kind error;
    uint32_t error_size;
    size_t error_at;
    size_t pending;
};

static void
decoded_free(struct decoded* d)
{
    for (size_t i = 0; i < d->nframes; ++i)
    {
        free(d->frames[i].body);
    }
    free(d->frames);
    memset(d, 0, sizeof *d);
}

static void
drain(struct hd_frame_decoder* dec, struct decoded* out, size_t pushed)
{
    struct hd_frame f;
    int rc;
    while ((rc = hd_frame_decoder_next(dec, &f)) == 1)
    {
        if (out->nframes == out->cap)
        {
            out->cap = out->cap == 0 ? 4 : 2 * out->cap;
            struct got_frame* frames = realloc(out->frames, out->cap * sizeof *frames);
            if (frames == NULL)
            {
                fprintf(stderr, "out of memory\n");
                exit(2);
            }
            out->frames = frames;
        }
        struct got_frame* g = &out->frames[out->nframes++];
        g->type = f.type;
        g->id = f.id;
        g->len = f.body_len;
        g->body = xmalloc(f.body_len);
        memcpy(g->body, f.body, f.body_len);
    }
    if (rc < 0 && out->error == HD_FRAME_OK)
    {
        out->error = hd_frame_decoder_error(dec, &out->error_size);
        out->error_at = pushed;
    }
}

/* Feeds bytes in chunks of the given sizes (summing to n), each chunk copied to its own
 * allocation so that AddressSanitizer sees a read past a chunk or after the decoder was done with
 * it. drain_each: drain after every push (else only at the end, after the last push). */
static void
decode_stream(uint64_t max, const uint8_t* bytes, const size_t* sizes, size_t nchunks,
              int drain_each, struct decoded* out)
{
    memset(out, 0, sizeof *out);
    struct hd_frame_decoder dec;
    hd_frame_decoder_init(&dec, max);
    size_t pushed = 0;
    uint8_t* prev = NULL;
    for (size_t i = 0; i < nchunks; ++i)
    {
        uint8_t* chunk = xmalloc(sizes[i]);
        memcpy(chunk, bytes + pushed, sizes[i]);
        pushed += sizes[i];
        if (hd_frame_decoder_push(&dec, chunk, sizes[i]) < 0 && out->error == HD_FRAME_OK)
        {
            out->error = hd_frame_decoder_error(&dec, &out->error_size);
            out->error_at = pushed;
        }
        /* the previous chunk may be freed once the next push has returned */
        free(prev);
        prev = chunk;
        if (drain_each || i + 1 == nchunks)
        {
            drain(&dec, out, pushed);
        }
    }
    out->pending = hd_frame_decoder_pending(&dec);
    hd_frame_decoder_free(&dec);
    free(prev);
}

struct frame_expect
{
    uint16_t type;
    uint64_t id;
    uint8_t* body;
    size_t len;
};

static const char*
frame_error_name(enum hd_frame_error_kind k)
{
    switch (k)
    {
        case HD_FRAME_OK:
            return "none";
        case HD_FRAME_TOO_SMALL:
            return "too-small";
        case HD_FRAME_TOO_LARGE:
            return "too-large";
        case HD_FRAME_NOMEM:
            return "nomem";
    }
    return "?";
}

static void
compare_decoded(struct ctx* c, const char* how, const struct decoded* got,
                const struct frame_expect* want, size_t nwant, enum hd_frame_error_kind error,
                uint32_t error_size, int has_pending, size_t pending)
{
    if (check(c, got->nframes == nwant, "%s: %zu frames, expected %zu", how, got->nframes, nwant))
    {
        for (size_t i = 0; i < nwant; ++i)
        {
            const struct got_frame* g = &got->frames[i];
            check(c, g->type == want[i].type && g->id == want[i].id && g->len == want[i].len &&
                         (g->len == 0 || memcmp(g->body, want[i].body, g->len) == 0),
                  "%s: frame %zu differs (type 0x%04x id %" PRIu64 " %zu body bytes)", how, i,
                  g->type, g->id, g->len);
        }
    }
    check(c, got->error == error && (error == HD_FRAME_OK || got->error_size == error_size),
          "%s: error %s size %" PRIu32 ", expected %s size %" PRIu32, how,
          frame_error_name(got->error), got->error_size, frame_error_name(error), error_size);
    if (error == HD_FRAME_OK)
    {
        check(c, has_pending && got->pending == pending, "%s: %zu bytes waiting, expected %zu", how,
              got->pending, pending);
    }
}

/* ---- frames: bodies ------------------------------------------------------------------------ */

/* Walks one value with the reader and compares it with the vector's JSON (conventions of
 * frames.json: JSON numbers are integers, {"hex"} bin, {"u64"} a 64-bit integer, objects maps
 * with str keys, in any order). */
static int
match_json(struct hd_wire_reader* r, const struct json* j, char* why, size_t why_len, int depth)
{
    struct hd_wire_item it;
    if (depth > 64)
    {
        snprintf(why, why_len, "too deep");
        return 0;
    }
    int rc = hd_wire_next(r, &it);
    if (rc != HD_WIRE_OK)
    {
        snprintf(why, why_len, "reader: %s", hd_wire_strerror(rc));
        return 0;
    }
    uint64_t u = 0;
    int64_t i = 0;
    int neg = 0;
    if (j->kind == JSON_NUMBER || is_tagged(j, "u64"))
    {
        int ok = is_tagged(j, "u64") ? parse_u64(json_str(j->items[0]), &u) == 0
                                     : json_integer(j, &u, &i, &neg) == 0;
        if (!ok)
        {
            snprintf(why, why_len, "vector has a non-integer number");
            return 0;
        }
        if (neg ? it.kind == HD_WIRE_INT && it.v.i == i : it.kind == HD_WIRE_UINT && it.v.u == u)
        {
            return 1;
        }
        /* like the TypeScript test: an integral float64 holding the value matches too */
        if (it.kind == HD_WIRE_FLOAT && (neg ? it.v.f == (double)i : it.v.f == (double)u))
        {
            return 1;
        }
        snprintf(why, why_len, "integer %s differs (item 0x%02x)", j->kind == JSON_NUMBER ? j->text : "u64", it.lead);
        return 0;
    }
    if (is_tagged(j, "hex"))
    {
        uint8_t* b;
        size_t n;
        if (unhex(json_str(j->items[0]), &b, &n) < 0)
        {
            snprintf(why, why_len, "bad hex in vector");
            return 0;
        }
        int ok = it.kind == HD_WIRE_BIN && it.v.bytes.n == n && (n == 0 || memcmp(it.v.bytes.p, b, n) == 0);
        free(b);
        if (!ok)
        {
            snprintf(why, why_len, "bin %s differs (item 0x%02x)", json_str(j->items[0]), it.lead);
        }
        return ok;
    }
    switch (j->kind)
    {
        case JSON_NULL:
            if (it.kind != HD_WIRE_NIL)
            {
                snprintf(why, why_len, "expected nil, item 0x%02x", it.lead);
            }
            return it.kind == HD_WIRE_NIL;
        case JSON_BOOL:
            if (!(it.kind == HD_WIRE_BOOL && !it.v.b == !j->boolean))
            {
                snprintf(why, why_len, "bool differs");
                return 0;
            }
            return 1;
        case JSON_STRING:
            if (!(it.kind == HD_WIRE_STR && it.v.bytes.n == j->text_len &&
                  (j->text_len == 0 || memcmp(it.v.bytes.p, j->text, j->text_len) == 0)))
            {
                snprintf(why, why_len, "str \"%.40s\" differs (item 0x%02x)", j->text, it.lead);
                return 0;
            }
            return 1;
        case JSON_ARRAY:
            if (!(it.kind == HD_WIRE_ARRAY && it.v.count == j->count))
            {
                snprintf(why, why_len, "expected an array of %zu (item 0x%02x)", j->count, it.lead);
                return 0;
            }
            for (size_t k = 0; k < j->count; ++k)
            {
                if (!match_json(r, j->items[k], why, why_len, depth + 1))
                {
                    return 0;
                }
            }
            return 1;
        case JSON_OBJECT:
        {
            if (!(it.kind == HD_WIRE_MAP && it.v.count == j->count))
            {
                snprintf(why, why_len, "expected a map of %zu (item 0x%02x)", j->count, it.lead);
                return 0;
            }
            unsigned char* seen = calloc(j->count + 1, 1);
            int ok = seen != NULL;
            for (size_t k = 0; ok && k < j->count; ++k)
            {
                const uint8_t* key;
                size_t key_len;
                if (hd_wire_read_str(r, &key, &key_len) != HD_WIRE_OK)
                {
                    snprintf(why, why_len, "map key is not a str");
                    ok = 0;
                    break;
                }
                size_t m = 0;
                while (m < j->count && !(strlen(j->keys[m]) == key_len && memcmp(j->keys[m], key, key_len) == 0))
                {
                    ++m;
                }
                if (m == j->count || seen[m])
                {
                    snprintf(why, why_len, "map key \"%.*s\" unexpected or repeated", (int)key_len, (const char*)key);
                    ok = 0;
                    break;
                }
                seen[m] = 1;
                ok = match_json(r, j->items[m], why, why_len, depth + 1);
            }
            free(seen);
            return ok;
        }
        default:
            snprintf(why, why_len, "unexpected JSON");
            return 0;
    }
}

/* Encodes a vector's JSON body as the TypeScript encoder does: numbers in the smallest form,
 * {"u64"} as a 64-bit integer (hd_wire_put_u64_bound), {"hex"} as bin, maps as map 16. */
static int
encode_json(struct hd_buf* b, const struct json* j)
{
    if (is_tagged(j, "u64"))
    {
        uint64_t u;
        if (parse_u64(json_str(j->items[0]), &u) < 0)
        {
            return -1;
        }
        return hd_wire_put_u64_bound(b, u);
    }
    if (is_tagged(j, "hex"))
    {
        uint8_t* p;
        size_t n;
        if (unhex(json_str(j->items[0]), &p, &n) < 0)
        {
            return -1;
        }
        int rc = hd_wire_put_bin(b, p, n);
        free(p);
        return rc;
    }
    switch (j->kind)
    {
        case JSON_NULL:
            return hd_wire_put_nil(b);
        case JSON_BOOL:
            return hd_wire_put_bool(b, j->boolean);
        case JSON_NUMBER:
        {
            uint64_t u;
            int64_t i;
            int neg;
            if (json_integer(j, &u, &i, &neg) < 0)
            {
                return -1;
            }
            return neg ? hd_wire_put_int(b, i) : hd_wire_put_uint(b, u);
        }
        case JSON_STRING:
            return hd_wire_put_str(b, j->text, j->text_len);
        case JSON_ARRAY:
            hd_wire_put_array(b, j->count);
            for (size_t k = 0; k < j->count; ++k)
            {
                if (encode_json(b, j->items[k]) < 0)
                {
                    return -1;
                }
            }
            return b->error;
        case JSON_OBJECT:
            hd_wire_put_map16(b, (uint16_t)j->count);
            for (size_t k = 0; k < j->count; ++k)
            {
                hd_wire_put_cstr(b, j->keys[k]);
                if (encode_json(b, j->items[k]) < 0)
                {
                    return -1;
                }
            }
            return b->error;
    }
    return -1;
}

/* Re-encodes one value read with the reader. guide != NULL: the vector's JSON for it, to take the
 * TypeScript encoder's fixed forms ({"u64"}: 64-bit integer; objects: map 16); guide == NULL:
 * the smallest form everywhere. The values come from the reader only. */
static int
reencode(struct hd_wire_reader* r, struct hd_buf* b, const struct json* guide, int depth)
{
    struct hd_wire_item it;
    if (depth > 64 || hd_wire_next(r, &it) != HD_WIRE_OK)
    {
        return -1;
    }
    switch (it.kind)
    {
        case HD_WIRE_NIL:
            return hd_wire_put_nil(b);
        case HD_WIRE_BOOL:
            return hd_wire_put_bool(b, it.v.b);
        case HD_WIRE_UINT:
            return is_tagged(guide, "u64") ? hd_wire_put_u64_bound(b, it.v.u) : hd_wire_put_uint(b, it.v.u);
        case HD_WIRE_INT:
            return hd_wire_put_int(b, it.v.i);
        case HD_WIRE_FLOAT:
            return hd_wire_put_double(b, it.v.f);
        case HD_WIRE_STR:
            return hd_wire_put_str(b, it.v.bytes.p, it.v.bytes.n);
        case HD_WIRE_BIN:
            return hd_wire_put_bin(b, it.v.bytes.p, it.v.bytes.n);
        case HD_WIRE_ARRAY:
            hd_wire_put_array(b, it.v.count);
            for (uint32_t k = 0; k < it.v.count; ++k)
            {
                if (reencode(r, b, guide != NULL ? json_at(guide, k) : NULL, depth + 1) < 0)
                {
                    return -1;
                }
            }
            return b->error;
        case HD_WIRE_MAP:
            if (guide != NULL)
            {
                hd_wire_put_map16(b, (uint16_t)it.v.count);
            }
            else
            {
                hd_wire_put_map(b, it.v.count);
            }
            for (uint32_t k = 0; k < it.v.count; ++k)
            {
                const uint8_t* key;
                size_t key_len;
                if (hd_wire_read_str(r, &key, &key_len) != HD_WIRE_OK)
                {
                    return -1;
                }
                hd_wire_put_str(b, key, key_len);
                const struct json* sub = NULL;
                if (guide != NULL)
                {
                    char name[256];
                    snprintf(name, sizeof name, "%.*s", (int)key_len, (const char*)key);
                    sub = json_get(guide, name);
                    if (sub == NULL)
                    {
                        return -1;
                    }
                }
                if (reencode(r, b, sub, depth + 1) < 0)
                {
                    return -1;
                }
            }
            return b->error;
    }
    return -1;
}

static int
same_bytes(const struct hd_buf* b, const uint8_t* p, size_t n)
{
    return b->error == HD_WIRE_OK && b->len == n && (n == 0 || memcmp(b->data, p, n) == 0);
}

static void
check_body(struct ctx* c, const struct json* f, uint16_t type, uint64_t id, const uint8_t* frame,
           size_t frame_len, const uint8_t* body, size_t len, uint64_t max, int* refused,
           int* roundtrips, int* encoded)
{
    const char* type_name = json_str(json_get(f, "typeName"));
    const struct json* body_error = json_get(f, "bodyError");
    const struct json* want = json_get(f, "body");
    struct hd_wire_reader r;
    if (body_error != NULL)
    {
        int rc = hd_wire_check(body, len);
        if (check(c, rc != HD_WIRE_OK, "%s: malformed body (%s) accepted", type_name, json_str(body_error)))
        {
            ++*refused;
        }
        /* the reader on its own must not read out of bounds either */
        hd_wire_reader_init(&r, body, len);
        hd_wire_skip(&r);
        return;
    }
    int rc = hd_wire_check(body, len);
    if (!check(c, rc == HD_WIRE_OK, "%s: body refused: %s", type_name, hd_wire_strerror(rc)) ||
        !check(c, want != NULL, "%s: no body in the vector", type_name))
    {
        return;
    }
    char why[256] = "";
    hd_wire_reader_init(&r, body, len);
    int ok = match_json(&r, want, why, sizeof why, 0);
    check(c, ok, "%s: decoded body differs: %s", type_name, why);
    check(c, !ok || hd_wire_reader_left(&r) == 0, "%s: reader did not end at the end", type_name);

    const struct json* enc = json_get(f, "encoderOutput");
    int canonical = enc != NULL && enc->kind == JSON_BOOL && enc->boolean;
    struct hd_buf b;
    hd_buf_init(&b, (size_t)max);
    char hexbuf[200];
    if (canonical)
    {
        /* the whole frame from type, id and the JSON body */
        size_t start = hd_wire_frame_begin(&b, type, id);
        int erc = encode_json(&b, want);
        int frc = hd_wire_frame_end(&b, start, max);
        tohex(b.data, b.len, hexbuf, sizeof hexbuf);
        ok = check(c, erc == HD_WIRE_OK && frc == HD_WIRE_OK && same_bytes(&b, frame, frame_len),
                   "%s: encoding the JSON body gives other bytes: %s", type_name, hexbuf);
        /* the decoded value, re-encoded */
        hd_buf_reset(&b);
        hd_wire_reader_init(&r, body, len);
        erc = reencode(&r, &b, want, 0);
        tohex(b.data, b.len, hexbuf, sizeof hexbuf);
        ok &= check(c, erc == HD_WIRE_OK && same_bytes(&b, body, len),
                    "%s: re-encoding the decoded body gives other bytes: %s", type_name, hexbuf);
        *encoded += ok;
    }
    else
    {
        /* another valid encoding: re-encoded in the smallest forms it reads back the same */
        hd_wire_reader_init(&r, body, len);
        int erc = reencode(&r, &b, NULL, 0);
        ok = check(c, erc == HD_WIRE_OK && hd_wire_check(b.data, b.len) == HD_WIRE_OK,
                   "%s: smallest re-encoding failed", type_name);
        if (ok)
        {
            hd_wire_reader_init(&r, b.data, b.len);
            ok = check(c, match_json(&r, want, why, sizeof why, 0) && hd_wire_reader_left(&r) == 0,
                       "%s: smallest re-encoding reads back differently: %s", type_name, why);
            ok &= check(c, b.len <= len, "%s: smallest re-encoding is longer than the vector", type_name);
        }
        *roundtrips += ok;
    }
    hd_buf_free(&b);
}

static void
test_frames(struct ctx* c, const struct json* root)
{
    ctx_section(c, "frames.json");
    const struct json* vectors = json_get(root, "vectors");
    int nframes = 0;
    int refused = 0;
    int roundtrips = 0;
    int encoded = 0;
    int messages = 0;
    static const uint8_t extra[] = {0, 0, 0, 0x0b, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x90};
    for (size_t vi = 0; vectors != NULL && vi < vectors->count; ++vi)
    {
        const struct json* v = vectors->items[vi];
        vector_begin(c, "%s", json_str(json_get(v, "name")));
        uint8_t* bytes = NULL;
        size_t n = 0;
        uint64_t max = 0;
        if (!check(c, unhex(json_str(json_get(v, "hex")), &bytes, &n) == 0, "bad hex") ||
            !check(c, json_uint(json_get(v, "frameBytesMax"), &max) == 0, "bad frameBytesMax"))
        {
            free(bytes);
            vector_end(c);
            continue;
        }
        /* expectations */
        const struct json* frames = json_get(v, "frames");
        size_t nwant = frames != NULL ? frames->count : 0;
        struct frame_expect* want = xmalloc(nwant * sizeof *want);
        for (size_t i = 0; i < nwant; ++i)
        {
            const struct json* f = frames->items[i];
            uint64_t type = 0;
            want[i].body = NULL;
            want[i].len = 0;
            check(c, json_uint(json_get(f, "type"), &type) == 0 && type <= 0xffff, "frame %zu: bad type", i);
            check(c, parse_u64(json_str(json_get(f, "id")), &want[i].id) == 0, "frame %zu: bad id", i);
            check(c, unhex(json_str(json_get(f, "bodyHex")), &want[i].body, &want[i].len) == 0, "frame %zu: bad bodyHex", i);
            want[i].type = (uint16_t)type;
        }
        enum hd_frame_error_kind error = HD_FRAME_OK;
        uint32_t error_size = 0;
        const struct json* err = json_get(v, "error");
        if (err != NULL && err->kind == JSON_OBJECT)
        {
            const char* kind = json_str(json_get(err, "kind"));
            uint64_t size = 0;
            error = kind != NULL && strcmp(kind, "too-small") == 0   ? HD_FRAME_TOO_SMALL
                    : kind != NULL && strcmp(kind, "too-large") == 0 ? HD_FRAME_TOO_LARGE
                                                                     : HD_FRAME_NOMEM;
            check(c, error != HD_FRAME_NOMEM && json_uint(json_get(err, "size"), &size) == 0 &&
                         size <= UINT32_MAX,
                  "bad error in the vector");
            error_size = (uint32_t)size;
        }
        uint64_t pending = 0;
        int has_pending = json_uint(json_get(v, "pendingBytes"), &pending) == 0;
        uint64_t error_after = 0;
        int has_error_after = json_uint(json_get(v, "errorAfterBytes"), &error_after) == 0;

        struct decoded got;
        /* whole */
        {
            memset(&got, 0, sizeof got);
            struct hd_frame_decoder dec;
            hd_frame_decoder_init(&dec, max);
            uint8_t* copy = xmalloc(n);
            memcpy(copy, bytes, n);
            hd_frame_decoder_push(&dec, copy, n);
            drain(&dec, &got, n);
            got.pending = hd_frame_decoder_pending(&dec);
            compare_decoded(c, "whole", &got, want, nwant, error, error_size, has_pending, (size_t)pending);
            if (error != HD_FRAME_OK)
            {
                /* a failed decoder stays failed */
                struct hd_frame f;
                uint32_t size = 0;
                int prc = hd_frame_decoder_push(&dec, extra, sizeof extra);
                int nrc = hd_frame_decoder_next(&dec, &f);
                enum hd_frame_error_kind again = hd_frame_decoder_error(&dec, &size);
                check(c, prc < 0 && nrc < 0 && again == error && size == error_size &&
                             hd_frame_decoder_pending(&dec) == 0,
                      "after an error: push %d, next %d, error %s", prc, nrc, frame_error_name(again));
            }
            hd_frame_decoder_free(&dec);
            free(copy);
            decoded_free(&got);
        }
        /* one byte per push */
        {
            size_t* sizes = xmalloc(n * sizeof *sizes);
            for (size_t i = 0; i < n; ++i)
            {
                sizes[i] = 1;
            }
            decode_stream(max, bytes, sizes, n, 1, &got);
            compare_decoded(c, "byte by byte", &got, want, nwant, error, error_size, has_pending, (size_t)pending);
            if (error != HD_FRAME_OK)
            {
                check(c, has_error_after && got.error_at == error_after,
                      "byte by byte: error reported after %zu bytes, expected %" PRIu64, got.error_at, error_after);
            }
            decoded_free(&got);
            free(sizes);
        }
        /* every split in two */
        for (size_t i = 0; i <= n; ++i)
        {
            size_t sizes[2] = {i, n - i};
            char how[64];
            snprintf(how, sizeof how, "split at %zu", i);
            decode_stream(max, bytes, sizes, 2, 1, &got);
            compare_decoded(c, how, &got, want, nwant, error, error_size, has_pending, (size_t)pending);
            decoded_free(&got);
        }
        /* 7-byte chunks, drained only at the end */
        {
            size_t nchunks = (n + 6) / 7;
            size_t* sizes = xmalloc(nchunks * sizeof *sizes);
            for (size_t i = 0; i < nchunks; ++i)
            {
                sizes[i] = i + 1 < nchunks ? 7 : n - 7 * i;
            }
            decode_stream(max, bytes, sizes, nchunks, 0, &got);
            compare_decoded(c, "7-byte chunks, undrained", &got, want, nwant, error, error_size, has_pending, (size_t)pending);
            decoded_free(&got);
            free(sizes);
        }
        /* frames and bodies */
        size_t offset = 0;
        for (size_t i = 0; i < nwant; ++i)
        {
            const struct json* f = frames->items[i];
            size_t total = HD_FRAME_HEADER_BYTES + want[i].len;
            if (!check(c, offset + total <= n, "frame %zu runs past the stream", i))
            {
                break;
            }
            const uint8_t* fb = bytes + offset;
            uint32_t size = ((uint32_t)fb[0] << 24) | ((uint32_t)fb[1] << 16) | ((uint32_t)fb[2] << 8) | fb[3];
            check(c, size == 10 + want[i].len, "frame %zu: size field %" PRIu32 ", body %zu bytes", i, size, want[i].len);
            ++nframes;
            if (json_get(f, "message") != NULL)
            {
                ++messages;
            }
            check_body(c, f, want[i].type, want[i].id, fb, total, want[i].body, want[i].len, max,
                       &refused, &roundtrips, &encoded);
            offset += total;
        }
        if (error == HD_FRAME_OK)
        {
            check(c, offset + pending == n, "frames and waiting bytes do not account for the stream");
        }
        for (size_t i = 0; i < nwant; ++i)
        {
            free(want[i].body);
        }
        free(want);
        free(bytes);
        vector_end(c);
    }
    printf("frames.json: %d stream vectors (whole, byte by byte, every split, undrained chunks); "
           "%d frames: %d malformed bodies refused, %d bodies re-encoded byte for byte, %d other "
           "encodings round-tripped; %d message-shape flags left to the message layer\n",
           c->cur->passed + c->cur->failed, nframes, refused, encoded, roundtrips, messages);
}

/* ---- values -------------------------------------------------------------------------------- */

static int
scalar_of(const char* s, size_t n, enum hd_scalar* out)
{
    if (n == 6 && memcmp(s, "string", 6) == 0)
    {
        *out = HD_SCALAR_STRING;
    }
    else if (n == 5 && memcmp(s, "int64", 5) == 0)
    {
        *out = HD_SCALAR_INT64;
    }
    else if (n == 5 && memcmp(s, "float", 5) == 0)
    {
        *out = HD_SCALAR_FLOAT;
    }
    else
    {
        return -1;
    }
    return 0;
}

/* "string", "list(int64)", "map(string, float)" ... as a type. */
static int
type_from_name(const char* name, struct hd_type* t)
{
    char s[64];
    size_t n = 0;
    for (const char* p = name; p != NULL && *p != '\0' && n + 1 < sizeof s; ++p)
    {
        if (*p != ' ')
        {
            s[n++] = *p;
        }
    }
    s[n] = '\0';
    t->value = 0;
    if (scalar_of(s, n, &t->elem) == 0)
    {
        t->shape = HD_SHAPE_SCALAR;
        return 0;
    }
    if (n < 6 || s[n - 1] != ')')
    {
        return -1;
    }
    if (memcmp(s, "list(", 5) == 0 || memcmp(s, "set(", 4) == 0)
    {
        size_t open = s[0] == 'l' ? 5 : 4;
        t->shape = s[0] == 'l' ? HD_SHAPE_LIST : HD_SHAPE_SET;
        return scalar_of(s + open, n - open - 1, &t->elem);
    }
    if (memcmp(s, "map(", 4) == 0)
    {
        const char* comma = strchr(s, ',');
        if (comma == NULL)
        {
            return -1;
        }
        t->shape = HD_SHAPE_MAP;
        if (scalar_of(s + 4, (size_t)(comma - s - 4), &t->elem) < 0)
        {
            return -1;
        }
        return scalar_of(comma + 1, (size_t)(s + n - 1 - comma - 1), &t->value);
    }
    return -1;
}

static int
datatype_from_name(const char* name)
{
    struct hd_type t;
    return type_from_name(name, &t) < 0 ? -1 : hd_datatype_of(&t);
}

/* A scalar of values.json as its bytes (8 bytes or a string's bytes): strings are UTF-8 or
 * {"hex"}, int64 decimal strings, floats JSON numbers or "-0", "NaN", "Infinity", "-Infinity". */
static int
scalar_bytes(enum hd_scalar t, const struct json* j, struct hd_buf* out)
{
    uint8_t b8[8];
    if (t == HD_SCALAR_STRING)
    {
        if (is_tagged(j, "hex"))
        {
            uint8_t* p;
            size_t n;
            if (unhex(json_str(j->items[0]), &p, &n) < 0)
            {
                return -1;
            }
            hd_buf_append(out, p, n);
            free(p);
            return out->error;
        }
        if (j->kind != JSON_STRING)
        {
            return -1;
        }
        return hd_buf_append(out, j->text, j->text_len);
    }
    if (t == HD_SCALAR_INT64)
    {
        int64_t v;
        if (parse_i64(json_str(j), &v) < 0)
        {
            return -1;
        }
        put_le64(b8, (uint64_t)v);
        return hd_buf_append(out, b8, 8);
    }
    uint64_t bits;
    if (j->kind == JSON_STRING)
    {
        if (strcmp(j->text, "-0") == 0)
        {
            bits = 0x8000000000000000ULL;
        }
        else if (strcmp(j->text, "NaN") == 0)
        {
            bits = 0x7ff8000000000000ULL;
        }
        else if (strcmp(j->text, "Infinity") == 0)
        {
            bits = 0x7ff0000000000000ULL;
        }
        else if (strcmp(j->text, "-Infinity") == 0)
        {
            bits = 0xfff0000000000000ULL;
        }
        else
        {
            return -1;
        }
    }
    else if (j->kind == JSON_NUMBER)
    {
        bits = double_bits(strtod(j->text, NULL));
    }
    else
    {
        return -1;
    }
    put_le64(b8, bits);
    return hd_buf_append(out, b8, 8);
}

/* A scalar as an element: strings get their u32 little-endian length first. */
static int
element_bytes(enum hd_scalar t, const struct json* j, struct hd_buf* out)
{
    if (t != HD_SCALAR_STRING)
    {
        return scalar_bytes(t, j, out);
    }
    struct hd_buf s;
    hd_buf_init(&s, SIZE_MAX);
    int rc = scalar_bytes(t, j, &s);
    if (rc == 0)
    {
        uint8_t len[4] = {(uint8_t)s.len, (uint8_t)(s.len >> 8), (uint8_t)(s.len >> 16), (uint8_t)(s.len >> 24)};
        hd_buf_append(out, len, 4);
        rc = hd_buf_append(out, s.data, s.len);
    }
    hd_buf_free(&s);
    return rc;
}

/* A program value of values.json, its elements in the order given (not canonical). */
static int
program_bytes(const struct hd_type* t, const struct json* j, struct hd_buf* out)
{
    if (t->shape == HD_SHAPE_SCALAR)
    {
        return scalar_bytes(t->elem, j, out);
    }
    if (j->kind != JSON_ARRAY)
    {
        return -1;
    }
    for (size_t i = 0; i < j->count; ++i)
    {
        const struct json* e = j->items[i];
        if (t->shape == HD_SHAPE_MAP)
        {
            if (e->kind != JSON_ARRAY || e->count != 2 || element_bytes(t->elem, e->items[0], out) < 0 ||
                element_bytes(t->value, e->items[1], out) < 0)
            {
                return -1;
            }
        }
        else if (element_bytes(t->elem, e, out) < 0)
        {
            return -1;
        }
    }
    return out->error;
}

/* An element read from value bytes equals the JSON scalar (floats by their bits). */
static int
element_matches(enum hd_scalar t, const struct hd_element* e, const struct json* j)
{
    struct hd_buf b;
    hd_buf_init(&b, SIZE_MAX);
    int ok = scalar_bytes(t, j, &b) == 0 && b.len == e->n && (e->n == 0 || memcmp(b.data, e->p, e->n) == 0);
    hd_buf_free(&b);
    return ok;
}

static int
hex_of(const struct json* j, const char* key, uint8_t** p, size_t* n)
{
    return unhex(json_str(json_get(j, key)), p, n);
}

/* The coordinate the spec gives for canonical bytes, computed here from the definitions. */
static uint64_t
expected_coordinate(const struct hd_type* t, const uint8_t* p, size_t n)
{
    if (t->shape == HD_SHAPE_SCALAR && t->elem == HD_SCALAR_INT64 && n == 8)
    {
        return le64(p) ^ 0x8000000000000000ULL;
    }
    if (t->shape == HD_SHAPE_SCALAR && t->elem == HD_SCALAR_FLOAT && n == 8)
    {
        uint64_t bits = le64(p);
        bits = bits == 0x8000000000000000ULL ? 0 : bits;
        return bits >> 63 ? ~bits : bits | 0x8000000000000000ULL;
    }
    return hd_hash64(p, n);
}

static void
test_values(struct ctx* c, const struct json* root)
{
    ctx_section(c, "values.json");
    const struct json* valid = json_get(root, "valid");
    int counts[4] = {0, 0, 0, 0};
    for (size_t vi = 0; valid != NULL && vi < valid->count; ++vi)
    {
        const struct json* v = valid->items[vi];
        const char* type_name = json_str(json_get(v, "type"));
        vector_begin(c, "valid %zu: %s %s", vi, type_name, json_str(json_get(v, "hex")));
        struct hd_type t;
        uint64_t datatype = 0;
        uint8_t* hex = NULL;
        size_t n = 0;
        if (!check(c, type_from_name(type_name, &t) == 0, "bad type name") ||
            !check(c, json_uint(json_get(v, "datatype"), &datatype) == 0, "bad datatype") ||
            !check(c, hex_of(v, "hex", &hex, &n) == 0, "bad hex"))
        {
            vector_end(c);
            continue;
        }
        int dt = (int)datatype;
        struct hd_type back;
        check(c, hd_datatype_of(&t) == dt, "datatype of %s is %d, expected %d", type_name, hd_datatype_of(&t), dt);
        check(c, hd_type_of(dt, &back) == 0 && back.shape == t.shape && back.elem == t.elem && back.value == t.value,
              "type of datatype %d", dt);

        /* the program value in program order canonicalizes to hex */
        struct hd_buf raw;
        struct hd_buf canon;
        hd_buf_init(&raw, SIZE_MAX);
        hd_buf_init(&canon, SIZE_MAX);
        char hexbuf[200];
        if (check(c, program_bytes(&t, json_get(v, "value"), &raw) == 0, "bad value in the vector"))
        {
            int rc = hd_value_canonical(dt, raw.data, raw.len, &canon);
            tohex(canon.data, canon.len, hexbuf, sizeof hexbuf);
            check(c, rc == 0 && same_bytes(&canon, hex, n), "program value canonicalizes to %s (rc %d)", hexbuf, rc);
            uint64_t coord = 0;
            rc = hd_value_coordinate(dt, raw.data, raw.len, &coord);
            check(c, rc == 0 && coord == expected_coordinate(&t, hex, n),
                  "coordinate of the program-order bytes differs from that of the canonical bytes");
        }
        /* hex is canonical: a fixed point */
        check(c, hd_value_is_canonical(dt, hex, n) == 1, "not canonical by hd_value_is_canonical");
        hd_buf_reset(&canon);
        int rc = hd_value_canonical(dt, hex, n, &canon);
        check(c, rc == 0 && same_bytes(&canon, hex, n), "canonical bytes are not a fixed point (rc %d)", rc);
        uint64_t coord = 0;
        rc = hd_value_coordinate(dt, hex, n, &coord);
        check(c, rc == 0 && coord == expected_coordinate(&t, hex, n), "coordinate (rc %d)", rc);
        /* the elements read back */
        const struct json* dec = json_get(v, "decoded");
        if (dec == NULL)
        {
            dec = json_get(v, "value");
        }
        struct hd_value_iter it;
        struct hd_element e;
        struct hd_element val;
        check(c, hd_value_iter_init(&it, dt, hex, n) == 0, "iter init");
        if (t.shape == HD_SHAPE_SCALAR)
        {
            check(c, hd_value_iter_next(&it, &e, &val) == 1 && element_matches(t.elem, &e, dec), "scalar reads back differently");
        }
        else
        {
            size_t k = 0;
            while ((rc = hd_value_iter_next(&it, &e, &val)) == 1)
            {
                const struct json* want = json_at(dec, k);
                int ok = want != NULL;
                if (ok && t.shape == HD_SHAPE_MAP)
                {
                    ok = element_matches(t.elem, &e, json_at(want, 0)) && element_matches(t.value, &val, json_at(want, 1));
                }
                else if (ok)
                {
                    ok = element_matches(t.elem, &e, want);
                }
                check(c, ok, "element %zu reads back differently", k);
                ++k;
            }
            check(c, rc == 0 && dec != NULL && k == dec->count, "%zu elements read back (rc %d)", k, rc);
        }
        hd_buf_free(&raw);
        hd_buf_free(&canon);
        free(hex);
        ++counts[0];
        vector_end(c);
    }

    const struct json* canonicalized = json_get(root, "canonicalized");
    for (size_t vi = 0; canonicalized != NULL && vi < canonicalized->count; ++vi)
    {
        const struct json* v = canonicalized->items[vi];
        const char* type_name = json_str(json_get(v, "type"));
        vector_begin(c, "canonicalized %zu: %s %s", vi, type_name, json_str(json_get(v, "hex")));
        int dt = datatype_from_name(type_name);
        struct hd_type t;
        uint8_t* hex = NULL;
        uint8_t* want = NULL;
        size_t n = 0;
        size_t wn = 0;
        if (check(c, dt > 0 && hd_type_of(dt, &t) == 0, "bad type") && check(c, hex_of(v, "hex", &hex, &n) == 0 && hex_of(v, "canonicalHex", &want, &wn) == 0, "bad hex"))
        {
            struct hd_buf canon;
            hd_buf_init(&canon, SIZE_MAX);
            int rc = hd_value_canonical(dt, hex, n, &canon);
            check(c, rc == 0 && same_bytes(&canon, want, wn), "canonical form differs (rc %d)", rc);
            int already = n == wn && memcmp(hex, want, n) == 0;
            check(c, hd_value_is_canonical(dt, hex, n) == already, "hd_value_is_canonical says %d", hd_value_is_canonical(dt, hex, n));
            hd_buf_reset(&canon);
            rc = hd_value_canonical(dt, want, wn, &canon);
            check(c, rc == 0 && same_bytes(&canon, want, wn) && hd_value_is_canonical(dt, want, wn) == 1,
                  "canonicalHex is not a fixed point");
            uint64_t coord = 0;
            rc = hd_value_coordinate(dt, hex, n, &coord);
            check(c, rc == 0 && coord == expected_coordinate(&t, want, wn), "coordinate is not that of the canonical bytes");
            hd_buf_free(&canon);
            ++counts[1];
        }
        free(hex);
        free(want);
        vector_end(c);
    }

    const struct json* malformed = json_get(root, "malformed");
    for (size_t vi = 0; malformed != NULL && vi < malformed->count; ++vi)
    {
        const struct json* v = malformed->items[vi];
        const char* type_name = json_str(json_get(v, "type"));
        vector_begin(c, "malformed %zu: %s %s (%s)", vi, type_name, json_str(json_get(v, "hex")), json_str(json_get(v, "reason")));
        int dt = datatype_from_name(type_name);
        uint8_t* hex = NULL;
        size_t n = 0;
        if (check(c, dt > 0, "bad type") && check(c, hex_of(v, "hex", &hex, &n) == 0, "bad hex"))
        {
            struct hd_buf canon;
            hd_buf_init(&canon, SIZE_MAX);
            int rc = hd_value_canonical(dt, hex, n, &canon);
            check(c, rc == HD_VALUE_EMALFORMED && canon.len == 0, "hd_value_canonical gives %d", rc);
            uint64_t coord;
            rc = hd_value_coordinate(dt, hex, n, &coord);
            check(c, rc == HD_VALUE_EMALFORMED, "hd_value_coordinate gives %d", rc);
            check(c, hd_value_is_canonical(dt, hex, n) != 1, "hd_value_is_canonical accepts it");
            hd_buf_free(&canon);
            ++counts[2];
        }
        free(hex);
        vector_end(c);
    }

    const struct json* keys = json_get(root, "keys");
    for (size_t vi = 0; keys != NULL && vi < keys->count; ++vi)
    {
        const struct json* v = keys->items[vi];
        const char* type_name = json_str(json_get(v, "keyType"));
        vector_begin(c, "key %zu: %s %s", vi, type_name, json_str(json_get(v, "hex")));
        int dt = datatype_from_name(type_name);
        struct hd_type t;
        uint8_t* hex = NULL;
        size_t n = 0;
        if (check(c, dt > 0 && hd_type_of(dt, &t) == 0 && t.shape == HD_SHAPE_SCALAR, "bad key type") &&
            check(c, hex_of(v, "hex", &hex, &n) == 0, "bad hex"))
        {
            /* docs/protocol.md 8: the key type's value bytes; an integer for a string key is
             * packed as an 8-byte little-endian int64 */
            const struct json* key = json_get(v, "key");
            struct hd_buf b;
            hd_buf_init(&b, SIZE_MAX);
            int rc;
            if (is_tagged(key, "int"))
            {
                rc = scalar_bytes(HD_SCALAR_INT64, key->items[0], &b);
            }
            else
            {
                rc = scalar_bytes(t.elem, key, &b);
            }
            check(c, rc == 0 && same_bytes(&b, hex, n), "key bytes differ");
            hd_buf_reset(&b);
            rc = hd_value_canonical(dt, hex, n, &b);
            check(c, rc == 0 && same_bytes(&b, hex, n), "key bytes are not a valid canonical %s", type_name);
            hd_buf_free(&b);
            ++counts[3];
        }
        free(hex);
        vector_end(c);
    }
    printf("values.json: %d valid, %d canonicalized, %d malformed, %d keys\n", counts[0], counts[1], counts[2], counts[3]);
}

/* ---- coordinates --------------------------------------------------------------------------- */

static int
expect_u64(const struct json* j, const char* key, uint64_t* out)
{
    return parse_u64(json_str(json_get(j, key)), out);
}

static void
test_coordinates(struct ctx* c, const struct json* root)
{
    ctx_section(c, "coordinates.json");
    int counts[6] = {0, 0, 0, 0, 0, 0};

    const struct json* hash = json_get(root, "hash");
    for (size_t vi = 0; hash != NULL && vi < hash->count; ++vi)
    {
        const struct json* v = hash->items[vi];
        vector_begin(c, "hash %s", json_str(json_get(v, "name")));
        uint8_t* in = NULL;
        size_t n = 0;
        const struct json* pattern = json_get(v, "pattern");
        uint64_t count;
        if (pattern != NULL && json_uint(json_get(pattern, "mod256"), &count) == 0)
        {
            n = (size_t)count;
            in = xmalloc(n);
            for (size_t i = 0; i < n; ++i)
            {
                in[i] = (uint8_t)(i % 256);
            }
        }
        else if (json_get(v, "utf8") != NULL)
        {
            const struct json* s = json_get(v, "utf8");
            n = s->text_len;
            in = xmalloc(n);
            memcpy(in, s->text, n);
        }
        else
        {
            check(c, hex_of(v, "hex", &in, &n) == 0, "bad hex");
        }
        uint64_t fnv = 0;
        uint64_t coord = 0;
        uint64_t coord_hex = 0;
        if (in != NULL && check(c, expect_u64(v, "fnv1a64", &fnv) == 0 && expect_u64(v, "coordinate", &coord) == 0, "bad numbers"))
        {
            check(c, hd_fnv1a64(in, n) == fnv, "fnv1a64 0x%016" PRIx64 ", expected 0x%016" PRIx64, hd_fnv1a64(in, n), fnv);
            check(c, hd_hash64(in, n) == coord, "hash64 %" PRIu64 ", expected %" PRIu64, hd_hash64(in, n), coord);
            check(c, hd_fmix64(fnv) == coord, "fmix64(fnv1a64)");
            if (expect_u64(v, "coordinateHex", &coord_hex) == 0)
            {
                check(c, coord_hex == coord, "coordinateHex and coordinate disagree in the vector");
            }
            uint64_t got = 0;
            check(c, hd_value_coordinate(HYPERDATATYPE_STRING, in, n, &got) == 0 && got == coord, "coordinate(string)");
            ++counts[0];
        }
        free(in);
        vector_end(c);
    }

    const struct json* ints = json_get(root, "int64");
    for (size_t vi = 0; ints != NULL && vi < ints->count; ++vi)
    {
        const struct json* v = ints->items[vi];
        vector_begin(c, "int64 %s", json_str(json_get(v, "value")));
        int64_t value = 0;
        uint64_t coord;
        uint8_t* hex = NULL;
        size_t n = 0;
        if (check(c, parse_i64(json_str(json_get(v, "value")), &value) == 0 && expect_u64(v, "coordinate", &coord) == 0 &&
                         hex_of(v, "hex", &hex, &n) == 0 && n == 8,
                  "bad vector"))
        {
            check(c, le64(hex) == (uint64_t)value, "hex is not the value's bytes");
            check(c, hd_int64_coordinate(value) == coord, "hd_int64_coordinate");
            uint64_t got = 0;
            check(c, hd_value_coordinate(HYPERDATATYPE_INT64, hex, n, &got) == 0 && got == coord, "coordinate from bytes");
            ++counts[1];
        }
        free(hex);
        vector_end(c);
    }

    const struct json* floats = json_get(root, "float");
    for (size_t vi = 0; floats != NULL && vi < floats->count; ++vi)
    {
        const struct json* v = floats->items[vi];
        vector_begin(c, "float %s", json_str(json_get(v, "value")));
        uint64_t coord;
        uint8_t* hex = NULL;
        size_t n = 0;
        if (check(c, expect_u64(v, "coordinate", &coord) == 0 && hex_of(v, "hex", &hex, &n) == 0 && n == 8, "bad vector"))
        {
            uint64_t bits = le64(hex);
            /* the value's first word, as strtod reads it: "5e-324 (smallest subnormal)" */
            double d = strtod(json_str(json_get(v, "value")), NULL);
            check(c, (isnan(d) && isnan(bits_double(bits))) || double_bits(d) == bits, "hex is not the value's bits");
            check(c, hd_float_bits_coordinate(bits) == coord, "hd_float_bits_coordinate");
            check(c, hd_float_coordinate(bits_double(bits)) == coord, "hd_float_coordinate");
            uint64_t got = 0;
            check(c, hd_value_coordinate(HYPERDATATYPE_FLOAT, hex, n, &got) == 0 && got == coord, "coordinate from bytes");
            ++counts[2];
        }
        free(hex);
        vector_end(c);
    }

    const struct json* typed = json_get(root, "typed");
    for (size_t vi = 0; typed != NULL && vi < typed->count; ++vi)
    {
        const struct json* v = typed->items[vi];
        vector_begin(c, "typed %s %s", json_str(json_get(v, "type")), json_str(json_get(v, "hex")));
        int dt = datatype_from_name(json_str(json_get(v, "type")));
        uint64_t coord;
        uint8_t* hex = NULL;
        size_t n = 0;
        if (check(c, dt > 0 && expect_u64(v, "coordinate", &coord) == 0 && hex_of(v, "hex", &hex, &n) == 0, "bad vector"))
        {
            uint64_t got = 0;
            int rc = hd_value_coordinate(dt, hex, n, &got);
            check(c, rc == 0 && got == coord, "coordinate %" PRIu64 " (rc %d), expected %" PRIu64, got, rc, coord);
            ++counts[3];
        }
        free(hex);
        vector_end(c);
    }

    const struct json* partitions = json_get(root, "partitions");
    uint64_t route_lower[4] = {0};
    uint64_t route_upper[4] = {0};
    int have_route_boxes = 0;
    for (size_t vi = 0; partitions != NULL && vi < partitions->count; ++vi)
    {
        const struct json* v = partitions->items[vi];
        uint64_t dims = 0;
        uint64_t count = 0;
        json_uint(json_get(v, "dims"), &dims);
        json_uint(json_get(v, "count"), &count);
        vector_begin(c, "partition dims %" PRIu64 " count %" PRIu64, dims, count);
        const struct json* boxes = json_get(v, "boxes");
        if (check(c, dims > 0 && dims < 64 && count > 0 && count < 65536 && boxes != NULL && boxes->count == count, "bad vector"))
        {
            uint64_t* lower = xmalloc(dims * count * sizeof *lower);
            uint64_t* upper = xmalloc(dims * count * sizeof *upper);
            int rc = hd_partition((size_t)dims, (size_t)count, lower, upper);
            if (check(c, rc == 0, "hd_partition gives %d", rc))
            {
                for (size_t i = 0; i < count; ++i)
                {
                    for (size_t a = 0; a < dims; ++a)
                    {
                        uint64_t lo = 0;
                        uint64_t hi = 0;
                        int ok = parse_u64(json_str(json_at(json_get(boxes->items[i], "lower"), a)), &lo) == 0 &&
                             parse_u64(json_str(json_at(json_get(boxes->items[i], "upper"), a)), &hi) == 0;
                        check(c, ok && lower[i * dims + a] == lo && upper[i * dims + a] == hi,
                              "box %zu axis %zu: [%" PRIu64 ", %" PRIu64 "]", i, a, lower[i * dims + a], upper[i * dims + a]);
                    }
                }
                if (dims == 1 && count == 4)
                {
                    memcpy(route_lower, lower, sizeof route_lower);
                    memcpy(route_upper, upper, sizeof route_upper);
                    have_route_boxes = 1;
                }
            }
            free(lower);
            free(upper);
            ++counts[4];
        }
        vector_end(c);
    }

    const struct json* routing = json_get(root, "routing");
    for (size_t vi = 0; routing != NULL && vi < routing->count; ++vi)
    {
        const struct json* v = routing->items[vi];
        const char* type_name = json_str(json_get(v, "keyType"));
        vector_begin(c, "routing %s key %s", type_name, json_get(v, "keyHex") != NULL ? json_str(json_get(v, "keyHex")) : "pattern");
        int dt = datatype_from_name(type_name);
        uint8_t* key = NULL;
        size_t n = 0;
        uint64_t count;
        const struct json* pattern = json_get(v, "keyPattern");
        if (pattern != NULL && json_uint(json_get(pattern, "mod256"), &count) == 0)
        {
            n = (size_t)count;
            key = xmalloc(n);
            for (size_t i = 0; i < n; ++i)
            {
                key[i] = (uint8_t)(i % 256);
            }
        }
        else
        {
            hex_of(v, "keyHex", &key, &n);
        }
        uint64_t coord;
        uint64_t region;
        if (check(c, dt > 0 && key != NULL && have_route_boxes && expect_u64(v, "coordinate", &coord) == 0 &&
                         json_uint(json_get(v, "region"), &region) == 0,
                  "bad vector (or no partition dims 1 count 4)"))
        {
            uint64_t got = 0;
            int rc = hd_value_coordinate(dt, key, n, &got);
            check(c, rc == 0 && got == coord, "coordinate %" PRIu64 " (rc %d), expected %" PRIu64, got, rc, coord);
            int found = -1;
            int holders = 0;
            for (int i = 0; i < 4; ++i)
            {
                if (hd_box_contains(1, &route_lower[i], &route_upper[i], &got))
                {
                    found = i;
                    ++holders;
                }
            }
            check(c, holders == 1 && (uint64_t)found == region, "region %d (%d boxes hold it), expected %" PRIu64, found, holders, region);
            ++counts[5];
        }
        free(key);
        vector_end(c);
    }
    printf("coordinates.json: %d hash, %d int64, %d float, %d typed, %d partitions, %d routing\n", counts[0],
           counts[1], counts[2], counts[3], counts[4], counts[5]);
}

/* ---- planner: the worked example of docs/protocol.md 4.14 ---------------------------------- */

struct pb_check
{
    const char* attr;  /* username, first, last, phone */
    int op;
    const char* str;   /* string value, or NULL for phone */
    int64_t num;
};

/* The phonebook: subspace 0 [username] regions 1..8, subspace 1 [first, last, phone] regions
 * 9..16, each cut by hd_partition into 8, heads servers[(i + s) mod 3] of servers 1, 2, 3. */
struct phonebook
{
    uint64_t lower0[8];
    uint64_t upper0[8];
    uint64_t lower1[24];
    uint64_t upper1[24];
};

static int
pb_interval(const struct pb_check* checks, size_t n, const char* attr, int datatype, uint64_t* lo, uint64_t* hi)
{
    struct hd_plan_check pc[8];
    uint8_t num[8][8];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 8; ++i)
    {
        if (strcmp(checks[i].attr, attr) != 0)
        {
            continue;
        }
        pc[k].op = checks[i].op;
        if (checks[i].str != NULL)
        {
            pc[k].value = (const uint8_t*)checks[i].str;
            pc[k].value_len = strlen(checks[i].str);
        }
        else
        {
            put_le64(num[k], (uint64_t)checks[i].num);
            pc[k].value = num[k];
            pc[k].value_len = 8;
        }
        ++k;
    }
    return hd_axis_interval(datatype, pc, k, lo, hi);
}

/* Regions (ids) of each subspace that can match; returns the plan's subspace. */
static int
pb_plan(const struct phonebook* pb, const struct pb_check* checks, size_t n, int regions[2][8], int count[2])
{
    static const char* axes1[3] = {"first", "last", "phone"};
    static const int types1[3] = {HYPERDATATYPE_STRING, HYPERDATATYPE_STRING, HYPERDATATYPE_INT64};
    uint64_t lo[3];
    uint64_t hi[3];
    count[0] = count[1] = 0;
    if (pb_interval(checks, n, "username", HYPERDATATYPE_STRING, &lo[0], &hi[0]) == 1)
    {
        for (int i = 0; i < 8; ++i)
        {
            if (hd_box_meets(1, &pb->lower0[i], &pb->upper0[i], lo, hi))
            {
                regions[0][count[0]++] = 1 + i;
            }
        }
    }
    int empty = 0;
    for (int a = 0; a < 3; ++a)
    {
        empty |= pb_interval(checks, n, axes1[a], types1[a], &lo[a], &hi[a]) != 1;
    }
    for (int i = 0; i < 8 && !empty; ++i)
    {
        if (hd_box_meets(3, &pb->lower1[3 * i], &pb->upper1[3 * i], lo, hi))
        {
            regions[1][count[1]++] = 9 + i;
        }
    }
    return count[1] < count[0] ? 1 : 0;
}

static int
parse_ids(const char* s, int* out, int max)
{
    int n = 0;
    while (*s != '\0' && n < max)
    {
        char* end;
        long v = strtol(s, &end, 10);
        if (end == s)
        {
            break;
        }
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

static void
test_planner(struct ctx* c)
{
    ctx_section(c, "planner (protocol.md 4.14)");
    struct phonebook pb;
    vector_begin(c, "phonebook regions");
    check(c, hd_partition(1, 8, pb.lower0, pb.upper0) == 0 && hd_partition(3, 8, pb.lower1, pb.upper1) == 0, "partition");
    /* region k of subspace 0 covers [(k-1) 2^61, k 2^61 - 1] */
    for (int k = 1; k <= 8; ++k)
    {
        check(c, pb.lower0[k - 1] == (uint64_t)(k - 1) << 61 && pb.upper0[k - 1] == ((uint64_t)(k - 1) << 61) + (((uint64_t)1 << 61) - 1),
              "region %d bounds", k);
    }
    /* regions 9..16: first, last, phone halves LLL, LLH, LHL, ... */
    for (int i = 0; i < 8; ++i)
    {
        for (int a = 0; a < 3; ++a)
        {
            int high = (i >> (2 - a)) & 1;
            check(c, pb.lower1[3 * i + a] == (high ? (uint64_t)1 << 63 : 0) &&
                         pb.upper1[3 * i + a] == (high ? UINT64_MAX : ((uint64_t)1 << 63) - 1),
                  "region %d axis %d is not %c", 9 + i, a, high ? 'H' : 'L');
        }
    }
    uint64_t coord = 0;
    hd_value_coordinate(HYPERDATATYPE_STRING, (const uint8_t*)"John", 4, &coord);
    check(c, coord == 0xadcf5083fc381ea1ULL, "\"John\" 0x%016" PRIx64, coord);
    hd_value_coordinate(HYPERDATATYPE_STRING, (const uint8_t*)"Smith", 5, &coord);
    check(c, coord == 0x743b90b62494c473ULL, "\"Smith\" 0x%016" PRIx64, coord);
    vector_end(c);

    enum
    {
        EQ = HYPERDEX_CHECK_EQUALS,
        LT = HYPERDEX_CHECK_LESS_THAN,
        LE = HYPERDEX_CHECK_LESS_EQUAL,
        GE = HYPERDEX_CHECK_GREATER_EQUAL,
        GT = HYPERDEX_CHECK_GREATER_THAN
    };
    static const struct
    {
        const char* name;
        struct pb_check checks[3];
        size_t n;
        const char* ss0;  /* regions that can match in subspace 0 */
        const char* ss1;
        int plan;
        const char* requests; /* "daemon:regions;..." in the table's order */
    } rows[] = {
        {"{username: \"jsmith1\"}", {{"username", EQ, "jsmith1", 0}}, 1, "5", "9,10,11,12,13,14,15,16", 0, "2:5"},
        {"{first: \"John\"}", {{"first", EQ, "John", 0}}, 1, "1,2,3,4,5,6,7,8", "13,14,15,16", 1, "3:13,16;1:14;2:15"},
        {"{first: \"John\", last: \"Smith\"}", {{"first", EQ, "John", 0}, {"last", EQ, "Smith", 0}}, 2, "1,2,3,4,5,6,7,8", "13,14", 1, "3:13;1:14"},
        {"{first: \"John\", last: \"Smith\", phone: 5551234}", {{"first", EQ, "John", 0}, {"last", EQ, "Smith", 0}, {"phone", EQ, NULL, 5551234}}, 3, "1,2,3,4,5,6,7,8", "14", 1, "1:14"},
        {"{last: \"Smith\"}", {{"last", EQ, "Smith", 0}}, 1, "1,2,3,4,5,6,7,8", "9,10,13,14", 1, "2:9;3:10,13;1:14"},
        {"{phone: [5550000, 5560000]}", {{"phone", GE, NULL, 5550000}, {"phone", LT, NULL, 5560000}}, 2, "1,2,3,4,5,6,7,8", "10,12,14,16", 1, "3:10,16;2:12;1:14"},
        {"{phone: [-10, 0]}", {{"phone", GE, NULL, -10}, {"phone", LT, NULL, 0}}, 2, "1,2,3,4,5,6,7,8", "9,11,13,15", 1, "2:9,15;1:11;3:13"},
        {"GREATER_THAN -1 on phone", {{"phone", GT, NULL, -1}}, 1, "1,2,3,4,5,6,7,8", "10,12,14,16", 1, "3:10,16;2:12;1:14"},
        {"LESS_EQUAL 0 on phone", {{"phone", LE, NULL, 0}}, 1, "1,2,3,4,5,6,7,8", "9,10,11,12,13,14,15,16", 0, "1:1,4,7;2:2,5,8;3:3,6"},
        {"{}", {{"", 0, NULL, 0}}, 0, "1,2,3,4,5,6,7,8", "9,10,11,12,13,14,15,16", 0, "1:1,4,7;2:2,5,8;3:3,6"},
        {"EQUALS \"John\" and EQUALS \"Jim\" on first", {{"first", EQ, "John", 0}, {"first", EQ, "Jim", 0}}, 2, "1,2,3,4,5,6,7,8", "", 1, ""},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; ++r)
    {
        vector_begin(c, "%s", rows[r].name);
        int regions[2][8];
        int count[2];
        int plan = pb_plan(&pb, rows[r].checks, rows[r].n, regions, count);
        int want0[8];
        int want1[8];
        int n0 = parse_ids(rows[r].ss0, want0, 8);
        int n1 = parse_ids(rows[r].ss1, want1, 8);
        check(c, count[0] == n0 && memcmp(regions[0], want0, (size_t)n0 * sizeof(int)) == 0, "subspace 0: %d regions", count[0]);
        check(c, count[1] == n1 && memcmp(regions[1], want1, (size_t)n1 * sizeof(int)) == 0, "subspace 1: %d regions", count[1]);
        check(c, plan == rows[r].plan, "plan takes subspace %d", plan);
        /* group the plan's regions by head: region index i of subspace s has head
         * servers[(i + s) mod 3] */
        char got[128] = "";
        int order[3] = {0, 0, 0};
        int norder = 0;
        char lists[4][64] = {"", "", "", ""};
        for (int k = 0; k < count[plan]; ++k)
        {
            int id = regions[plan][k];
            int index = plan == 0 ? id - 1 : id - 9;
            int head = 1 + (index + plan) % 3;
            if (lists[head][0] == '\0')
            {
                order[norder++] = head;
            }
            else
            {
                strcat(lists[head], ",");
            }
            char idbuf[8];
            snprintf(idbuf, sizeof idbuf, "%d", id);
            strcat(lists[head], idbuf);
        }
        for (int k = 0; k < norder; ++k)
        {
            char part[80];
            snprintf(part, sizeof part, "%s%d:%s", k > 0 ? ";" : "", order[k], lists[order[k]]);
            strcat(got, part);
        }
        check(c, strcmp(got, rows[r].requests) == 0, "requests \"%s\", expected \"%s\"", got, rows[r].requests);
        vector_end(c);
    }

    /* the intervals the section spells out */
    vector_begin(c, "axis intervals");
    uint64_t lo;
    uint64_t hi;
    struct pb_check pc[2] = {{"phone", GE, NULL, 5550000}, {"phone", LT, NULL, 5560000}};
    check(c, pb_interval(pc, 2, "phone", HYPERDATATYPE_INT64, &lo, &hi) == 1 && lo == 0x800000000054afb0ULL && hi == 0x800000000054d6bfULL,
          "[5550000, 5560000): [0x%016" PRIx64 ", 0x%016" PRIx64 "]", lo, hi);
    pc[0].num = -10;
    pc[1].num = 0;
    check(c, pb_interval(pc, 2, "phone", HYPERDATATYPE_INT64, &lo, &hi) == 1 && lo == 0x7ffffffffffffff6ULL && hi == 0x7fffffffffffffffULL,
          "[-10, 0)");
    struct pb_check gt[1] = {{"phone", GT, NULL, -1}};
    check(c, pb_interval(gt, 1, "phone", HYPERDATATYPE_INT64, &lo, &hi) == 1 && lo == 0x8000000000000000ULL && hi == UINT64_MAX, "> -1");
    struct pb_check le[1] = {{"phone", LE, NULL, 0}};
    check(c, pb_interval(le, 1, "phone", HYPERDATATYPE_INT64, &lo, &hi) == 1 && lo == 0 && hi == 0x8000000000000000ULL, "<= 0");
    struct pb_check edge[1] = {{"phone", GT, NULL, INT64_MAX}};
    check(c, pb_interval(edge, 1, "phone", HYPERDATATYPE_INT64, &lo, &hi) == 0, "> INT64_MAX is empty");
    edge[0].op = LT;
    edge[0].num = INT64_MIN;
    check(c, pb_interval(edge, 1, "phone", HYPERDATATYPE_INT64, &lo, &hi) == 0, "< INT64_MIN is empty");
    struct pb_check contradiction[2] = {{"phone", GE, NULL, 5}, {"phone", LT, NULL, 3}};
    check(c, pb_interval(contradiction, 2, "phone", HYPERDATATYPE_INT64, &lo, &hi) == 0, "x >= 5 and x < 3 is empty");
    struct pb_check srange[2] = {{"first", GE, "A", 0}, {"first", LT, "M", 0}};
    check(c, pb_interval(srange, 2, "first", HYPERDATATYPE_STRING, &lo, &hi) == 1 && lo == 0 && hi == UINT64_MAX,
          "a range on a string leaves the axis whole");
    /* float: strict bounds taken as inclusive (planner.ts) */
    uint8_t zero[8] = {0};
    struct hd_plan_check fc = {LT, zero, 8};
    check(c, hd_axis_interval(HYPERDATATYPE_FLOAT, &fc, 1, &lo, &hi) == 1 && lo == 0 && hi == 0x8000000000000000ULL,
          "float < 0: hi 0x%016" PRIx64 " (planner.ts: inclusive, the point of 0 and -0)", hi);
    fc.op = GT;
    check(c, hd_axis_interval(HYPERDATATYPE_FLOAT, &fc, 1, &lo, &hi) == 1 && lo == 0x8000000000000000ULL && hi == UINT64_MAX,
          "float > 0: inclusive");
    /* containers: an EQUALS is a point at the hash of the canonical bytes */
    static const uint8_t unsorted[] = {1, 0, 0, 0, 'b', 1, 0, 0, 0, 'a', 1, 0, 0, 0, 'b'};
    static const uint8_t sorted[] = {1, 0, 0, 0, 'a', 1, 0, 0, 0, 'b'};
    struct hd_plan_check sc = {EQ, unsorted, sizeof unsorted};
    check(c, hd_axis_interval(HYPERDATATYPE_SET_STRING, &sc, 1, &lo, &hi) == 1 && lo == hi && lo == hd_hash64(sorted, sizeof sorted),
          "set EQUALS: the hash of the sorted, deduplicated bytes");
    sc.op = LT;
    check(c, hd_axis_interval(HYPERDATATYPE_SET_STRING, &sc, 1, &lo, &hi) == 1 && lo == 0 && hi == UINT64_MAX, "set range: whole");
    struct hd_plan_check bad = {EQ, zero, 7};
    check(c, hd_axis_interval(HYPERDATATYPE_INT64, &bad, 1, &lo, &hi) == HD_VALUE_EMALFORMED, "a 7-byte int64 is refused");
    vector_end(c);
    printf("planner: the %zu predicates of the worked example, and the intervals it spells out\n", sizeof rows / sizeof rows[0]);
}

/* ---- wire units ---------------------------------------------------------------------------- */

static void
test_wire_units(struct ctx* c)
{
    ctx_section(c, "wire units");
    struct hd_buf b;
    hd_buf_init(&b, 1 << 20);

    vector_begin(c, "integers at every width boundary round-trip in the smallest form");
    static const int64_t ints[] = {0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffffLL, 0x100000000LL, INT64_MAX,
                                   -1, -32, -33, -128, -129, -32768, -32769, INT32_MIN, (int64_t)INT32_MIN - 1, INT64_MIN};
    static const size_t sizes[] = {1, 1, 1, 2, 2, 3, 3, 5, 5, 9, 9, 1, 1, 2, 2, 3, 3, 5, 5, 9, 9};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; ++i)
    {
        hd_buf_reset(&b);
        hd_wire_put_int(&b, ints[i]);
        struct hd_wire_reader r;
        struct hd_wire_item it;
        hd_wire_reader_init(&r, b.data, b.len);
        int ok = b.len == sizes[i] && hd_wire_check(b.data, b.len) == 0 && hd_wire_next(&r, &it) == 0;
        ok = ok && (ints[i] < 0 ? it.kind == HD_WIRE_INT && it.v.i == ints[i] : it.kind == HD_WIRE_UINT && it.v.u == (uint64_t)ints[i]);
        check(c, ok, "%" PRId64 ": %zu bytes", ints[i], b.len);
    }
    hd_buf_reset(&b);
    hd_wire_put_uint(&b, UINT64_MAX);
    uint64_t u = 0;
    struct hd_wire_reader r;
    hd_wire_reader_init(&r, b.data, b.len);
    check(c, b.len == 9 && b.data[0] == 0xcf && hd_wire_read_uint(&r, UINT64_MAX, &u) == 0 && u == UINT64_MAX, "2^64-1");
    vector_end(c);

    vector_begin(c, "strings, bins, arrays and maps at width boundaries");
    static const size_t lens[] = {0, 31, 32, 255, 256, 65535, 65536};
    uint8_t* payload = calloc(65536, 1);
    for (size_t i = 0; payload != NULL && i < sizeof lens / sizeof lens[0]; ++i)
    {
        const uint8_t* p;
        size_t n;
        hd_buf_reset(&b);
        hd_wire_put_str(&b, payload, lens[i]);
        hd_wire_put_bin(&b, payload, lens[i]);
        hd_wire_reader_init(&r, b.data, b.len);
        int ok = hd_wire_read_str(&r, &p, &n) == 0 && n == lens[i] && hd_wire_read_bin(&r, &p, &n) == 0 && n == lens[i] &&
                 hd_wire_reader_left(&r) == 0;
        check(c, ok, "str/bin of %zu", lens[i]);
    }
    free(payload);
    hd_buf_reset(&b);
    hd_wire_put_array(&b, 16);
    for (int i = 0; i < 16; ++i)
    {
        hd_wire_put_map(&b, 0);
    }
    check(c, b.data[0] == 0xdc && hd_wire_check(b.data, b.len) == 0, "array 16 of 16 empty maps");
    vector_end(c);

    vector_begin(c, "nesting: %d levels accepted, %d refused", HD_WIRE_DEPTH_MAX, HD_WIRE_DEPTH_MAX + 1);
    hd_buf_reset(&b);
    for (int i = 0; i < HD_WIRE_DEPTH_MAX - 1; ++i)
    {
        hd_wire_put_array(&b, 1);
    }
    hd_wire_put_nil(&b);
    check(c, hd_wire_check(b.data, b.len) == 0, "%d levels", HD_WIRE_DEPTH_MAX);
    hd_buf_reset(&b);
    for (int i = 0; i < HD_WIRE_DEPTH_MAX; ++i)
    {
        hd_wire_put_array(&b, 1);
    }
    hd_wire_put_nil(&b);
    check(c, hd_wire_check(b.data, b.len) == HD_WIRE_EDEPTH, "%d levels", HD_WIRE_DEPTH_MAX + 1);
    vector_end(c);

    vector_begin(c, "malformed inputs");
    static const struct
    {
        const char* hex;
        int rc;
    } bad[] = {
        {"", HD_WIRE_EEMPTY},
        {"c1", HD_WIRE_EBADBYTE},
        {"91c1", HD_WIRE_EBADBYTE},
        {"d401ff", HD_WIRE_EEXT},
        {"c70100ff", HD_WIRE_EEXT},
        {"92", HD_WIRE_ECOUNT},
        {"dd00000002c0", HD_WIRE_ECOUNT},
        {"81c0c0", HD_WIRE_EMAPKEY},
        {"8101c0", HD_WIRE_EMAPKEY},
        {"a3616263c0", HD_WIRE_ETRAILING},
        {"cd00", HD_WIRE_ETRUNCATED},
        {"cb000000", HD_WIRE_ETRUNCATED},
        {"c6ffffffff", HD_WIRE_ETRUNCATED},
        {"929100", HD_WIRE_ETRUNCATED},
        {"df0000000100", HD_WIRE_ECOUNT},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i)
    {
        uint8_t* p;
        size_t n;
        unhex(bad[i].hex, &p, &n);
        int rc = hd_wire_check(p, n);
        check(c, rc == bad[i].rc, "%s: %s, expected %s", bad[i].hex, hd_wire_strerror(rc), hd_wire_strerror(bad[i].rc));
        hd_wire_reader_init(&r, p, n);
        hd_wire_skip(&r);
        free(p);
    }
    vector_end(c);

    vector_begin(c, "reader typed reads");
    uint8_t* p;
    size_t n;
    unhex("94cd0100ffcb4010000000000000a161", &p, &n);
    uint32_t count;
    const uint8_t* s;
    size_t sn;
    hd_wire_reader_init(&r, p, n);
    check(c, hd_wire_read_array(&r, &count) == 0 && count == 4, "array");
    check(c, hd_wire_read_uint(&r, 255, &u) == HD_WIRE_ERANGE, "256 > 255");
    check(c, hd_wire_read_uint(&r, 255, &u) == HD_WIRE_ERANGE && r.error == HD_WIRE_ERANGE, "errors are sticky");
    hd_wire_reader_init(&r, p, n);
    check(c, hd_wire_read_array(&r, &count) == 0 && hd_wire_read_uint(&r, 65535, &u) == 0 && u == 256, "256");
    check(c, hd_wire_read_uint(&r, UINT64_MAX, &u) == HD_WIRE_ERANGE, "-1 is not a uint");
    hd_wire_reader_init(&r, p, n);
    hd_wire_read_array(&r, &count);
    hd_wire_skip(&r);
    hd_wire_skip(&r);
    check(c, hd_wire_read_uint(&r, 100, &u) == 0 && u == 4, "float64 4.0 as a uint");
    check(c, hd_wire_read_nil(&r) == 0 && hd_wire_read_bin(&r, &s, &sn) == HD_WIRE_ETYPE, "a str is not a bin");
    free(p);
    vector_end(c);

    vector_begin(c, "bounded buffer and frame encoder");
    struct hd_buf small;
    hd_buf_init(&small, 20);
    size_t start = hd_wire_frame_begin(&small, HYPERDEX_MSG_SPACE_LIST, 7);
    hd_wire_put_array(&small, 0);
    check(c, hd_wire_frame_end(&small, start, 15) == 0 && small.len == 15 && small.data[3] == 11, "smallest frame");
    check(c, hd_wire_put_str(&small, "0123456789", 10) == HD_WIRE_ETOOBIG && small.len == 15, "over the bound");
    check(c, hd_wire_put_nil(&small) == HD_WIRE_ETOOBIG && small.len == 15, "sticky");
    hd_buf_reset(&small);
    start = hd_wire_frame_begin(&small, HYPERDEX_MSG_SPACE_LIST, 7);
    hd_wire_put_str(&small, "ab", 2);
    check(c, hd_wire_frame_end(&small, start, 16) == HD_WIRE_ETOOBIG && small.len == 0, "frame over frame_bytes_max");
    start = hd_wire_frame_begin(&small, HYPERDEX_MSG_SPACE_LIST, 7);
    check(c, hd_wire_frame_end(&small, start, 100) == HD_WIRE_EEMPTY && small.len == 0, "frame without a body");
    hd_buf_free(&small);
    vector_end(c);

    hd_buf_free(&b);
}

/* ---- main ---------------------------------------------------------------------------------- */

int
main(int argc, char** argv)
{
    if (argc != 2)
    {
        fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
        return 2;
    }
    static const char* files[3] = {"frames.json", "values.json", "coordinates.json"};
    struct json* docs[3];
    for (int i = 0; i < 3; ++i)
    {
        char path[4096];
        char err[512];
        snprintf(path, sizeof path, "%s/%s", argv[1], files[i]);
        docs[i] = json_read_file(path, err, sizeof err);
        if (docs[i] == NULL)
        {
            fprintf(stderr, "%s\n", err);
            for (int k = 0; k < i; ++k)
            {
                json_free(docs[k]);
            }
            printf("0 passed, 1 failed\n");
            return 1;
        }
    }
    struct ctx c;
    memset(&c, 0, sizeof c);
    test_frames(&c, docs[0]);
    test_values(&c, docs[1]);
    test_coordinates(&c, docs[2]);
    test_planner(&c);
    test_wire_units(&c);
    for (int i = 0; i < 3; ++i)
    {
        json_free(docs[i]);
    }
    int passed = 0;
    int failed = 0;
    for (int i = 0; i < c.nsections; ++i)
    {
        printf("  %-28s %4d passed, %d failed\n", c.sections[i].name, c.sections[i].passed, c.sections[i].failed);
        passed += c.sections[i].passed;
        failed += c.sections[i].failed;
    }
    printf("(%ld checks)\n", c.checks);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
