/* HyperDex's geometry: datatypes, value bytes, coordinates, partitions, axis intervals. See
 * coordinate.h. */
#include "coordinate.h"

#include <stdlib.h>
#include <string.h>

#include "hyperdex.h"
#include "wire.h"

#define SIGN64 ((uint64_t)1 << 63)

/* ---- datatypes ----------------------------------------------------------------------------- */

int
hd_type_of(int datatype, struct hd_type* out)
{
    /* base of each family, its shape and, for maps, the key type */
    static const struct
    {
        int base;
        enum hd_shape shape;
        enum hd_scalar key;
    } families[] = {
        {HYPERDATATYPE_STRING - 1, HD_SHAPE_SCALAR, 0},
        {HYPERDATATYPE_LIST_GENERIC, HD_SHAPE_LIST, 0},
        {HYPERDATATYPE_SET_GENERIC, HD_SHAPE_SET, 0},
        {HYPERDATATYPE_MAP_STRING_KEYONLY, HD_SHAPE_MAP, HD_SCALAR_STRING},
        {HYPERDATATYPE_MAP_INT64_KEYONLY, HD_SHAPE_MAP, HD_SCALAR_INT64},
        {HYPERDATATYPE_MAP_FLOAT_KEYONLY, HD_SHAPE_MAP, HD_SCALAR_FLOAT},
    };
    for (size_t i = 0; i < sizeof families / sizeof families[0]; ++i)
    {
        int offset = datatype - families[i].base;
        if (offset >= HD_SCALAR_STRING && offset <= HD_SCALAR_FLOAT)
        {
            out->shape = families[i].shape;
            if (families[i].shape == HD_SHAPE_MAP)
            {
                out->elem = families[i].key;
                out->value = (enum hd_scalar)offset;
            }
            else
            {
                out->elem = (enum hd_scalar)offset;
                out->value = 0;
            }
            return HD_VALUE_OK;
        }
    }
    return HD_VALUE_ETYPE;
}

int
hd_datatype_of(const struct hd_type* t)
{
    int elem = (int)t->elem;
    int value = (int)t->value;
    if (elem < HD_SCALAR_STRING || elem > HD_SCALAR_FLOAT)
    {
        return -1;
    }
    switch (t->shape)
    {
        case HD_SHAPE_SCALAR:
            return value == 0 ? HYPERDATATYPE_STRING - 1 + elem : -1;
        case HD_SHAPE_LIST:
            return value == 0 ? HYPERDATATYPE_LIST_GENERIC + elem : -1;
        case HD_SHAPE_SET:
            return value == 0 ? HYPERDATATYPE_SET_GENERIC + elem : -1;
        case HD_SHAPE_MAP:
            if (value < HD_SCALAR_STRING || value > HD_SCALAR_FLOAT)
            {
                return -1;
            }
            return HYPERDATATYPE_MAP_STRING_KEYONLY + 16 * (elem - 1) + value;
    }
    return -1;
}

/* ---- elements ------------------------------------------------------------------------------ */

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

