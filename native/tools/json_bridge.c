/* hyperclient-json-bridge HOST PORT [TIMEOUT_MS]: runs operations given as JSON lines on stdin
 * through libhyperclient and prints one JSON line per operation, in order. The request and result
 * formats are docs/bridge.md's; they are shared with the Python and TypeScript bridges, so that one
 * scenario run through all three must print the same bytes. Hence the canonical printing below:
 * object members sorted by name, search results sorted by their printed text, floats in the
 * ECMAScript shortest form, one fixed escaping of strings.
 *
 * Every operation is completed with hyperclient_loop() before the next line is read, within
 * TIMEOUT_MS (30 s by default); past that it prints {"status":"TIMEOUT"} and goes on. An operation
 * given up on this way stays outstanding in the library, which may still write its status and
 * attributes, so its storage is kept until the client is destroyed.
 *
 * Lines are bounded (16 MiB); bad JSON, unknown ops and malformed fields print an error line. A request
 * names at most FIELDS_MAX attributes or checks, and a map operation at most MAP_ENTRIES_MAX entries
 * (one micro-operation each); the arrays those entries need are allocated per request, sized to it. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hyperclient.h"
#include "hyperdex_constants.h"
#include "json.h"

#define LINE_BYTES_MAX ((size_t)16 << 20)
#define TIMEOUT_MS_DEFAULT 30000
/* the C API's per-request limit on attributes and checks (docs/protocol.md 4.1) */
#define FIELDS_MAX HYPERDEX_ATTRIBUTES_PER_REQUEST_MAX
/* values and names of a request other than a map operation: condput's condition and attrs, or a
 * predicate's checks (two per range) */
#define VALUES_MAX (3 * FIELDS_MAX)
/* the C API's per-request limit on the entries of a map operation, each one micro-operation
 * (docs/protocol.md 4.1); more is refused with OVERFLOW, as libhyperclient refuses it */
#define MAP_ENTRIES_MAX HYPERDEX_MICRO_OPS_PER_REQUEST_MAX
/* 2^53 - 1: integers beyond it print as {"int": "..."} so that every JSON reader keeps them exact */
#define SAFE_INTEGER_MAX INT64_C(9007199254740991)

/* ---- byte buffers ------------------------------------------------------------------------- */

struct buf
{
    char* data;
    size_t len;
    size_t cap;
    int oom;
};

static void
buf_put(struct buf* b, const void* p, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap)
    {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        char* d = realloc(b->data, cap);
        if (!d)
        {
            b->oom = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void
buf_str(struct buf* b, const char* s)
{
    buf_put(b, s, strlen(s));
}

static void
buf_free(struct buf* b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* A heap copy of the buffer's text (the buffer is emptied), or NULL. */
static char*
buf_take(struct buf* b)
{
    if (b->oom)
    {
        buf_free(b);
        return NULL;
    }
    if (!b->data) buf_put(b, "", 0);
    char* s = b->data;
    memset(b, 0, sizeof(*b));
    return s;
}

/* ---- the request: errors ----------------------------------------------------------------- */

/* The error codes of error lines (docs/bridge.md): fixed words, so that bridges in different
 * languages print the same line; the reason goes to stderr. */
#define E_BADJSON "BADJSON"
#define E_BADOP "BADOP"
#define E_BADARG "BADARG"
#define E_UNSUPPORTED "UNSUPPORTED"
#define E_TOOLONG "TOOLONG"
#define E_NOMEM "NOMEM"

struct req
{
    const struct json* j;
    const char* error;  /* set by the first failure */
    char reason[256];
    long line;
};

/* A programmer error (an invariant broken), not an operating one: stop rather than go on wrong. */
static _Noreturn void
bridge_bug(const char* what)
{
    fprintf(stderr, "hyperclient-json-bridge: bug: %s\n", what);
    abort();
}

static void
req_fail(struct req* r, const char* code, const char* fmt, const char* what)
{
    if (r->error) return;
    r->error = code;
    snprintf(r->reason, sizeof(r->reason), fmt, what ? what : "");
}

/* ---- values: JSON to typed bytes ---------------------------------------------------------- */

enum scalar
{
    SC_NONE = 0,
    SC_STRING,
    SC_INT,
    SC_FLOAT
};

/* A value encoded for the C API: its datatype and bytes. */
struct val
{
    enum hyperdatatype datatype;
    enum scalar scalar; /* for scalars: which one */
    struct buf bytes;
};

static void
val_free(struct val* v)
{
    buf_free(&v->bytes);
}

static void
put_le64(struct buf* b, uint64_t u)
{
    unsigned char p[8];
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(u >> (8 * i));
    buf_put(b, p, 8);
}

static uint64_t
get_le64(const unsigned char* p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)p[i] << (8 * i);
    return u;
}

static int
parse_int_text(const char* s, int64_t* out)
{
    const char* p = s;
    if (*p == '-') p++;
    if (!*p) return -1;
    for (const char* q = p; *q; q++)
        if (*q < '0' || *q > '9') return -1;
    errno = 0;
    char* end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return -1;
    *out = (int64_t)v;
    return 0;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int
parse_float_text(const char* s, double* out)
{
    if (strcmp(s, "Infinity") == 0)
        *out = INFINITY;
    else if (strcmp(s, "-Infinity") == 0)
        *out = -INFINITY;
    else if (strcmp(s, "NaN") == 0)
        *out = NAN;
    else if (strncmp(s, "NaN:0x", 6) == 0)
    {
        /* a NaN with other bits than the canonical one, as the bridge prints it */
        uint64_t u = 0;
        if (strlen(s + 6) != 16) return -1;
        for (const char* p = s + 6; *p; p++)
        {
            int h = hexval(*p);
            if (h < 0) return -1;
            u = u << 4 | (uint64_t)h;
        }
        memcpy(out, &u, 8);
        if (!isnan(*out)) return -1;
    }
    else
    {
        /* JSON number syntax only: no hex floats, no "inf", no spaces */
        const char* p = s;
        if (*p == '-') p++;
        if (*p < '0' || *p > '9') return -1;
        for (const char* q = p; *q; q++)
            if (!strchr("0123456789.eE+-", *q)) return -1;
        char* end;
        errno = 0;
        *out = strtod(s, &end);
        if (*end || end == s) return -1;
    }
    return 0;
}

/* One scalar: a JSON string, an integer, {"int": ...}, {"float": ...} or {"bytes": "hex"}. */
static int
encode_scalar(struct req* r, const struct json* j, struct val* v)
{
    v->bytes.len = 0;
    if (j->kind == JSON_STRING)
    {
        v->scalar = SC_STRING;
        v->datatype = HYPERDATATYPE_STRING;
        buf_put(&v->bytes, j->text, j->text_len);
        return 0;
    }
    if (j->kind == JSON_NUMBER)
    {
        int64_t i;
        if (parse_int_text(j->text, &i))
        {
            req_fail(r, E_BADARG, "%s is not an int64 (write floats as {\"float\": ...})", j->text);
            return -1;
        }
        v->scalar = SC_INT;
        v->datatype = HYPERDATATYPE_INT64;
        put_le64(&v->bytes, (uint64_t)i);
        return 0;
    }
    if (j->kind == JSON_OBJECT && j->count == 1)
    {
        const char* tag = j->keys[0];
        const struct json* x = j->items[0];
        if (strcmp(tag, "int") == 0 && (x->kind == JSON_STRING || x->kind == JSON_NUMBER))
        {
            int64_t i;
            if (parse_int_text(x->text, &i))
            {
                req_fail(r, E_BADARG, "bad int64 %s", x->text);
                return -1;
            }
            v->scalar = SC_INT;
            v->datatype = HYPERDATATYPE_INT64;
            put_le64(&v->bytes, (uint64_t)i);
            return 0;
        }
        if (strcmp(tag, "float") == 0 && (x->kind == JSON_STRING || x->kind == JSON_NUMBER))
        {
            double d;
            if (parse_float_text(x->text, &d))
            {
                req_fail(r, E_BADARG, "bad float %s", x->text);
                return -1;
            }
            uint64_t u;
            memcpy(&u, &d, 8);
            v->scalar = SC_FLOAT;
            v->datatype = HYPERDATATYPE_FLOAT;
            put_le64(&v->bytes, u);
            return 0;
        }
        if (strcmp(tag, "bytes") == 0 && x->kind == JSON_STRING && x->text_len % 2 == 0)
        {
            v->scalar = SC_STRING;
            v->datatype = HYPERDATATYPE_STRING;
            for (size_t i = 0; i < x->text_len; i += 2)
            {
                int hi = hexval(x->text[i]), lo = hexval(x->text[i + 1]);
                if (hi < 0 || lo < 0)
                {
                    req_fail(r, E_BADARG, "bad hex in {\"bytes\": ...}%s", NULL);
                    return -1;
                }
                unsigned char c = (unsigned char)(hi << 4 | lo);
                buf_put(&v->bytes, &c, 1);
            }
            return 0;
        }
    }
    req_fail(r, E_BADARG, "not a scalar value%s", NULL);
    return -1;
}

static enum scalar
scalar_named(const char* s)
{
    if (!s) return SC_NONE;
    if (strcmp(s, "string") == 0) return SC_STRING;
    if (strcmp(s, "int64") == 0) return SC_INT;
    if (strcmp(s, "float") == 0) return SC_FLOAT;
    return SC_NONE;
}

/* Element order of docs/protocol.md section 7, on encoded scalars (-0 already written as 0). */
static int
scalar_cmp(enum scalar t, const struct buf* a, const struct buf* b)
{
    if (t == SC_STRING)
    {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(a->data, b->data, n) : 0;
        if (c) return c;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    uint64_t ua = get_le64((const unsigned char*)a->data), ub = get_le64((const unsigned char*)b->data);
    if (t == SC_INT)
    {
        int64_t x = (int64_t)ua, y = (int64_t)ub;
        return x < y ? -1 : x > y;
    }
    double x, y;
    memcpy(&x, &ua, 8);
    memcpy(&y, &ub, 8);
    if (isnan(x) || isnan(y))
    {
        /* NaN after +Infinity; NaNs among themselves by their bits */
        if (!isnan(y)) return 1;
        if (!isnan(x)) return -1;
        return ua < ub ? -1 : ua > ub;
    }
    return x < y ? -1 : x > y;
}

/* a float set element or map key: -0 is the element 0 */
static void
zero_sign(enum scalar t, struct buf* b)
{
    if (t == SC_FLOAT && get_le64((const unsigned char*)b->data) == UINT64_C(0x8000000000000000))
    {
        b->len = 0;
        put_le64(b, 0);
    }
}

static void
put_element(struct buf* out, enum scalar t, const struct buf* e)
{
    if (t == SC_STRING)
    {
        unsigned char n[4];
        for (int i = 0; i < 4; i++) n[i] = (unsigned char)(e->len >> (8 * i));
        buf_put(out, n, 4);
    }
    buf_put(out, e->data, e->len);
}

static enum hyperdatatype
list_type(enum scalar t)
{
    return t == SC_STRING ? HYPERDATATYPE_LIST_STRING : t == SC_INT ? HYPERDATATYPE_LIST_INT64 : HYPERDATATYPE_LIST_FLOAT;
}

static enum hyperdatatype
set_type(enum scalar t)
{
    return t == SC_STRING ? HYPERDATATYPE_SET_STRING : t == SC_INT ? HYPERDATATYPE_SET_INT64 : HYPERDATATYPE_SET_FLOAT;
}

static enum hyperdatatype
map_type(enum scalar k, enum scalar v)
{
    int base = k == SC_STRING ? 9024 : k == SC_INT ? 9040 : 9056;
    return (enum hyperdatatype)(base + (int)v);
}

/* An element sorted for a set or a map: its scalar bytes, and for a map its value's. */
struct entry
{
    struct val k;
    struct val v;
};

static enum scalar sort_scalar;

static int
entry_cmp(const void* a, const void* b)
{
    return scalar_cmp(sort_scalar, &((const struct entry*)a)->k.bytes, &((const struct entry*)b)->k.bytes);
}

/* The element (or key, or value) type of a container: the "of" member, else the first element's. */
static int
elements_of(struct req* r, const struct json* list, const struct json* of, int pos, enum scalar* t, struct entry** out)
{
    *out = NULL;
    if (!list || list->kind != JSON_ARRAY)
    {
        req_fail(r, E_BADARG, "a container's elements must be an array%s", NULL);
        return -1;
    }
    struct entry* es = calloc(list->count ? list->count : 1, sizeof(*es));
    if (!es)
    {
        req_fail(r, E_NOMEM, "out of memory%s", NULL);
        return -1;
    }
    *out = es;
    enum scalar kt = SC_NONE, vt = SC_NONE;
    if (of)
    {
        if (pos < 0)
        {
            if (of->kind != JSON_ARRAY || of->count != 2 || !(kt = scalar_named(json_str(json_at(of, 0)))) ||
                !(vt = scalar_named(json_str(json_at(of, 1)))))
            {
                req_fail(r, E_BADARG, "a map's \"of\" is [KEYTYPE, VALUETYPE]%s", NULL);
                return -1;
            }
        }
        else if (!(kt = scalar_named(json_str(of))))
        {
            req_fail(r, E_BADARG, "\"of\" is \"string\", \"int64\" or \"float\"%s", NULL);
            return -1;
        }
    }
    for (size_t i = 0; i < list->count; i++)
    {
        const struct json* e = list->items[i];
        if (pos < 0)
        {
            if (e->kind != JSON_ARRAY || e->count != 2)
            {
                req_fail(r, E_BADARG, "a map's entries are [key, value] pairs%s", NULL);
                return -1;
            }
            if (encode_scalar(r, e->items[0], &es[i].k) || encode_scalar(r, e->items[1], &es[i].v)) return -1;
            if (!kt) kt = es[i].k.scalar;
            if (!vt) vt = es[i].v.scalar;
            if (es[i].k.scalar != kt || es[i].v.scalar != vt)
            {
                req_fail(r, E_BADARG, "a map's keys (and values) must all have one type%s", NULL);
                return -1;
            }
        }
        else
        {
            if (encode_scalar(r, e, &es[i].k)) return -1;
            if (!kt) kt = es[i].k.scalar;
            if (es[i].k.scalar != kt)
            {
                req_fail(r, E_BADARG, "a container's elements must all have one type%s", NULL);
                return -1;
            }
        }
    }
    t[0] = kt;
    if (pos < 0) t[1] = vt;
    return 0;
}

static void
entries_free(struct entry* es, size_t n)
{
    if (!es) return;
    for (size_t i = 0; i < n; i++)
    {
        val_free(&es[i].k);
        val_free(&es[i].v);
    }
    free(es);
}

/* Any value: a scalar, {"list": [...]}, {"set": [...]} or {"map": [[k, v], ...]}, each container
 * with an optional "of". Sets and maps are sent in canonical order; an empty container without
 * "of" goes as the generic type of its shape, which the library accepts for any element type. */
static int
encode_value(struct req* r, const struct json* j, struct val* v)
{
    memset(v, 0, sizeof(*v));
    if (j->kind != JSON_OBJECT || j->count == 0 ||
        (strcmp(j->keys[0], "list") != 0 && strcmp(j->keys[0], "set") != 0 && strcmp(j->keys[0], "map") != 0))
        return encode_scalar(r, j, v);
    const char* shape = j->keys[0];
    const struct json* of = json_get(j, "of");
    if (j->count != (of ? 2u : 1u))
    {
        req_fail(r, E_BADARG, "unexpected member in a %s value", shape);
        return -1;
    }
    const struct json* list = j->items[0];
    int is_map = shape[0] == 'm';
    enum scalar t[2] = {SC_NONE, SC_NONE};
    struct entry* es;
    if (elements_of(r, list, of, is_map ? -1 : 0, t, &es))
    {
        entries_free(es, list && list->kind == JSON_ARRAY ? list->count : 0);
        return -1;
    }
    size_t n = list->count;
    if (shape[0] != 'l')
    {
        for (size_t i = 0; i < n; i++) zero_sign(t[0], &es[i].k.bytes);
        sort_scalar = t[0];
        if (n > 1) qsort(es, n, sizeof(*es), entry_cmp);
    }
    for (size_t i = 0; i < n; i++)
    {
        /* duplicates: a set drops them (as Python's and JavaScript's sets do); a map cannot hold a
         * key twice in the other languages, so it is refused */
        if (shape[0] != 'l' && i > 0 && scalar_cmp(t[0], &es[i - 1].k.bytes, &es[i].k.bytes) == 0)
        {
            if (is_map)
            {
                req_fail(r, E_BADARG, "a map names one key twice%s", NULL);
                entries_free(es, n);
                return -1;
            }
            continue;
        }
        put_element(&v->bytes, t[0], &es[i].k.bytes);
        if (is_map) put_element(&v->bytes, t[1], &es[i].v.bytes);
    }
    entries_free(es, n);
    if (shape[0] == 'l')
        v->datatype = t[0] ? list_type(t[0]) : HYPERDATATYPE_LIST_GENERIC;
    else if (shape[0] == 's')
        v->datatype = t[0] ? set_type(t[0]) : HYPERDATATYPE_SET_GENERIC;
    else
        v->datatype = t[0] ? map_type(t[0], t[1]) : HYPERDATATYPE_MAP_GENERIC;
    if (v->bytes.oom)
    {
        req_fail(r, E_NOMEM, "out of memory%s", NULL);
        return -1;
    }
    return 0;
}

/* ---- values: typed bytes to canonical JSON ------------------------------------------------- */

static int
utf8_valid(const unsigned char* s, size_t n)
{
    size_t i = 0;
    while (i < n)
    {
        unsigned c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80)
        {
            i++;
            continue;
        }
        else if (c >= 0xc2 && c <= 0xdf)
        {
            len = 2;
            cp = c & 0x1f;
        }
        else if (c >= 0xe0 && c <= 0xef)
        {
            len = 3;
            cp = c & 0x0f;
        }
        else if (c >= 0xf0 && c <= 0xf4)
        {
            len = 4;
            cp = c & 0x07;
        }
        else
            return 0;
        if (i + len > n) return 0;
        for (size_t k = 1; k < len; k++)
        {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        /* overlong forms, surrogates and code points past U+10FFFF are not UTF-8 */
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

/* A JSON string with the escaping of JSON.stringify and Python's json.dumps(ensure_ascii=False):
 * \" \\ \b \f \n \r \t, other controls as \u00xx, everything else as is. */
static void
print_json_string(struct buf* b, const char* s, size_t n)
{
    buf_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++)
    {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        switch (c)
        {
        case '"': buf_str(b, "\\\""); break;
        case '\\': buf_str(b, "\\\\"); break;
        case '\b': buf_str(b, "\\b"); break;
        case '\f': buf_str(b, "\\f"); break;
        case '\n': buf_str(b, "\\n"); break;
        case '\r': buf_str(b, "\\r"); break;
        case '\t': buf_str(b, "\\t"); break;
        default:
            if (c < 0x20)
            {
                snprintf(esc, sizeof(esc), "\\u%04x", c);
                buf_str(b, esc);
            }
            else
                buf_put(b, &s[i], 1);
        }
    }
    buf_put(b, "\"", 1);
}

static void
print_string_value(struct buf* b, const char* s, size_t n)
{
    if (utf8_valid((const unsigned char*)s, n))
    {
        print_json_string(b, s, n);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    buf_str(b, "{\"bytes\":\"");
    for (size_t i = 0; i < n; i++)
    {
        unsigned char c = (unsigned char)s[i];
        char h[2] = {hex[c >> 4], hex[c & 15]};
        buf_put(b, h, 2);
    }
    buf_str(b, "\"}");
}

static void
print_int(struct buf* b, int64_t v)
{
    char t[32];
    snprintf(t, sizeof(t), "%" PRId64, v);
    if (v > SAFE_INTEGER_MAX || v < -SAFE_INTEGER_MAX)
    {
        buf_str(b, "{\"int\":\"");
        buf_str(b, t);
        buf_str(b, "\"}");
    }
    else
        buf_str(b, t);
}

/* ECMAScript's Number::toString for a finite, nonzero, positive double: the shortest digits
 * that read back as the same double, laid out by the spec's rules (plain up to 21 integer
 * digits and down to 1e-6, else d.ddde+n). */
static void
format_double(char* out, size_t outsz, double x)
{
    char t[40];
    for (int p = 1; p <= 17; p++)
    {
        snprintf(t, sizeof(t), "%.*e", p - 1, x);
        if (strtod(t, NULL) == x) break;
    }
    /* t is d[.ddd]e[+-]xx */
    char digits[24];
    int k = 0;
    const char* e = strchr(t, 'e');
    for (const char* p = t; p < e; p++)
        if (*p >= '0' && *p <= '9') digits[k++] = *p;
    while (k > 1 && digits[k - 1] == '0') k--;
    digits[k] = '\0';
    int n = atoi(e + 1) + 1;
    if (k <= n && n <= 21)
        snprintf(out, outsz, "%s%.*s", digits, n - k, "000000000000000000000");
    else if (0 < n && n <= 21)
        snprintf(out, outsz, "%.*s.%s", n, digits, digits + n);
    else if (-6 < n && n <= 0)
        snprintf(out, outsz, "0.%.*s%s", -n, "000000", digits);
    else if (k == 1)
        snprintf(out, outsz, "%se%c%d", digits, n - 1 >= 0 ? '+' : '-', abs(n - 1));
    else
        snprintf(out, outsz, "%c.%se%c%d", digits[0], digits + 1, n - 1 >= 0 ? '+' : '-', abs(n - 1));
}

static void
print_float(struct buf* b, uint64_t bits)
{
    double d;
    memcpy(&d, &bits, 8);
    char t[64];
    if (isnan(d))
    {
        if (bits == UINT64_C(0x7ff8000000000000))
            snprintf(t, sizeof(t), "NaN");
        else
            snprintf(t, sizeof(t), "NaN:0x%016" PRIx64, bits);
    }
    else if (isinf(d))
        snprintf(t, sizeof(t), "%s", d < 0 ? "-Infinity" : "Infinity");
    else if (d == 0)
        snprintf(t, sizeof(t), "%s", signbit(d) ? "-0" : "0");
    else
    {
        t[0] = '-';
        format_double(d < 0 ? t + 1 : t, sizeof(t) - 1, fabs(d));
    }
    buf_str(b, "{\"float\":\"");
    buf_str(b, t);
    buf_str(b, "\"}");
}

/* One element of a container, at *p (advanced); -1 when the bytes end early. */
static int
print_element(struct buf* b, enum scalar t, const unsigned char** p, const unsigned char* end)
{
    if (t == SC_STRING)
    {
        if (end - *p < 4) return -1;
        uint32_t n = (uint32_t)(*p)[0] | (uint32_t)(*p)[1] << 8 | (uint32_t)(*p)[2] << 16 | (uint32_t)(*p)[3] << 24;
        *p += 4;
        if ((size_t)(end - *p) < n) return -1;
        print_string_value(b, (const char*)*p, n);
        *p += n;
        return 0;
    }
    if (end - *p < 8) return -1;
    uint64_t u = get_le64(*p);
    *p += 8;
    if (t == SC_INT)
        print_int(b, (int64_t)u);
    else
        print_float(b, u);
    return 0;
}

/* The element types of a datatype: shape 'l', 's', 'm' or 0 for a scalar. */
static int
type_parts(enum hyperdatatype dt, char* shape, enum scalar* k, enum scalar* v)
{
    int d = (int)dt;
    *shape = 0;
    *k = *v = SC_NONE;
    if (d == HYPERDATATYPE_STRING) *k = SC_STRING;
    else if (d == HYPERDATATYPE_INT64) *k = SC_INT;
    else if (d == HYPERDATATYPE_FLOAT) *k = SC_FLOAT;
    else if (d >= 8977 && d <= 8979) { *shape = 'l'; *k = (enum scalar)(d - 8976); }
    else if (d >= 8993 && d <= 8995) { *shape = 's'; *k = (enum scalar)(d - 8992); }
    else if (d >= 9025 && d <= 9059 && (d - 9024) % 16 >= 1 && (d - 9024) % 16 <= 3 && (d - 9024) / 16 <= 2)
    {
        *shape = 'm';
        *k = (enum scalar)((d - 9024) / 16 + 1);
        *v = (enum scalar)((d - 9024) % 16);
    }
    else
        return -1;
    return 0;
}

/* An element's printed text and its place in the element order, for sorting containers that a
 * library might hand back unsorted. */
struct printed
{
    char* text;
    struct buf key;
};

static int
printed_cmp(const void* a, const void* b)
{
    return scalar_cmp(sort_scalar, &((const struct printed*)a)->key, &((const struct printed*)b)->key);
}

static void
print_value(struct buf* b, enum hyperdatatype dt, const char* data, size_t n)
{
    char shape;
    enum scalar k, v;
    const unsigned char* p = (const unsigned char*)data;
    const unsigned char* end = p + n;
    if (type_parts(dt, &shape, &k, &v) == 0 && !shape)
    {
        if (k == SC_STRING) print_string_value(b, data, n);
        else if (n == 8 && k == SC_INT) print_int(b, (int64_t)get_le64(p));
        else if (n == 8) print_float(b, get_le64(p));
        else goto malformed;
        return;
    }
    if (type_parts(dt, &shape, &k, &v)) goto malformed;
    {
        /* elements printed one by one, then sorted (sets by element, maps by key) */
        size_t cap = 16, count = 0;
        struct printed* items = calloc(cap, sizeof(*items));
        int bad = !items;
        while (!bad && p < end)
        {
            if (count == cap)
            {
                struct printed* more = realloc(items, 2 * cap * sizeof(*items));
                if (!more) { bad = 1; break; }
                memset(more + cap, 0, cap * sizeof(*more));
                items = more;
                cap *= 2;
            }
            struct buf t = {0};
            const unsigned char* start = p;
            if (shape == 'm') buf_put(&t, "[", 1);
            if (print_element(&t, k, &p, end)) bad = 1;
            /* the sort key: the element's (or map key's) scalar bytes */
            const unsigned char* q = start + (k == SC_STRING ? 4 : 0);
            buf_put(&items[count].key, q, (size_t)(p - q));
            if (!bad && shape == 'm')
            {
                buf_put(&t, ",", 1);
                if (print_element(&t, v, &p, end)) bad = 1;
                buf_put(&t, "]", 1);
            }
            items[count++].text = buf_take(&t);
            if (!items[count - 1].text) bad = 1;
        }
        if (!bad && shape != 'l')
        {
            sort_scalar = k;
            if (count > 1) qsort(items, count, sizeof(*items), printed_cmp);
        }
        if (!bad)
        {
            buf_str(b, shape == 'l' ? "{\"list\":[" : shape == 's' ? "{\"set\":[" : "{\"map\":[");
            for (size_t i = 0; i < count; i++)
            {
                if (i) buf_put(b, ",", 1);
                buf_str(b, items[i].text);
            }
            buf_str(b, "]}");
        }
        for (size_t i = 0; i < count; i++)
        {
            free(items[i].text);
            buf_free(&items[i].key);
        }
        free(items);
        if (!bad) return;
    }
malformed:
    /* never expected from the library; printed so that a comparison shows it */
    buf_str(b, "{\"malformed\":");
    char num[16];
    snprintf(num, sizeof(num), "%d", (int)dt);
    buf_str(b, num);
    buf_str(b, "}");
}

static const struct hyperclient_attribute* attr_sort_base;

static int
attr_index_cmp(const void* a, const void* b)
{
    return strcmp(attr_sort_base[*(const size_t*)a].attr, attr_sort_base[*(const size_t*)b].attr);
}

/* An object: its attributes as members sorted by name (bytewise). */
static void
print_object(struct buf* b, const struct hyperclient_attribute* attrs, size_t n)
{
    size_t* order = calloc(n ? n : 1, sizeof(*order));
    if (!order)
    {
        b->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) order[i] = i;
    attr_sort_base = attrs;
    qsort(order, n, sizeof(*order), attr_index_cmp);
    buf_put(b, "{", 1);
    for (size_t i = 0; i < n; i++)
    {
        const struct hyperclient_attribute* a = &attrs[order[i]];
        if (i) buf_put(b, ",", 1);
        print_json_string(b, a->attr, strlen(a->attr));
        buf_put(b, ":", 1);
        print_value(b, a->datatype, a->value, a->value_sz);
    }
    buf_put(b, "}", 1);
    free(order);
}

/* ---- attribute lists of a request ------------------------------------------------------------ */

/* Every name and value given, in request order: `names[i]` is the attribute that index i of the
 * C call's combined arrays refers to, so that a `-1 - idx` return can name it.
 *
 * attrs, maps, vals and names are on the heap, reserved once per request before anything is added
 * (fields_reserve): a map operation fills them once per entry, up to MAP_ENTRIES_MAX, so they are
 * sized to its entries; any other request gets FIELDS_MAX attributes and VALUES_MAX values and
 * names, as before. They never grow, so a pointer to a val stays valid for the whole request. */
struct fields
{
    struct hyperclient_attribute* attrs;
    struct hyperclient_map_attribute* maps;
    struct val* vals;
    const char** names;
    size_t attrs_max, maps_max, vals_max, names_max;
    size_t attrs_n, maps_n, vals_n, names_n;
    struct hyperclient_attribute_check checks[FIELDS_MAX];
    struct hyperclient_attribute eq[FIELDS_MAX];
    struct hyperclient_range_query rn[FIELDS_MAX];
    size_t checks_n, eq_n, rn_n;
    /* a map operation with more than MAP_ENTRIES_MAX entries, all well formed: refused with
     * OVERFLOW without calling the library (which would refuse it so before reading them) */
    int overflow;
};

/* Room for the request's attributes, map entries, values and names; 0, or -1 with NOMEM. */
static int
fields_reserve(struct req* r, struct fields* f, size_t attrs_max, size_t maps_max, size_t vals_max, size_t names_max)
{
    /* reserved once: the arrays must not move under the pointers handed out */
    if (f->attrs || f->maps || f->vals || f->names) bridge_bug("a request's fields reserved twice");
    f->attrs = calloc(attrs_max ? attrs_max : 1, sizeof(*f->attrs));
    f->maps = calloc(maps_max ? maps_max : 1, sizeof(*f->maps));
    f->vals = calloc(vals_max ? vals_max : 1, sizeof(*f->vals));
    f->names = calloc(names_max ? names_max : 1, sizeof(*f->names));
    if (!f->attrs || !f->maps || !f->vals || !f->names)
    {
        req_fail(r, E_NOMEM, "out of memory%s", NULL);
        return -1; /* fields_free releases what was allocated */
    }
    f->attrs_max = attrs_max;
    f->maps_max = maps_max;
    f->vals_max = vals_max;
    f->names_max = names_max;
    return 0;
}

static struct val*
new_val(struct req* r, struct fields* f)
{
    if (f->vals_n == f->vals_max)
    {
        char max[24];
        snprintf(max, sizeof(max), "%zu", f->vals_max);
        req_fail(r, E_BADARG, "more than %s values in one request", max);
        return NULL;
    }
    struct val* v = &f->vals[f->vals_n++];
    memset(v, 0, sizeof(*v));
    return v;
}

static void
fields_free(struct fields* f)
{
    for (size_t i = 0; i < f->vals_n; i++) val_free(&f->vals[i]);
    free(f->attrs);
    free(f->maps);
    free(f->vals);
    free(f->names);
    f->attrs = NULL;
    f->maps = NULL;
    f->vals = NULL;
    f->names = NULL;
    f->attrs_max = f->maps_max = f->vals_max = f->names_max = 0;
    f->attrs_n = f->maps_n = f->vals_n = f->names_n = 0;
}

static int
add_name(struct req* r, struct fields* f, const char* name)
{
    if (f->names_n == f->names_max)
    {
        req_fail(r, E_BADARG, "too many attributes%s", NULL);
        return -1;
    }
    f->names[f->names_n++] = name;
    return 0;
}

static const struct json*
member(struct req* r, const char* name, enum json_kind kind)
{
    const struct json* j = json_get(r->j, name);
    if (!j || j->kind != kind)
    {
        static const char* kinds[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
        char what[96];
        snprintf(what, sizeof(what), "\"%s\" must be %s", name, kinds[kind]);
        req_fail(r, E_BADARG, "%s", what);
        return NULL;
    }
    return j;
}

/* {"attr": value, ...} as hyperclient_attributes appended to f->attrs. */
static int
attrs_from(struct req* r, struct fields* f, const struct json* obj, struct hyperclient_attribute* out, size_t* out_n)
{
    for (size_t i = 0; i < obj->count; i++)
    {
        if (*out_n == FIELDS_MAX)
        {
            req_fail(r, E_BADARG, "more than 256 attributes%s", NULL);
            return -1;
        }
        struct val* v = new_val(r, f);
        if (!v || encode_value(r, obj->items[i], v) || add_name(r, f, obj->keys[i])) return -1;
        out[(*out_n)++] = (struct hyperclient_attribute){obj->keys[i], v->bytes.data ? v->bytes.data : "", v->bytes.len,
                                                         v->datatype};
    }
    return 0;
}

/* The entries of the attributes of a map operation that are maps, {"m": {"map": [...]}}; the others
 * fail in map_entries_from. Bounded by the line's bytes (an entry takes at least 5). */
static size_t
map_entries_counted(const struct json* obj)
{
    size_t n = 0;
    for (size_t i = 0; i < obj->count; i++)
    {
        const struct json* m = obj->items[i];
        const struct json* entries = m->kind == JSON_OBJECT && m->count == 1 ? json_get(m, "map") : NULL;
        if (entries && entries->kind == JSON_ARRAY) n += entries->count;
    }
    return n;
}

/* {"m": {"map": [[k, v], ...]}, ...}: one hyperclient_map_attribute per entry. With keys_only,
 * (map_remove) one hyperclient_attribute per key, the values ignored. Reserves f's arrays for the
 * request's entries. Past MAP_ENTRIES_MAX entries nothing is reserved: every entry is still
 * encoded (into one scratch value), so that a malformed one is BADARG as at any size, and then
 * f->overflow is set. */
static int
map_entries_from(struct req* r, struct fields* f, const struct json* obj, int keys_only)
{
    size_t n = map_entries_counted(obj);
    int over = n > MAP_ENTRIES_MAX;
    if (!over && fields_reserve(r, f, keys_only ? n : 0, keys_only ? 0 : n, keys_only ? n : 2 * n, n)) return -1;
    struct val scratch;
    memset(&scratch, 0, sizeof(scratch));
    int rc = -1;
    for (size_t i = 0; i < obj->count; i++)
    {
        const struct json* m = obj->items[i];
        const struct json* entries = m->kind == JSON_OBJECT && m->count == 1 ? json_get(m, "map") : NULL;
        if (!entries || entries->kind != JSON_ARRAY)
        {
            req_fail(r, E_BADARG, "map operations take {\"ATTR\": {\"map\": [[key, value], ...]}}%s", NULL);
            goto out;
        }
        for (size_t e = 0; e < entries->count; e++)
        {
            const struct json* pair = entries->items[e];
            if (pair->kind != JSON_ARRAY || pair->count != 2)
            {
                req_fail(r, E_BADARG, "a map's entries are [key, value] pairs%s", NULL);
                goto out;
            }
            if (over)
            {
                if (encode_scalar(r, pair->items[0], &scratch) || (!keys_only && encode_scalar(r, pair->items[1], &scratch)))
                    goto out;
                continue;
            }
            /* counted by map_entries_counted, so never past the room reserved */
            if (keys_only ? f->attrs_n == f->attrs_max : f->maps_n == f->maps_max)
                bridge_bug("more map entries than map_entries_counted counted");
            struct val* k = new_val(r, f);
            if (!k || encode_scalar(r, pair->items[0], k) || add_name(r, f, obj->keys[i])) goto out;
            const char* kp = k->bytes.data ? k->bytes.data : "";
            if (keys_only)
            {
                f->attrs[f->attrs_n++] = (struct hyperclient_attribute){obj->keys[i], kp, k->bytes.len, k->datatype};
                continue;
            }
            struct val* v = new_val(r, f);
            if (!v || encode_scalar(r, pair->items[1], v)) goto out;
            f->maps[f->maps_n++] = (struct hyperclient_map_attribute){
                obj->keys[i], kp, k->bytes.len, v->bytes.data ? v->bytes.data : "", v->bytes.len, v->datatype};
        }
    }
    f->overflow = over;
    rc = 0;
out:
    val_free(&scratch);
    return rc;
}

static int
is_range(const struct json* j)
{
    return j->kind == JSON_OBJECT && j->count == 1 && strcmp(j->keys[0], "range") == 0;
}

static int
add_check(struct req* r, struct fields* f, const char* name, const struct json* value, enum hyperpredicate p)
{
    if (f->checks_n == FIELDS_MAX)
    {
        req_fail(r, E_BADARG, "more than 256 checks%s", NULL);
        return -1;
    }
    struct val* v = new_val(r, f);
    if (!v || encode_value(r, value, v) || add_name(r, f, name)) return -1;
    f->checks[f->checks_n++] = (struct hyperclient_attribute_check){name, v->bytes.data ? v->bytes.data : "",
                                                                    v->bytes.len, v->datatype, p};
    return 0;
}

/* A predicate {"attr": value | {"range": [lo, hi]}} as checks: EQUALS per value, GREATER_EQUAL lo
 * and LESS_THAN hi per range (the TypeScript client's translation, docs/protocol.md 4.10). */
static int
checks_from(struct req* r, struct fields* f, const struct json* pred)
{
    for (size_t i = 0; i < pred->count; i++)
    {
        const struct json* x = pred->items[i];
        if (is_range(x))
        {
            const struct json* b = x->items[0];
            if (b->kind != JSON_ARRAY || b->count != 2)
            {
                req_fail(r, E_BADARG, "a range is {\"range\": [lower, upper]}%s", NULL);
                return -1;
            }
            if (add_check(r, f, pred->keys[i], b->items[0], HYPERPREDICATE_GREATER_EQUAL) ||
                add_check(r, f, pred->keys[i], b->items[1], HYPERPREDICATE_LESS_THAN))
                return -1;
        }
        else if (add_check(r, f, pred->keys[i], x, HYPERPREDICATE_EQUALS))
            return -1;
    }
    return 0;
}

/* A search predicate as hyperclient_search's eq and rn. The names are laid out as the `-1 - idx`
 * rule counts: every eq, then every rn. */
static int
search_from(struct req* r, struct fields* f, const struct json* pred)
{
    const char* rn_names[FIELDS_MAX];
    for (size_t i = 0; i < pred->count; i++)
    {
        const struct json* x = pred->items[i];
        if (!is_range(x))
        {
            if (f->eq_n == FIELDS_MAX)
            {
                req_fail(r, E_BADARG, "more than 256 equalities%s", NULL);
                return -1;
            }
            struct val* v = new_val(r, f);
            if (!v || encode_value(r, x, v) || add_name(r, f, pred->keys[i])) return -1;
            f->eq[f->eq_n++] = (struct hyperclient_attribute){pred->keys[i], v->bytes.data ? v->bytes.data : "",
                                                              v->bytes.len, v->datatype};
            continue;
        }
        const struct json* b = x->items[0];
        if (b->kind != JSON_ARRAY || b->count != 2)
        {
            req_fail(r, E_BADARG, "a range is {\"range\": [lower, upper]}%s", NULL);
            return -1;
        }
        struct val lo, hi;
        memset(&lo, 0, sizeof(lo));
        memset(&hi, 0, sizeof(hi));
        int bad = encode_scalar(r, b->items[0], &lo) || encode_scalar(r, b->items[1], &hi);
        int ints = !bad && lo.scalar == SC_INT && hi.scalar == SC_INT;
        uint64_t l = ints ? get_le64((const unsigned char*)lo.bytes.data) : 0;
        uint64_t h = ints ? get_le64((const unsigned char*)hi.bytes.data) : 0;
        val_free(&lo);
        val_free(&hi);
        if (bad) return -1;
        if (!ints)
        {
            /* struct hyperclient_range_query holds int64 bounds only */
            req_fail(r, E_UNSUPPORTED, "hyperclient_search takes int64 range bounds only%s", NULL);
            return -1;
        }
        if (f->rn_n == FIELDS_MAX)
        {
            req_fail(r, E_BADARG, "more than 256 ranges%s", NULL);
            return -1;
        }
        rn_names[f->rn_n] = pred->keys[i];
        f->rn[f->rn_n++] = (struct hyperclient_range_query){pred->keys[i], l, h};
    }
    for (size_t i = 0; i < f->rn_n; i++)
        if (add_name(r, f, rn_names[i])) return -1;
    return 0;
}

/* ---- running operations ----------------------------------------------------------------------- */

/* One operation's storage, written by the library until the operation completes. */
struct pending
{
    int64_t id;
    enum hyperclient_returncode status;
    struct hyperclient_attribute* attrs;
    size_t attrs_sz;
    uint64_t count;
    int search;
    struct pending* next; /* in the list of operations given up on */
};

struct bridge
{
    struct hyperclient* client;
    int timeout_ms;
    struct pending* abandoned;
    struct buf out;
};

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char*
status_name(enum hyperclient_returncode st)
{
    const char* n = hyperdex_returncode_name(st);
    size_t pl = strlen(HYPERDEX_RETURNCODE_PREFIX);
    return n ? n + pl : "UNKNOWN";
}

static void
emit(struct bridge* br)
{
    if (br->out.oom)
    {
        buf_free(&br->out);
        buf_str(&br->out, "{\"error\":\"NOMEM\"}");
    }
    buf_put(&br->out, "\n", 1);
    fwrite(br->out.data, 1, br->out.len, stdout);
    fflush(stdout);
    br->out.len = 0;
}

static void
emit_status(struct bridge* br, enum hyperclient_returncode st, const char* attr)
{
    br->out.len = 0;
    buf_str(&br->out, "{\"status\":\"");
    buf_str(&br->out, status_name(st));
    buf_str(&br->out, "\"");
    if (attr)
    {
        buf_str(&br->out, ",\"attr\":");
        print_json_string(&br->out, attr, strlen(attr));
    }
    buf_str(&br->out, "}");
    emit(br);
}

static void
emit_ok(struct bridge* br, const char* json)
{
    br->out.len = 0;
    buf_str(&br->out, "{\"ok\":");
    buf_str(&br->out, json);
    buf_str(&br->out, "}");
    emit(br);
}

static void
emit_error(struct bridge* br, struct req* r)
{
    fprintf(stderr, "hyperclient-json-bridge: line %ld: %s: %s\n", r->line, r->error, r->reason);
    br->out.len = 0;
    buf_str(&br->out, "{\"error\":\"");
    buf_str(&br->out, r->error);
    buf_str(&br->out, "\"}");
    emit(br);
}

/* A refusal (negative return): the status, and for the statuses that the `-1 - idx` rule applies
 * to, the attribute it names. */
static void
emit_refusal(struct bridge* br, int64_t rc, enum hyperclient_returncode st, const struct fields* f)
{
    const char* attr = NULL;
    if (st == HYPERCLIENT_UNKNOWNATTR || st == HYPERCLIENT_WRONGTYPE || st == HYPERCLIENT_DUPEATTR)
    {
        uint64_t idx = (uint64_t)(-1 - rc);
        if (f && idx < f->names_n) attr = f->names[idx];
    }
    emit_status(br, st, attr);
}

static void
pending_release(struct pending* p)
{
    if (p->attrs) hyperclient_destroy_attrs(p->attrs, p->attrs_sz);
    p->attrs = NULL;
    p->attrs_sz = 0;
}

/* A loop return for an operation given up on earlier: released once it is over. */
static void
settle_abandoned(struct bridge* br, int64_t id)
{
    for (struct pending** pp = &br->abandoned; *pp; pp = &(*pp)->next)
    {
        struct pending* p = *pp;
        if (p->id != id) continue;
        /* a search is over at SEARCHDONE (errors come before it) */
        int over = !p->search || p->status == HYPERCLIENT_SEARCHDONE;
        pending_release(p);
        if (over)
        {
            *pp = p->next;
            free(p);
        }
        return;
    }
}

/* A search result kept for printing: the object's text and, for sorted_search, the bytes of the
 * sort attribute (ties are put in text order so that every bridge prints the same). */
struct result
{
    char* text;
    struct buf sortval;
};

static int
result_text_cmp(const void* a, const void* b)
{
    return strcmp(((const struct result*)a)->text, ((const struct result*)b)->text);
}

struct results
{
    struct result* items;
    size_t n, cap;
    int oom;
};

static void
results_add(struct results* rs, const struct hyperclient_attribute* attrs, size_t n, const char* sort_by)
{
    if (rs->oom) return;
    if (rs->n == rs->cap)
    {
        size_t cap = rs->cap ? 2 * rs->cap : 64;
        struct result* more = realloc(rs->items, cap * sizeof(*more));
        if (!more)
        {
            rs->oom = 1;
            return;
        }
        rs->items = more;
        rs->cap = cap;
    }
    struct buf t = {0};
    print_object(&t, attrs, n);
    struct result* r = &rs->items[rs->n];
    memset(r, 0, sizeof(*r));
    r->text = buf_take(&t);
    if (!r->text)
    {
        rs->oom = 1;
        return;
    }
    if (sort_by)
        for (size_t i = 0; i < n; i++)
            if (strcmp(attrs[i].attr, sort_by) == 0) buf_put(&r->sortval, attrs[i].value, attrs[i].value_sz);
    rs->n++;
}

static void
results_free(struct results* rs)
{
    for (size_t i = 0; i < rs->n; i++)
    {
        free(rs->items[i].text);
        buf_free(&rs->items[i].sortval);
    }
    free(rs->items);
    memset(rs, 0, sizeof(*rs));
}

enum result_kind
{
    R_BOOL,         /* SUCCESS -> true */
    R_BOOL_FALSE_ON, /* SUCCESS -> true, `false_on` statuses -> false */
    R_GET,
    R_COUNT,
    R_SEARCH,
    R_SORTED
};

/* Waits for p's completion (every result of a search) and prints its line. */
static void
complete(struct bridge* br, struct pending* p, enum result_kind kind, const enum hyperclient_returncode* false_on,
         const char* sort_by)
{
    int64_t deadline = now_ms() + br->timeout_ms;
    struct results rs = {0};
    enum hyperclient_returncode final = HYPERCLIENT_ZERO;
    int done = 0;
    while (!done)
    {
        int64_t left = deadline - now_ms();
        enum hyperclient_returncode ls = HYPERCLIENT_ZERO;
        int64_t got = hyperclient_loop(br->client, left > 0 ? (int)left : 0, &ls);
        if (got < 0)
        {
            if (ls == HYPERCLIENT_NONEPENDING)
            {
                /* the library forgot the operation: it will not write to p any more */
                pending_release(p);
                free(p);
                p = NULL;
            }
            final = ls;
            break;
        }
        if (got != p->id)
        {
            settle_abandoned(br, got);
            continue;
        }
        if (!p->search)
        {
            final = p->status;
            done = 1;
        }
        else if (p->status == HYPERCLIENT_SUCCESS)
        {
            results_add(&rs, p->attrs, p->attrs_sz, kind == R_SORTED ? sort_by : NULL);
            pending_release(p);
        }
        else if (p->status == HYPERCLIENT_SEARCHDONE)
        {
            /* the end; an error handed back before it is what the line reports */
            if (final == HYPERCLIENT_ZERO) final = HYPERCLIENT_SEARCHDONE;
            done = 1;
        }
        else if (final == HYPERCLIENT_ZERO)
            final = p->status; /* a daemon's error: the search goes on to SEARCHDONE */
    }
    if (!done)
    {
        /* TIMEOUT or a failure of the loop itself: the operation may still complete later */
        if (p)
        {
            p->next = br->abandoned;
            br->abandoned = p;
        }
        emit_status(br, final, NULL);
        results_free(&rs);
        return;
    }
    br->out.len = 0;
    if (kind == R_SEARCH || kind == R_SORTED)
    {
        if (final != HYPERCLIENT_SEARCHDONE)
            emit_status(br, final, NULL);
        else if (rs.oom)
        {
            buf_str(&br->out, "{\"error\":\"NOMEM\"}");
            emit(br);
        }
        else
        {
            if (kind == R_SEARCH)
            {
                /* qsort wants a valid array even for no items: an empty search has none */
                if (rs.n > 1) qsort(rs.items, rs.n, sizeof(*rs.items), result_text_cmp);
            }
            else
                for (size_t i = 0, j; i < rs.n; i = j)
                {
                    for (j = i + 1; j < rs.n && rs.items[j].sortval.len == rs.items[i].sortval.len &&
                                    (rs.items[i].sortval.len == 0 ||
                                     memcmp(rs.items[j].sortval.data, rs.items[i].sortval.data, rs.items[i].sortval.len) == 0);
                         j++)
                        ;
                    qsort(rs.items + i, j - i, sizeof(*rs.items), result_text_cmp);
                }
            buf_str(&br->out, "{\"ok\":[");
            for (size_t i = 0; i < rs.n; i++)
            {
                if (i) buf_put(&br->out, ",", 1);
                buf_str(&br->out, rs.items[i].text);
            }
            buf_str(&br->out, "]}");
            emit(br);
        }
        results_free(&rs);
        free(p);
        return;
    }
    if (final == HYPERCLIENT_SUCCESS && kind == R_GET)
    {
        struct buf t = {0};
        print_object(&t, p->attrs, p->attrs_sz);
        buf_str(&br->out, "{\"ok\":");
        buf_put(&br->out, t.data, t.len);
        br->out.oom |= t.oom;
        buf_str(&br->out, "}");
        buf_free(&t);
        emit(br);
    }
    else if (final == HYPERCLIENT_NOTFOUND && kind == R_GET)
        emit_ok(br, "null");
    else if (final == HYPERCLIENT_SUCCESS && kind == R_COUNT)
    {
        char t[32];
        snprintf(t, sizeof(t), "%" PRIu64, p->count);
        emit_ok(br, t);
    }
    else if (final == HYPERCLIENT_SUCCESS)
        emit_ok(br, "true");
    else
    {
        int as_false = 0;
        for (size_t i = 0; kind == R_BOOL_FALSE_ON && false_on && false_on[i] != HYPERCLIENT_ZERO; i++)
            if (false_on[i] == final) as_false = 1;
        if (as_false)
            emit_ok(br, "false");
        else
            emit_status(br, final, NULL);
    }
    pending_release(p);
    free(p);
}

/* ---- the operations ------------------------------------------------------------------------------ */

enum op_shape
{
    OP_ATTRS,     /* put, put_if_not_exist and the whole-attribute atomic operations */
    OP_MAPS,      /* map_atomic_*, map_string_*, map_add */
    OP_MAP_KEYS,  /* map_remove */
    OP_GET,
    OP_DEL,
    OP_CONDPUT,
    OP_COND_PUT,
    OP_SEARCH,
    OP_COUNT,
    OP_GROUP_DEL,
    OP_SORTED,
    OP_ADD_SPACE,
    OP_RM_SPACE
};

typedef int64_t (*attrs_fn)(struct hyperclient*, const char*, const char*, size_t, const struct hyperclient_attribute*,
                            size_t, enum hyperclient_returncode*);
typedef int64_t (*maps_fn)(struct hyperclient*, const char*, const char*, size_t, const struct hyperclient_map_attribute*,
                           size_t, enum hyperclient_returncode*);

static const enum hyperclient_returncode FALSE_NOTFOUND[] = {HYPERCLIENT_NOTFOUND, HYPERCLIENT_ZERO};
static const enum hyperclient_returncode FALSE_CMPFAIL[] = {HYPERCLIENT_CMPFAIL, HYPERCLIENT_ZERO};
static const enum hyperclient_returncode FALSE_COND[] = {HYPERCLIENT_CMPFAIL, HYPERCLIENT_NOTFOUND, HYPERCLIENT_ZERO};

struct op
{
    const char* name;
    enum op_shape shape;
    attrs_fn attrs;
    maps_fn maps;
    const enum hyperclient_returncode* false_on;
};

static const struct op OPS[] = {
    {"get", OP_GET, NULL, NULL, NULL},
    {"put", OP_ATTRS, hyperclient_put, NULL, NULL},
    {"put_if_not_exist", OP_ATTRS, hyperclient_put_if_not_exist, NULL, FALSE_CMPFAIL},
    {"condput", OP_CONDPUT, NULL, NULL, FALSE_COND},
    {"cond_put", OP_COND_PUT, NULL, NULL, FALSE_COND},
    {"delete", OP_DEL, NULL, NULL, FALSE_NOTFOUND},
    {"del", OP_DEL, NULL, NULL, FALSE_NOTFOUND},
    {"search", OP_SEARCH, NULL, NULL, NULL},
    {"count", OP_COUNT, NULL, NULL, NULL},
    {"group_del", OP_GROUP_DEL, NULL, NULL, NULL},
    {"sorted_search", OP_SORTED, NULL, NULL, NULL},
    {"atomic_add", OP_ATTRS, hyperclient_atomic_add, NULL, FALSE_NOTFOUND},
    {"atomic_sub", OP_ATTRS, hyperclient_atomic_sub, NULL, FALSE_NOTFOUND},
    {"atomic_mul", OP_ATTRS, hyperclient_atomic_mul, NULL, FALSE_NOTFOUND},
    {"atomic_div", OP_ATTRS, hyperclient_atomic_div, NULL, FALSE_NOTFOUND},
    {"atomic_mod", OP_ATTRS, hyperclient_atomic_mod, NULL, FALSE_NOTFOUND},
    {"atomic_and", OP_ATTRS, hyperclient_atomic_and, NULL, FALSE_NOTFOUND},
    {"atomic_or", OP_ATTRS, hyperclient_atomic_or, NULL, FALSE_NOTFOUND},
    {"atomic_xor", OP_ATTRS, hyperclient_atomic_xor, NULL, FALSE_NOTFOUND},
    {"string_prepend", OP_ATTRS, hyperclient_string_prepend, NULL, FALSE_NOTFOUND},
    {"string_append", OP_ATTRS, hyperclient_string_append, NULL, FALSE_NOTFOUND},
    {"list_lpush", OP_ATTRS, hyperclient_list_lpush, NULL, FALSE_NOTFOUND},
    {"list_rpush", OP_ATTRS, hyperclient_list_rpush, NULL, FALSE_NOTFOUND},
    {"set_add", OP_ATTRS, hyperclient_set_add, NULL, FALSE_NOTFOUND},
    {"set_remove", OP_ATTRS, hyperclient_set_remove, NULL, FALSE_NOTFOUND},
    {"set_intersect", OP_ATTRS, hyperclient_set_intersect, NULL, FALSE_NOTFOUND},
    {"set_union", OP_ATTRS, hyperclient_set_union, NULL, FALSE_NOTFOUND},
    {"map_add", OP_MAPS, NULL, hyperclient_map_add, FALSE_NOTFOUND},
    {"map_remove", OP_MAP_KEYS, hyperclient_map_remove, NULL, FALSE_NOTFOUND},
    {"map_atomic_add", OP_MAPS, NULL, hyperclient_map_atomic_add, FALSE_NOTFOUND},
    {"map_atomic_sub", OP_MAPS, NULL, hyperclient_map_atomic_sub, FALSE_NOTFOUND},
    {"map_atomic_mul", OP_MAPS, NULL, hyperclient_map_atomic_mul, FALSE_NOTFOUND},
    {"map_atomic_div", OP_MAPS, NULL, hyperclient_map_atomic_div, FALSE_NOTFOUND},
    {"map_atomic_mod", OP_MAPS, NULL, hyperclient_map_atomic_mod, FALSE_NOTFOUND},
    {"map_atomic_and", OP_MAPS, NULL, hyperclient_map_atomic_and, FALSE_NOTFOUND},
    {"map_atomic_or", OP_MAPS, NULL, hyperclient_map_atomic_or, FALSE_NOTFOUND},
    {"map_atomic_xor", OP_MAPS, NULL, hyperclient_map_atomic_xor, FALSE_NOTFOUND},
    {"map_string_prepend", OP_MAPS, NULL, hyperclient_map_string_prepend, FALSE_NOTFOUND},
    {"map_string_append", OP_MAPS, NULL, hyperclient_map_string_append, FALSE_NOTFOUND},
    {"add_space", OP_ADD_SPACE, NULL, NULL, NULL},
    {"rm_space", OP_RM_SPACE, NULL, NULL, NULL},
};

/* The members each shape takes (besides "op"); anything else is BADARG, so a typo in a scenario
 * fails loudly instead of being ignored. */
static int
members_allowed(struct req* r, enum op_shape s)
{
    static const char* const keyed[] = {"space", "key", "attrs", NULL};
    static const char* const get[] = {"space", "key", NULL};
    static const char* const cond[] = {"space", "key", "condition", "attrs", NULL};
    static const char* const pred[] = {"space", "predicate", NULL};
    static const char* const sorted[] = {"space", "predicate", "sort_by", "limit", "order", NULL};
    static const char* const add[] = {"description", NULL};
    static const char* const rm[] = {"space", NULL};
    const char* const* allowed = s == OP_GET || s == OP_DEL                                  ? get
                                 : s == OP_CONDPUT || s == OP_COND_PUT                       ? cond
                                 : s == OP_SEARCH || s == OP_COUNT || s == OP_GROUP_DEL      ? pred
                                 : s == OP_SORTED                                            ? sorted
                                 : s == OP_ADD_SPACE                                         ? add
                                 : s == OP_RM_SPACE                                          ? rm
                                                                                             : keyed;
    for (size_t i = 0; i < r->j->count; i++)
    {
        const char* k = r->j->keys[i];
        int ok = strcmp(k, "op") == 0;
        for (size_t a = 0; !ok && allowed[a]; a++) ok = strcmp(k, allowed[a]) == 0;
        if (!ok)
        {
            req_fail(r, E_BADARG, "unexpected member \"%s\"", k);
            return -1;
        }
    }
    return 0;
}

/* A map operation past MAP_ENTRIES_MAX entries: what libhyperclient returns for one (-1 with
 * OVERFLOW, checked before the space or any entry), without building arrays that size for it. */
static int64_t
refuse_overflow(enum hyperclient_returncode* status)
{
    *status = HYPERCLIENT_OVERFLOW;
    return -1;
}

static void
run_op(struct bridge* br, struct req* r, const struct op* op, struct fields* f)
{
    if (members_allowed(r, op->shape)) return;
    /* a map operation's arrays are sized to its entries (map_entries_from); the others' to the
     * library's bound on attributes and checks */
    int map_op = op->shape == OP_MAPS || op->shape == OP_MAP_KEYS;
    if (!map_op && fields_reserve(r, f, FIELDS_MAX, 0, VALUES_MAX, VALUES_MAX)) return;
    const char* space = NULL;
    struct val key;
    memset(&key, 0, sizeof(key));
    const struct json* j;
    if (op->shape != OP_ADD_SPACE)
    {
        if (!(j = member(r, "space", JSON_STRING))) return;
        space = j->text;
    }
    int keyed = op->shape <= OP_COND_PUT;
    if (keyed)
    {
        j = json_get(r->j, "key");
        if (!j)
        {
            req_fail(r, E_BADARG, "\"key\" is missing%s", NULL);
            return;
        }
        if (encode_scalar(r, j, &key)) goto out;
    }
    const char* kp = key.bytes.data ? key.bytes.data : "";
    size_t kn = key.bytes.len;
    struct pending* p = calloc(1, sizeof(*p));
    if (!p)
    {
        req_fail(r, E_NOMEM, "out of memory%s", NULL);
        goto out;
    }
    p->status = HYPERCLIENT_ZERO;
    enum result_kind kind = op->false_on ? R_BOOL_FALSE_ON : R_BOOL;
    const char* sort_by = NULL;
    switch (op->shape)
    {
    case OP_ATTRS:
        if (!(j = member(r, "attrs", JSON_OBJECT)) || attrs_from(r, f, j, f->attrs, &f->attrs_n)) break;
        p->id = op->attrs(br->client, space, kp, kn, f->attrs, f->attrs_n, &p->status);
        break;
    case OP_MAPS:
        if (!(j = member(r, "attrs", JSON_OBJECT)) || map_entries_from(r, f, j, 0)) break;
        if (f->overflow)
            p->id = refuse_overflow(&p->status);
        else
            p->id = op->maps(br->client, space, kp, kn, f->maps, f->maps_n, &p->status);
        break;
    case OP_MAP_KEYS:
        if (!(j = member(r, "attrs", JSON_OBJECT)) || map_entries_from(r, f, j, 1)) break;
        if (f->overflow)
            p->id = refuse_overflow(&p->status);
        else
            p->id = op->attrs(br->client, space, kp, kn, f->attrs, f->attrs_n, &p->status);
        break;
    case OP_GET:
        kind = R_GET;
        p->id = hyperclient_get(br->client, space, kp, kn, &p->status, &p->attrs, &p->attrs_sz);
        break;
    case OP_DEL:
        p->id = hyperclient_del(br->client, space, kp, kn, &p->status);
        break;
    case OP_CONDPUT:
    {
        /* condattrs then attrs, as the -1 - idx rule counts them */
        struct hyperclient_attribute cond[FIELDS_MAX];
        size_t cond_n = 0;
        const struct json* c = member(r, "condition", JSON_OBJECT);
        for (size_t i = 0; c && i < c->count; i++)
            if (is_range(c->items[i]))
                req_fail(r, E_UNSUPPORTED, "condput compares equality only; use cond_put for ranges%s", NULL);
        if (!c || r->error || attrs_from(r, f, c, cond, &cond_n)) break;
        if (!(j = member(r, "attrs", JSON_OBJECT)) || attrs_from(r, f, j, f->attrs, &f->attrs_n)) break;
        p->id = hyperclient_condput(br->client, space, kp, kn, cond, cond_n, f->attrs, f->attrs_n, &p->status);
        break;
    }
    case OP_COND_PUT:
    {
        const struct json* c = member(r, "condition", JSON_OBJECT);
        if (!c || checks_from(r, f, c) || !(j = member(r, "attrs", JSON_OBJECT)) ||
            attrs_from(r, f, j, f->attrs, &f->attrs_n))
            break;
        p->id = hyperclient_cond_put(br->client, space, kp, kn, f->checks, f->checks_n, f->attrs, f->attrs_n, &p->status);
        break;
    }
    case OP_SEARCH:
        kind = R_SEARCH;
        p->search = 1;
        if (!(j = member(r, "predicate", JSON_OBJECT)) || search_from(r, f, j)) break;
        p->id = hyperclient_search(br->client, space, f->eq, f->eq_n, f->rn, f->rn_n, &p->status, &p->attrs, &p->attrs_sz);
        break;
    case OP_COUNT:
        kind = R_COUNT;
        if (!(j = member(r, "predicate", JSON_OBJECT)) || checks_from(r, f, j)) break;
        p->id = hyperclient_count(br->client, space, f->checks, f->checks_n, &p->status, &p->count);
        break;
    case OP_GROUP_DEL:
        if (!(j = member(r, "predicate", JSON_OBJECT)) || checks_from(r, f, j)) break;
        p->id = hyperclient_group_del(br->client, space, f->checks, f->checks_n, &p->status);
        break;
    case OP_SORTED:
    {
        kind = R_SORTED;
        p->search = 1;
        const struct json *sb, *lim, *ord = json_get(r->j, "order");
        int64_t limit;
        int maxmin = 0;
        if (!(j = member(r, "predicate", JSON_OBJECT)) || checks_from(r, f, j) || !(sb = member(r, "sort_by", JSON_STRING)) ||
            !(lim = member(r, "limit", JSON_NUMBER)))
            break;
        if (parse_int_text(lim->text, &limit) || limit < 0)
        {
            req_fail(r, E_BADARG, "\"limit\" must be a nonnegative integer%s", NULL);
            break;
        }
        if (ord)
        {
            const char* o = json_str(ord);
            if (o && (strcmp(o, "descending") == 0 || strcmp(o, "max") == 0))
                maxmin = 1;
            else if (!o || (strcmp(o, "ascending") != 0 && strcmp(o, "min") != 0))
            {
                req_fail(r, E_BADARG, "\"order\" is \"ascending\" or \"descending\"%s", NULL);
                break;
            }
        }
        sort_by = sb->text;
        if (add_name(r, f, sort_by)) break;
        p->id = hyperclient_sorted_search(br->client, space, f->checks, f->checks_n, sort_by, (uint64_t)limit, maxmin,
                                          &p->status, &p->attrs, &p->attrs_sz);
        break;
    }
    case OP_ADD_SPACE:
        if (!(j = member(r, "description", JSON_STRING))) break;
        p->id = hyperclient_add_space(br->client, j->text, &p->status);
        break;
    case OP_RM_SPACE:
        p->id = hyperclient_rm_space(br->client, space, &p->status);
        break;
    }
    if (r->error)
    {
        free(p);
        goto out;
    }
    if (p->id < 0)
    {
        emit_refusal(br, p->id, p->status, f);
        pending_release(p);
        free(p);
        goto out;
    }
    complete(br, p, kind, op->false_on, sort_by);
out:
    val_free(&key);
}

static void
run_line(struct bridge* br, const char* line, size_t len, long lineno)
{
    struct req r;
    memset(&r, 0, sizeof(r));
    r.line = lineno;
    char err[160];
    struct json* j = json_parse(line, len, err, sizeof(err));
    if (!j || j->kind != JSON_OBJECT)
    {
        req_fail(&r, E_BADJSON, "%s", j ? "a request is a JSON object" : err);
        emit_error(br, &r);
        json_free(j);
        return;
    }
    r.j = j;
    const char* name = json_str(json_get(j, "op"));
    const struct op* op = NULL;
    for (size_t i = 0; name && i < sizeof(OPS) / sizeof(OPS[0]); i++)
        if (strcmp(OPS[i].name, name) == 0) op = &OPS[i];
    if (!op)
        req_fail(&r, E_BADOP, "unknown or missing \"op\": %s", name ? name : "(none)");
    else
    {
        /* big (about 22 KB of checks), so on the heap rather than the stack */
        struct fields* f = calloc(1, sizeof(*f));
        if (!f)
            req_fail(&r, E_NOMEM, "out of memory%s", NULL);
        else
        {
            run_op(br, &r, op, f);
            fields_free(f);
            free(f);
        }
    }
    if (r.error) emit_error(br, &r);
    json_free(j);
}

/* ---- the input ------------------------------------------------------------------------------------ */

/* Reads one line (without its newline) into *line; 1 for a line, 0 at the end, -1 for a line
 * longer than LINE_BYTES_MAX (skipped up to its newline). */
static int
read_line(FILE* in, struct buf* line)
{
    line->len = 0;
    int too_long = 0, any = 0;
    for (;;)
    {
        int c = getc(in);
        if (c == EOF) break;
        any = 1;
        if (c == '\n') break;
        if (line->len >= LINE_BYTES_MAX)
        {
            too_long = 1;
            continue;
        }
        char ch = (char)c;
        buf_put(line, &ch, 1);
    }
    if (!any) return 0;
    if (too_long || line->oom)
    {
        line->len = 0;
        return -1;
    }
    if (line->len && line->data[line->len - 1] == '\r') line->len--;
    return 1;
}

static int
blank_or_comment(const char* s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    return i == n || s[i] == '#';
}

int
main(int argc, char** argv)
{
    if (argc < 3 || argc > 4)
    {
        fprintf(stderr, "usage: %s HOST PORT [TIMEOUT_MS]\n"
                        "Runs HyperDex operations given as JSON lines on stdin, one result line each (docs/bridge.md).\n",
                argv[0]);
        return 2;
    }
    char* end;
    long port = strtol(argv[2], &end, 10);
    if (*end || port <= 0 || port > 65535)
    {
        fprintf(stderr, "hyperclient-json-bridge: bad port %s\n", argv[2]);
        return 2;
    }
    struct bridge br;
    memset(&br, 0, sizeof(br));
    br.timeout_ms = TIMEOUT_MS_DEFAULT;
    if (argc == 4)
    {
        long t = strtol(argv[3], &end, 10);
        if (*end || t <= 0 || t > 3600000)
        {
            fprintf(stderr, "hyperclient-json-bridge: bad timeout %s (milliseconds, 1 to 3600000)\n", argv[3]);
            return 2;
        }
        br.timeout_ms = (int)t;
    }
    br.client = hyperclient_create(argv[1], (in_port_t)port);
    if (!br.client)
    {
        fprintf(stderr, "hyperclient-json-bridge: cannot connect to the coordinator at %s:%ld\n", argv[1], port);
        return 1;
    }
    struct buf line = {0};
    long lineno = 0;
    int rc;
    while ((rc = read_line(stdin, &line)) != 0)
    {
        lineno++;
        if (rc < 0)
        {
            struct req r;
            memset(&r, 0, sizeof(r));
            r.line = lineno;
            req_fail(&r, E_TOOLONG, "a line is longer than %s bytes", "16777216");
            emit_error(&br, &r);
            continue;
        }
        if (blank_or_comment(line.data ? line.data : "", line.len)) continue;
        run_line(&br, line.data, line.len, lineno);
    }
    buf_free(&line);
    hyperclient_destroy(br.client);
    /* the library is gone, so nothing writes to the operations given up on any more */
    while (br.abandoned)
    {
        struct pending* p = br.abandoned;
        br.abandoned = p->next;
        pending_release(p);
        free(p);
    }
    buf_free(&br.out);
    return 0;
}