static uint32_t
le32(const uint8_t* p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Reads one element of type t at *p (before end); advances *p. 0 or HD_VALUE_EMALFORMED. */
static int
read_element(enum hd_scalar t, const uint8_t** p, const uint8_t* end, struct hd_element* e)
{
    size_t avail = (size_t)(end - *p);
    if (t == HD_SCALAR_STRING)
    {
        if (avail < 4)
        {
            return HD_VALUE_EMALFORMED;
        }
        uint32_t len = le32(*p);
        if (len > avail - 4)
        {
            return HD_VALUE_EMALFORMED;
        }
        e->p = *p + 4;
        e->n = len;
        *p += 4 + (size_t)len;
        return HD_VALUE_OK;
    }
    if (avail < 8)
    {
        return HD_VALUE_EMALFORMED;
    }
    e->p = *p;
    e->n = 8;
    *p += 8;
    return HD_VALUE_OK;
}

int
hd_value_iter_init(struct hd_value_iter* it, int datatype, const uint8_t* p, size_t n)
{
    int rc = hd_type_of(datatype, &it->type);
    if (rc != HD_VALUE_OK)
    {
        return rc;
    }
    it->p = p;
    it->end = p + n;
    it->done = 0;
    return HD_VALUE_OK;
}

int
hd_value_iter_next(struct hd_value_iter* it, struct hd_element* elem, struct hd_element* value)
{
    if (it->done)
    {
        return 0;
    }
    if (it->type.shape == HD_SHAPE_SCALAR)
    {
        size_t n = (size_t)(it->end - it->p);
        it->done = 1;
        if (it->type.elem != HD_SCALAR_STRING && n != 8)
        {
            return HD_VALUE_EMALFORMED;
        }
        elem->p = it->p;
        elem->n = n;
        it->p = it->end;
        return 1;
    }
    if (it->p == it->end)
    {
        it->done = 1;
        return 0;
    }
    int rc = read_element(it->type.elem, &it->p, it->end, elem);
    if (rc == HD_VALUE_OK && it->type.shape == HD_SHAPE_MAP)
    {
        struct hd_element ignored;
        rc = read_element(it->type.value, &it->p, it->end, value != NULL ? value : &ignored);
    }
    if (rc != HD_VALUE_OK)
    {
        it->done = 1;
        return rc;
    }
    return 1;
}

/* The order of floats as a u64: by the bits, negative ones inverted (-NaN < -Infinity < ... <
 * -0 < 0 < ... < +Infinity < NaN); as coordinates, but without merging -0 into 0. */
static uint64_t
float_order_key(uint64_t bits)
{
    return (bits & SIGN64) != 0 ? ~bits : bits | SIGN64;
}

/* The sort key of an int64 or float set element or map key: -0 is 0. */
static uint64_t
number_key(enum hd_scalar t, const uint8_t* p)
{
    uint64_t bits = le64(p);
    if (t == HD_SCALAR_INT64)
    {
        return bits ^ SIGN64;
    }
    return float_order_key(bits == SIGN64 ? 0 : bits);
}

static int
compare_bytes(const uint8_t* a, size_t an, const uint8_t* b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c != 0)
    {
        return c;
    }
    return an < bn ? -1 : an > bn ? 1 : 0;
}

int
hd_element_compare(enum hd_scalar t, const struct hd_element* a, const struct hd_element* b)
{
    if (t == HD_SCALAR_STRING)
    {
        return compare_bytes(a->p, a->n, b->p, b->n);
    }
    uint64_t ka = number_key(t, a->p);
    uint64_t kb = number_key(t, b->p);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
}

static int
is_negative_zero(enum hd_scalar t, const struct hd_element* e)
{
    return t == HD_SCALAR_FLOAT && le64(e->p) == SIGN64;
}

int
hd_value_is_canonical(int datatype, const uint8_t* p, size_t n)
{
    struct hd_value_iter it;
    int rc = hd_value_iter_init(&it, datatype, p, n);
    if (rc != HD_VALUE_OK)
    {
        return rc;
    }
    int sorted = it.type.shape == HD_SHAPE_SET || it.type.shape == HD_SHAPE_MAP;
    int canonical = 1;
    struct hd_element prev = {NULL, 0};
    int have_prev = 0;
    struct hd_element e;
    struct hd_element v;
    while ((rc = hd_value_iter_next(&it, &e, &v)) == 1)
    {
        if (sorted && canonical)
        {
            if (is_negative_zero(it.type.elem, &e) ||
                (have_prev && hd_element_compare(it.type.elem, &prev, &e) >= 0))
            {
                canonical = 0;
            }
        }
        prev = e;
        have_prev = 1;
    }
    return rc < 0 ? rc : canonical;
}

/* ---- canonical form ------------------------------------------------------------------------ */

/* One set element or map pair: the element (key) with its sort key, and the whole encoded span
 * (length prefix, and the map value, included). */
struct span
{
    struct hd_element elem;
    uint64_t key;
    const uint8_t* start;
    size_t len;
};

static int
span_compare(enum hd_scalar t, const struct span* a, const struct span* b)
{
    if (t == HD_SCALAR_STRING)
    {
        return compare_bytes(a->elem.p, a->elem.n, b->elem.p, b->elem.n);
    }
    return a->key < b->key ? -1 : a->key > b->key ? 1 : 0;
}

/* Stable bottom-up merge sort (qsort has no context argument in C11). */
static void
sort_spans(enum hd_scalar t, struct span* a, struct span* tmp, size_t n)
{
    for (size_t width = 1; width < n; width *= 2)
    {
        for (size_t lo = 0; lo < n; lo += 2 * width)
        {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo;
            size_t j = mid;
            size_t k = lo;
            while (i < mid && j < hi)
            {
                tmp[k++] = span_compare(t, &a[j], &a[i]) < 0 ? a[j++] : a[i++];
            }
            while (i < mid)
            {
                tmp[k++] = a[i++];
            }
            while (j < hi)
            {
                tmp[k++] = a[j++];
            }
        }
        memcpy(a, tmp, n * sizeof *a);
    }
}

int
hd_value_canonical(int datatype, const uint8_t* p, size_t n, struct hd_buf* out)
{
    int rc = hd_value_is_canonical(datatype, p, n);
    if (rc < 0)
    {
        return rc;
    }
    if (rc == 1)
    {
        return hd_buf_append(out, p, n) == HD_WIRE_OK ? HD_VALUE_OK : HD_VALUE_ENOMEM;
    }
    /* a set or a map, well-formed, to sort */
    struct hd_type t;
    if (hd_type_of(datatype, &t) != HD_VALUE_OK)
    {
        return HD_VALUE_ETYPE;
    }
    size_t count = 0;
    struct hd_value_iter it;
    struct hd_element e;
    struct hd_element v;
    hd_value_iter_init(&it, datatype, p, n);
    while (hd_value_iter_next(&it, &e, &v) == 1)
    {
        ++count;
    }
    struct span* spans = malloc(2 * count * sizeof *spans);
    if (spans == NULL)
    {
        return HD_VALUE_ENOMEM;
    }
    hd_value_iter_init(&it, datatype, p, n);
    const uint8_t* start = p;
    for (size_t i = 0; hd_value_iter_next(&it, &e, &v) == 1; ++i)
    {
        spans[i].elem = e;
        spans[i].key = t.elem == HD_SCALAR_STRING ? 0 : number_key(t.elem, e.p);
        spans[i].start = start;
        spans[i].len = (size_t)(it.p - start);
        start = it.p;
    }
    sort_spans(t.elem, spans, spans + count, count);

    size_t mark = out->len;
    static const uint8_t zero[8] = {0};
    rc = HD_VALUE_OK;
    for (size_t i = 0; i < count && rc == HD_VALUE_OK; ++i)
    {
        if (i > 0 && span_compare(t.elem, &spans[i - 1], &spans[i]) == 0)
        {
            if (t.shape == HD_SHAPE_MAP)
            {
                rc = HD_VALUE_EMALFORMED; /* a key twice */
            }
            continue; /* a set: a duplicate */
        }
        int wrc;
        if (is_negative_zero(t.elem, &spans[i].elem))
        {
            /* -0 as a set element or map key is written as 0; a map value follows it */
            wrc = hd_buf_append(out, zero, 8);
            if (wrc == HD_WIRE_OK)
            {
                wrc = hd_buf_append(out, spans[i].start + 8, spans[i].len - 8);
            }
        }
        else
        {
            wrc = hd_buf_append(out, spans[i].start, spans[i].len);
        }
        if (wrc != HD_WIRE_OK)
        {
            rc = HD_VALUE_ENOMEM;
        }
    }
    free(spans);
    if (rc != HD_VALUE_OK && out->len > mark)
    {
        out->len = mark;
    }
    return rc;
}

/* ---- coordinates --------------------------------------------------------------------------- */

uint64_t
hd_fnv1a64(const void* p, size_t n)
{
    const uint8_t* b = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; ++i)
    {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t
hd_fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint64_t
hd_hash64(const void* p, size_t n)
{
    return hd_fmix64(hd_fnv1a64(p, n));
}

uint64_t
hd_int64_coordinate(int64_t v)
{
    return (uint64_t)v ^ SIGN64;
}

uint64_t
hd_float_bits_coordinate(uint64_t bits)
{
    if (bits == SIGN64)
    {
        bits = 0;
    }
    return (bits & SIGN64) != 0 ? ~bits : bits | SIGN64;
}

uint64_t
hd_float_coordinate(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return hd_float_bits_coordinate(bits);
}

int
hd_value_coordinate(int datatype, const uint8_t* p, size_t n, uint64_t* out)
{
    struct hd_type t;
    int rc = hd_type_of(datatype, &t);
    if (rc != HD_VALUE_OK)
    {
        return rc;
    }
    if (t.shape == HD_SHAPE_SCALAR && t.elem != HD_SCALAR_STRING)
    {
        if (n != 8)
        {
            return HD_VALUE_EMALFORMED;
        }
        /* int64: the sign flip of hd_int64_coordinate, on the bits */
        *out = t.elem == HD_SCALAR_INT64 ? le64(p) ^ SIGN64 : hd_float_bits_coordinate(le64(p));
        return HD_VALUE_OK;
    }
    rc = hd_value_is_canonical(datatype, p, n);
    if (rc < 0)
    {
        return rc;
    }
    if (rc == 1)
    {
        *out = hd_hash64(p, n);
        return HD_VALUE_OK;
    }
    struct hd_buf canonical;
    hd_buf_init(&canonical, n);
    rc = hd_value_canonical(datatype, p, n, &canonical);
    if (rc == HD_VALUE_OK)
    {
        *out = hd_hash64(canonical.data, canonical.len);
    }
    hd_buf_free(&canonical);
    return rc;
}

/* ---- partitioning -------------------------------------------------------------------------- */

int
hd_partition(size_t dims, size_t count, uint64_t* lower, uint64_t* upper)
{
    if (dims == 0 || count == 0)
    {
        return HD_VALUE_EARG;
    }
    /* the queue of partitionSubspace: 1 box, and each of the count - 1 splits appends 2 */
    size_t slots = 2 * count - 1;
    if (count > SIZE_MAX / 2 / dims / sizeof(uint64_t))
    {
        return HD_VALUE_ENOMEM;
    }
    uint64_t* lo = malloc(slots * dims * sizeof *lo);
    uint64_t* hi = malloc(slots * dims * sizeof *hi);
    size_t* axis = malloc(slots * sizeof *axis);
    if (lo == NULL || hi == NULL || axis == NULL)
    {
        free(lo);
        free(hi);
        free(axis);
        return HD_VALUE_ENOMEM;
    }
    for (size_t j = 0; j < dims; ++j)
    {
        lo[j] = 0;
        hi[j] = UINT64_MAX;
    }
    axis[0] = 0;
    size_t head = 0;
    size_t tail = 1;
    int rc = HD_VALUE_OK;
    while (tail - head < count)
    {
        size_t b = head++;
        size_t a = axis[b];
        if (lo[b * dims + a] == hi[b * dims + a])
        {
            rc = HD_VALUE_EARG;
            break;
        }
        uint64_t mid = lo[b * dims + a] + (hi[b * dims + a] - lo[b * dims + a]) / 2;
        size_t l = tail++;
        size_t r = tail++;
        memcpy(lo + l * dims, lo + b * dims, dims * sizeof *lo);
        memcpy(hi + l * dims, hi + b * dims, dims * sizeof *hi);
        memcpy(lo + r * dims, lo + b * dims, dims * sizeof *lo);
        memcpy(hi + r * dims, hi + b * dims, dims * sizeof *hi);
        hi[l * dims + a] = mid;
        lo[r * dims + a] = mid + 1;
        axis[l] = axis[r] = (a + 1) % dims;
    }
    if (rc == HD_VALUE_OK)
    {
        memcpy(lower, lo + head * dims, count * dims * sizeof *lo);
        memcpy(upper, hi + head * dims, count * dims * sizeof *hi);
    }
    free(lo);
    free(hi);
    free(axis);
    return rc;
}

int
hd_box_contains(size_t dims, const uint64_t* lower, const uint64_t* upper, const uint64_t* point)
{
    for (size_t j = 0; j < dims; ++j)
    {
        if (point[j] < lower[j] || point[j] > upper[j])
        {
            return 0;
        }
    }
    return 1;
}

/* ---- planning ------------------------------------------------------------------------------ */

int
hd_axis_interval(int datatype, const struct hd_plan_check* checks, size_t n, uint64_t* lo,
                 uint64_t* hi)
{
    struct hd_type t;
    int rc = hd_type_of(datatype, &t);
    if (rc != HD_VALUE_OK)
    {
        return rc;
    }
    int ordered = t.shape == HD_SHAPE_SCALAR && t.elem != HD_SCALAR_STRING;
    /* strict bounds only on int64: on a float axis -0 and 0 share a point (see coordinate.h) */
    int strict = t.shape == HD_SHAPE_SCALAR && t.elem == HD_SCALAR_INT64;
    uint64_t l = 0;
    uint64_t h = UINT64_MAX;
    int empty = 0;
    for (size_t i = 0; i < n; ++i)
    {
        int op = checks[i].op;
        if (op != HYPERDEX_CHECK_EQUALS &&
            (!ordered || (op != HYPERDEX_CHECK_GREATER_EQUAL && op != HYPERDEX_CHECK_GREATER_THAN &&
                          op != HYPERDEX_CHECK_LESS_EQUAL && op != HYPERDEX_CHECK_LESS_THAN)))
        {
            continue;
        }
        uint64_t c;
        rc = hd_value_coordinate(datatype, checks[i].value, checks[i].value_len, &c);
        if (rc != HD_VALUE_OK)
        {
            return rc;
        }
        if (op == HYPERDEX_CHECK_GREATER_THAN && strict)
        {
            if (c == UINT64_MAX)
            {
                empty = 1;
                continue;
            }
            op = HYPERDEX_CHECK_GREATER_EQUAL;
            c += 1;
        }
        else if (op == HYPERDEX_CHECK_LESS_THAN && strict)
        {
            if (c == 0)
            {
                empty = 1;
                continue;
            }
            op = HYPERDEX_CHECK_LESS_EQUAL;
            c -= 1;
        }
        if (op == HYPERDEX_CHECK_EQUALS || op == HYPERDEX_CHECK_GREATER_EQUAL ||
            op == HYPERDEX_CHECK_GREATER_THAN)
        {
            l = c > l ? c : l;
        }
        if (op == HYPERDEX_CHECK_EQUALS || op == HYPERDEX_CHECK_LESS_EQUAL ||
            op == HYPERDEX_CHECK_LESS_THAN)
        {
            h = c < h ? c : h;
        }
    }
    *lo = l;
    *hi = h;
    return !empty && l <= h;
}

int
hd_box_meets(size_t dims, const uint64_t* lower, const uint64_t* upper, const uint64_t* lo,
             const uint64_t* hi)
{
    for (size_t j = 0; j < dims; ++j)
    {
        if (lower[j] > hi[j] || lo[j] > upper[j])
        {
            return 0;
        }
    }
    return 1;
}
