/* HyperDex's wire layer: msgpack subset encoder and decoder, frame decoder. See wire.h. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include "hyperdex.h"

_Static_assert(HD_FRAME_HEADER_BYTES == HYPERDEX_FRAME_HEADER_BYTES, "frame header size");

const char*
hd_wire_strerror(int status)
{
    switch (status)
    {
        case HD_WIRE_OK:
            return "success";
        case HD_WIRE_ENOMEM:
            return "out of memory";
        case HD_WIRE_ETOOBIG:
            return "too big";
        case HD_WIRE_ETRUNCATED:
            return "truncated value";
        case HD_WIRE_ETRAILING:
            return "bytes after the value";
        case HD_WIRE_EBADBYTE:
            return "the byte 0xc1, which msgpack never uses";
        case HD_WIRE_EEXT:
            return "an extension type, not part of the protocol";
        case HD_WIRE_EDEPTH:
            return "nested too deep";
        case HD_WIRE_ECOUNT:
            return "more elements claimed than bytes remain";
        case HD_WIRE_EMAPKEY:
            return "a map key that is not a str";
        case HD_WIRE_ETYPE:
            return "unexpected kind of item";
        case HD_WIRE_ERANGE:
            return "integer out of range";
        case HD_WIRE_EEMPTY:
            return "no value";
        default:
            return "unknown error";
    }
}

/* ---- big-endian helpers -------------------------------------------------------------------- */

static uint16_t
be16(const uint8_t* p)
{
    return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}

static uint32_t
be32(const uint8_t* p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t
be64(const uint8_t* p)
{
    return ((uint64_t)be32(p) << 32) | be32(p + 4);
}

static void
put_be(uint8_t* p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; ++i)
    {
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
}

/* ---- output buffer ------------------------------------------------------------------------- */

void
hd_buf_init(struct hd_buf* b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->error = HD_WIRE_OK;
}

void
hd_buf_free(struct hd_buf* b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void
hd_buf_reset(struct hd_buf* b)
{
    b->len = 0;
    b->error = HD_WIRE_OK;
}

static int
buf_fail(struct hd_buf* b, int error)
{
    b->error = error;
    return error;
}

int
hd_buf_append(struct hd_buf* b, const void* p, size_t n)
{
    if (b->error != HD_WIRE_OK)
    {
        return b->error;
    }
    if (n > b->max - b->len)
    {
        return buf_fail(b, HD_WIRE_ETOOBIG);
    }
    if (n > b->cap - b->len)
    {
        size_t want = b->len + n;
        size_t cap = b->cap < 64 ? 64 : b->cap;
        while (cap < want)
        {
            cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
        }
        if (cap > b->max)
        {
            cap = b->max;
        }
        uint8_t* data = realloc(b->data, cap);
        if (data == NULL)
        {
            return buf_fail(b, HD_WIRE_ENOMEM);
        }
        b->data = data;
        b->cap = cap;
    }
    if (n > 0)
    {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
    return HD_WIRE_OK;
}

/* ---- encoder ------------------------------------------------------------------------------- */

/* A lead byte followed by an n-byte big-endian number. */
static int
put_lead(struct hd_buf* b, uint8_t lead, uint64_t v, size_t n)
{
    uint8_t tmp[9];
    tmp[0] = lead;
    put_be(tmp + 1, v, n);
    return hd_buf_append(b, tmp, 1 + n);
}

int
hd_wire_put_nil(struct hd_buf* b)
{
    return put_lead(b, 0xc0, 0, 0);
}

int
hd_wire_put_bool(struct hd_buf* b, int v)
{
    return put_lead(b, v ? 0xc3 : 0xc2, 0, 0);
}

int
hd_wire_put_uint(struct hd_buf* b, uint64_t v)
{
    if (v < 0x80)
    {
        return put_lead(b, (uint8_t)v, 0, 0);
    }
    if (v <= 0xff)
    {
        return put_lead(b, 0xcc, v, 1);
    }
    if (v <= 0xffff)
    {
        return put_lead(b, 0xcd, v, 2);
    }
    if (v <= 0xffffffffu)
    {
        return put_lead(b, 0xce, v, 4);
    }
    return put_lead(b, 0xcf, v, 8);
}

int
hd_wire_put_int(struct hd_buf* b, int64_t v)
{
    if (v >= 0)
    {
        return hd_wire_put_uint(b, (uint64_t)v);
    }
    if (v >= -32)
    {
        return put_lead(b, (uint8_t)(0x100 + v), 0, 0);
    }
    if (v >= INT8_MIN)
    {
        return put_lead(b, 0xd0, (uint64_t)v, 1);
    }
    if (v >= INT16_MIN)
    {
        return put_lead(b, 0xd1, (uint64_t)v, 2);
    }
    if (v >= INT32_MIN)
    {
        return put_lead(b, 0xd2, (uint64_t)v, 4);
    }
    return put_lead(b, 0xd3, (uint64_t)v, 8);
}

int
hd_wire_put_double(struct hd_buf* b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return put_lead(b, 0xcb, bits, 8);
}

/* A header of a str/bin/array/map family: the fix form if `fix_max` allows, then 8 (when
 * lead8 != 0), 16 and 32 bits. */
static int
put_header(struct hd_buf* b, size_t n, uint8_t fix, size_t fix_max, uint8_t lead8,
           uint8_t lead16, uint8_t lead32)
{
    if (n <= fix_max)
    {
        return put_lead(b, (uint8_t)(fix | n), 0, 0);
    }
    if (lead8 != 0 && n <= 0xff)
    {
        return put_lead(b, lead8, n, 1);
    }
    if (n <= 0xffff)
    {
        return put_lead(b, lead16, n, 2);
    }
    if ((uint64_t)n <= 0xffffffffu)
    {
        return put_lead(b, lead32, n, 4);
    }
    if (b->error != HD_WIRE_OK)
    {
        return b->error;
    }
    return buf_fail(b, HD_WIRE_ETOOBIG);
}

/* Fails the buffer unless `head` header bytes and n payload bytes fit, so that a str or bin is
 * written whole or not at all. */
static int
room_for(struct hd_buf* b, size_t head, size_t n)
{
    if (b->error != HD_WIRE_OK)
    {
        return b->error;
    }
    size_t room = b->max - b->len;
    if (room < head || n > room - head)
    {
        return buf_fail(b, HD_WIRE_ETOOBIG);
    }
    return HD_WIRE_OK;
}

int
hd_wire_put_str(struct hd_buf* b, const void* p, size_t n)
{
    if (room_for(b, n < 32 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5, n) != HD_WIRE_OK)
    {
        return b->error;
    }
    put_header(b, n, 0xa0, 31, 0xd9, 0xda, 0xdb);
    return hd_buf_append(b, p, n);
}

int
hd_wire_put_cstr(struct hd_buf* b, const char* s)
{
    return hd_wire_put_str(b, s, strlen(s));
}

int
hd_wire_put_bin(struct hd_buf* b, const void* p, size_t n)
{
    /* bin has no fix form */
    if (room_for(b, n <= 0xff ? 2 : n <= 0xffff ? 3 : 5, n) != HD_WIRE_OK)
    {
        return b->error;
    }
    if (n <= 0xff)
    {
        put_lead(b, 0xc4, n, 1);
    }
    else if (n <= 0xffff)
    {
        put_lead(b, 0xc5, n, 2);
    }
    else if ((uint64_t)n <= 0xffffffffu)
    {
        put_lead(b, 0xc6, n, 4);
    }
    else if (b->error == HD_WIRE_OK)
    {
        buf_fail(b, HD_WIRE_ETOOBIG);
    }
    return hd_buf_append(b, p, n);
}

int
hd_wire_put_array(struct hd_buf* b, size_t n)
{
    return put_header(b, n, 0x90, 15, 0, 0xdc, 0xdd);
}

int
hd_wire_put_map(struct hd_buf* b, size_t n)
{
    return put_header(b, n, 0x80, 15, 0, 0xde, 0xdf);
}

int
hd_wire_put_u64_bound(struct hd_buf* b, uint64_t v)
{
    return put_lead(b, v < ((uint64_t)1 << 63) ? 0xd3 : 0xcf, v, 8);
}

int
hd_wire_put_map16(struct hd_buf* b, uint16_t n)
{
    return put_lead(b, 0xde, n, 2);
}

size_t
hd_wire_frame_begin(struct hd_buf* b, uint16_t type, uint64_t id)
{
    size_t start = b->len;
    uint8_t h[HD_FRAME_HEADER_BYTES];
    put_be(h, 0, 4);
    put_be(h + 4, type, 2);
    put_be(h + 6, id, 8);
    hd_buf_append(b, h, sizeof h);
    return start;
}

int
hd_wire_frame_end(struct hd_buf* b, size_t start, uint64_t frame_bytes_max)
{
    if (b->error != HD_WIRE_OK)
    {
        return b->error;
    }
    if (start > b->len || b->len - start < HD_FRAME_HEADER_BYTES)
    {
        return HD_WIRE_ETRUNCATED;
    }
    uint64_t total = b->len - start;
    if (total == HD_FRAME_HEADER_BYTES)
    {
        b->len = start;
        return HD_WIRE_EEMPTY;
    }
    if (total > frame_bytes_max || total - HD_FRAME_SIZE_FIELD_BYTES > 0xffffffffu)
    {
        b->len = start;
        return HD_WIRE_ETOOBIG;
    }
    put_be(b->data + start, total - HD_FRAME_SIZE_FIELD_BYTES, 4);
    return HD_WIRE_OK;
}

/* ---- decoder ------------------------------------------------------------------------------- */

/* Reads one item header at p (p < end). For str and bin the payload is included and checked to be
 * there; for arrays and maps only the header. *next is where the following item starts. */
static int
read_item(const uint8_t* p, const uint8_t* end, struct hd_wire_item* it, const uint8_t** next)
{
    size_t avail = (size_t)(end - p);
    if (avail == 0)
    {
        return HD_WIRE_ETRUNCATED;
    }
    uint8_t lead = p[0];
    size_t head = 1;      /* header bytes, lead included */
    uint64_t payload = 0; /* str/bin bytes after the header */
    it->lead = lead;

    if (lead <= 0x7f)
    {
        it->kind = HD_WIRE_UINT;
        it->v.u = lead;
    }
    else if (lead <= 0x8f)
    {
        it->kind = HD_WIRE_MAP;
        it->v.count = lead & 0x0f;
    }
    else if (lead <= 0x9f)
    {
        it->kind = HD_WIRE_ARRAY;
        it->v.count = lead & 0x0f;
    }
    else if (lead <= 0xbf)
    {
        it->kind = HD_WIRE_STR;
        payload = lead & 0x1f;
    }
    else if (lead >= 0xe0)
    {
        it->kind = HD_WIRE_INT;
        it->v.i = (int64_t)lead - 0x100;
    }
    else
    {
        /* 0xc0 .. 0xdf: the fixed-size families; `width` is the size of the number or length that
         * follows the lead byte */
        size_t width = 0;
        switch (lead)
        {
            case 0xc0:
            case 0xc2:
            case 0xc3:
                break;
            case 0xc1:
                return HD_WIRE_EBADBYTE;
            case 0xc7:
            case 0xc8:
            case 0xc9:
            case 0xd4:
            case 0xd5:
            case 0xd6:
            case 0xd7:
            case 0xd8:
                return HD_WIRE_EEXT;
            case 0xc4:
            case 0xcc:
            case 0xd0:
            case 0xd9:
                width = 1;
                break;
            case 0xc5:
            case 0xcd:
            case 0xd1:
            case 0xda:
            case 0xdc:
            case 0xde:
                width = 2;
                break;
            case 0xc6:
            case 0xca:
            case 0xce:
            case 0xd2:
            case 0xdb:
            case 0xdd:
            case 0xdf:
                width = 4;
                break;
            default: /* 0xcb, 0xcf, 0xd3 */
                width = 8;
                break;
        }
        if (avail < 1 + width)
        {
            return HD_WIRE_ETRUNCATED;
        }
        head = 1 + width;
        const uint8_t* q = p + 1;
        uint64_t n = width == 1   ? q[0]
                     : width == 2 ? be16(q)
                     : width == 4 ? be32(q)
                     : width == 8 ? be64(q)
                                  : 0;
        switch (lead)
        {
            case 0xc0:
                it->kind = HD_WIRE_NIL;
                break;
            case 0xc2:
            case 0xc3:
                it->kind = HD_WIRE_BOOL;
                it->v.b = lead == 0xc3;
                break;
            case 0xc4:
            case 0xc5:
            case 0xc6:
                it->kind = HD_WIRE_BIN;
                payload = n;
                break;
            case 0xd9:
            case 0xda:
            case 0xdb:
                it->kind = HD_WIRE_STR;
                payload = n;
                break;
            case 0xca:
            {
                uint32_t bits = (uint32_t)n;
                float f;
                memcpy(&f, &bits, sizeof f);
                it->kind = HD_WIRE_FLOAT;
                it->v.f = f;
                break;
            }
            case 0xcb:
                it->kind = HD_WIRE_FLOAT;
                memcpy(&it->v.f, &n, sizeof n);
                break;
            case 0xcc:
            case 0xcd:
            case 0xce:
            case 0xcf:
                it->kind = HD_WIRE_UINT;
                it->v.u = n;
                break;
            case 0xd0:
            case 0xd1:
            case 0xd2:
            case 0xd3:
            {
                /* a width-byte two's complement number: with its sign bit set it is
                 * n - 2^(8 width) = -((~n & (sign - 1)) + 1) */
                uint64_t sign = (uint64_t)1 << (8 * width - 1);
                int64_t s = (n & sign) != 0 ? -(int64_t)(~n & (sign - 1)) - 1 : (int64_t)n;
                if (s >= 0)
                {
                    it->kind = HD_WIRE_UINT;
                    it->v.u = (uint64_t)s;
                }
                else
                {
                    it->kind = HD_WIRE_INT;
                    it->v.i = s;
                }
                break;
            }
            case 0xdc:
            case 0xdd:
                it->kind = HD_WIRE_ARRAY;
                it->v.count = (uint32_t)n;
                break;
            default: /* 0xde, 0xdf */
                it->kind = HD_WIRE_MAP;
                it->v.count = (uint32_t)n;
                break;
        }
    }
    if (payload > avail - head)
    {
        return HD_WIRE_ETRUNCATED;
    }
    if (it->kind == HD_WIRE_STR || it->kind == HD_WIRE_BIN)
    {
        it->v.bytes.p = p + head;
        it->v.bytes.n = (size_t)payload;
    }
    *next = p + head + payload;
    return HD_WIRE_OK;
}

int
hd_wire_check(const uint8_t* p, size_t n)
{
    if (n == 0)
    {
        return HD_WIRE_EEMPTY;
    }
    const uint8_t* end = p + n;
    /* left[l]: elements still to read at level l (level 0 is the top-level value); in a map level
     * they count keys and values, so an even count means the next one is a key */
    uint64_t left[HD_WIRE_DEPTH_MAX];
    int is_map[HD_WIRE_DEPTH_MAX];
    int level = 0;
    left[0] = 1;
    is_map[0] = 0;
    while (level >= 0)
    {
        if (left[level] == 0)
        {
            --level;
            continue;
        }
        int key = is_map[level] && left[level] % 2 == 0;
        --left[level];
        struct hd_wire_item it;
        int rc = read_item(p, end, &it, &p);
        if (rc != HD_WIRE_OK)
        {
            return rc;
        }
        if (key && it.kind != HD_WIRE_STR)
        {
            return HD_WIRE_EMAPKEY;
        }
        if ((it.kind == HD_WIRE_ARRAY || it.kind == HD_WIRE_MAP) && it.v.count > 0)
        {
            uint64_t elements = it.kind == HD_WIRE_MAP ? 2 * (uint64_t)it.v.count : it.v.count;
            /* the elements would be at depth level + 2 */
            if (level + 2 > HD_WIRE_DEPTH_MAX)
            {
                return HD_WIRE_EDEPTH;
            }
            /* every element takes at least one byte */
            if (elements > (uint64_t)(end - p))
            {
                return HD_WIRE_ECOUNT;
            }
            ++level;
            left[level] = elements;
            is_map[level] = it.kind == HD_WIRE_MAP;
        }
    }
    return p == end ? HD_WIRE_OK : HD_WIRE_ETRAILING;
}

void
hd_wire_reader_init(struct hd_wire_reader* r, const uint8_t* p, size_t n)
{
    r->p = p;
    r->end = p + n;
    r->error = HD_WIRE_OK;
}

size_t
hd_wire_reader_left(const struct hd_wire_reader* r)
{
    return (size_t)(r->end - r->p);
}

static int
reader_fail(struct hd_wire_reader* r, int error)
{
    r->error = error;
    return error;
}

int
hd_wire_peek(struct hd_wire_reader* r)
{
    if (r->error != HD_WIRE_OK)
    {
        return 0;
    }
    struct hd_wire_item it;
    const uint8_t* next;
    int rc = read_item(r->p, r->end, &it, &next);
    if (rc != HD_WIRE_OK)
    {
        reader_fail(r, rc);
        return 0;
    }
    return (int)it.kind;
}

int
hd_wire_next(struct hd_wire_reader* r, struct hd_wire_item* out)
{
    if (r->error != HD_WIRE_OK)
    {
        return r->error;
    }
    int rc = read_item(r->p, r->end, out, &r->p);
    return rc == HD_WIRE_OK ? rc : reader_fail(r, rc);
}

int
hd_wire_skip(struct hd_wire_reader* r)
{
    uint64_t left = 1;
    while (left > 0)
    {
        struct hd_wire_item it;
        int rc = hd_wire_next(r, &it);
        if (rc != HD_WIRE_OK)
        {
            return rc;
        }
        --left;
        if (it.kind == HD_WIRE_ARRAY)
        {
            left += it.v.count;
        }
        else if (it.kind == HD_WIRE_MAP)
        {
            left += 2 * (uint64_t)it.v.count;
        }
    }
    return HD_WIRE_OK;
}

static int
read_kind(struct hd_wire_reader* r, enum hd_wire_kind kind, struct hd_wire_item* it)
{
    int rc = hd_wire_next(r, it);
    if (rc != HD_WIRE_OK)
    {
        return rc;
    }
    return it->kind == kind ? HD_WIRE_OK : reader_fail(r, HD_WIRE_ETYPE);
}

int
hd_wire_read_uint(struct hd_wire_reader* r, uint64_t max, uint64_t* out)
{
    struct hd_wire_item it;
    int rc = hd_wire_next(r, &it);
    if (rc != HD_WIRE_OK)
    {
        return rc;
    }
    switch (it.kind)
    {
        case HD_WIRE_UINT:
            break;
        case HD_WIRE_INT:
            return reader_fail(r, HD_WIRE_ERANGE);
        case HD_WIRE_FLOAT:
        {
            double f = it.v.f;
            /* 18446744073709551616.0 is 2^64, the first double past u64; NaN fails both tests */
            if (!(f >= 0 && f < 18446744073709551616.0))
            {
                return reader_fail(r, HD_WIRE_ERANGE);
            }
            it.v.u = (uint64_t)f;
            if ((double)it.v.u != f)
            {
                return reader_fail(r, HD_WIRE_ETYPE); /* not integral */
            }
            break;
        }
        default:
            return reader_fail(r, HD_WIRE_ETYPE);
    }
    if (it.v.u > max)
    {
        return reader_fail(r, HD_WIRE_ERANGE);
    }
    *out = it.v.u;
    return HD_WIRE_OK;
}

int
hd_wire_read_str(struct hd_wire_reader* r, const uint8_t** p, size_t* n)
{
    struct hd_wire_item it;
    int rc = read_kind(r, HD_WIRE_STR, &it);
    if (rc == HD_WIRE_OK)
    {
        *p = it.v.bytes.p;
        *n = it.v.bytes.n;
    }
    return rc;
}

int
hd_wire_read_bin(struct hd_wire_reader* r, const uint8_t** p, size_t* n)
{
    struct hd_wire_item it;
    int rc = read_kind(r, HD_WIRE_BIN, &it);
    if (rc == HD_WIRE_OK)
    {
        *p = it.v.bytes.p;
        *n = it.v.bytes.n;
    }
    return rc;
}

int
hd_wire_read_array(struct hd_wire_reader* r, uint32_t* count)
{
    struct hd_wire_item it;
    int rc = read_kind(r, HD_WIRE_ARRAY, &it);
    if (rc == HD_WIRE_OK)
    {
        *count = it.v.count;
    }
    return rc;
}

int
hd_wire_read_map(struct hd_wire_reader* r, uint32_t* count)
{
    struct hd_wire_item it;
    int rc = read_kind(r, HD_WIRE_MAP, &it);
    if (rc == HD_WIRE_OK)
    {
        *count = it.v.count;
    }
    return rc;
}

int
hd_wire_read_nil(struct hd_wire_reader* r)
{
    int kind = hd_wire_peek(r);
    if (kind == 0)
    {
        return r->error;
    }
    if (kind != HD_WIRE_NIL)
    {
        return 0;
    }
    ++r->p;
    return 1;
}

/* ---- frame decoder ------------------------------------------------------------------------- */

void
hd_frame_decoder_init(struct hd_frame_decoder* d, uint64_t frame_bytes_max)
{
    memset(d, 0, sizeof *d);
    d->frame_bytes_max = frame_bytes_max;
    d->error = HD_FRAME_OK;
}

void
hd_frame_decoder_free(struct hd_frame_decoder* d)
{
    free(d->buf);
    d->buf = NULL;
    d->buf_len = 0;
    d->buf_cap = 0;
    d->buf_release = 0;
    d->ext = NULL;
    d->ext_len = 0;
}

static int
decoder_fail(struct hd_frame_decoder* d, enum hd_frame_error_kind kind, uint32_t size)
{
    d->error = kind;
    d->error_size = size;
    d->buf_len = 0;
    d->buf_release = 0;
    d->ext = NULL;
    d->ext_len = 0;
    return -1;
}

/* Drops the frame last handed out from buf. buf holds the bytes of the stream before ext. */
static void
decoder_release(struct hd_frame_decoder* d)
{
    if (d->buf_release > 0)
    {
        memmove(d->buf, d->buf + d->buf_release, d->buf_len - d->buf_release);
        d->buf_len -= d->buf_release;
        d->buf_release = 0;
    }
}

/* Moves up to n bytes from the front of ext to the end of buf. */
static int
decoder_take(struct hd_frame_decoder* d, size_t n)
{
    if (n > d->ext_len)
    {
        n = d->ext_len;
    }
    if (n == 0)
    {
        return 0;
    }
    if (n > d->buf_cap - d->buf_len)
    {
        size_t want = d->buf_len + n;
        size_t cap = d->buf_cap < 256 ? 256 : d->buf_cap;
        while (cap < want)
        {
            cap = cap > SIZE_MAX / 2 ? want : cap * 2;
        }
        uint8_t* buf = realloc(d->buf, cap);
        if (buf == NULL)
        {
            return decoder_fail(d, HD_FRAME_NOMEM, 0);
        }
        d->buf = buf;
        d->buf_cap = cap;
    }
    memcpy(d->buf + d->buf_len, d->ext, n);
    d->buf_len += n;
    d->ext += n;
    d->ext_len -= n;
    return 0;
}

int
hd_frame_decoder_push(struct hd_frame_decoder* d, const uint8_t* p, size_t n)
{
    if (d->error != HD_FRAME_OK)
    {
        return -1;
    }
    decoder_release(d);
    /* the caller did not drain the previous chunk: keep its rest, in order */
    if (decoder_take(d, d->ext_len) < 0)
    {
        return -1;
    }
    d->ext = p;
    d->ext_len = n;
    return 0;
}

/* Checks a size field; 0 or -1 (failed). */
static int
check_size(struct hd_frame_decoder* d, uint32_t size)
{
    if (size < HD_FRAME_SIZE_MIN)
    {
        return decoder_fail(d, HD_FRAME_TOO_SMALL, size);
    }
    if ((uint64_t)size + HD_FRAME_SIZE_FIELD_BYTES > d->frame_bytes_max)
    {
        return decoder_fail(d, HD_FRAME_TOO_LARGE, size);
    }
    return 0;
}

static void
frame_at(const uint8_t* p, uint32_t size, struct hd_frame* out)
{
    out->type = be16(p + 4);
    out->id = be64(p + 6);
    out->body = p + HD_FRAME_HEADER_BYTES;
    out->body_len = (size_t)size + HD_FRAME_SIZE_FIELD_BYTES - HD_FRAME_HEADER_BYTES;
}

int
hd_frame_decoder_next(struct hd_frame_decoder* d, struct hd_frame* out)
{
    if (d->error != HD_FRAME_OK)
    {
        return -1;
    }
    decoder_release(d);
    if (d->buf_len > 0)
    {
        /* a frame begun in an earlier chunk: complete it in buf */
        if (d->buf_len < HD_FRAME_SIZE_FIELD_BYTES &&
            decoder_take(d, HD_FRAME_SIZE_FIELD_BYTES - d->buf_len) < 0)
        {
            return -1;
        }
        if (d->buf_len < HD_FRAME_SIZE_FIELD_BYTES)
        {
            return 0;
        }
        uint32_t size = be32(d->buf);
        if (check_size(d, size) < 0)
        {
            return -1;
        }
        size_t total = (size_t)size + HD_FRAME_SIZE_FIELD_BYTES;
        if (d->buf_len < total && decoder_take(d, total - d->buf_len) < 0)
        {
            return -1;
        }
        if (d->buf_len < total)
        {
            return 0;
        }
        frame_at(d->buf, size, out);
        d->buf_release = total;
        return 1;
    }
    if (d->ext_len < HD_FRAME_SIZE_FIELD_BYTES)
    {
        return decoder_take(d, d->ext_len) < 0 ? -1 : 0;
    }
    uint32_t size = be32(d->ext);
    if (check_size(d, size) < 0)
    {
        return -1;
    }
    size_t total = (size_t)size + HD_FRAME_SIZE_FIELD_BYTES;
    if (d->ext_len < total)
    {
        return decoder_take(d, d->ext_len) < 0 ? -1 : 0;
    }
    frame_at(d->ext, size, out);
    d->ext += total;
    d->ext_len -= total;
    return 1;
}

enum hd_frame_error_kind
hd_frame_decoder_error(const struct hd_frame_decoder* d, uint32_t* size)
{
    if (size != NULL)
    {
        *size = d->error == HD_FRAME_OK ? 0 : d->error_size;
    }
    return d->error;
}

size_t
hd_frame_decoder_pending(const struct hd_frame_decoder* d)
{
    return d->buf_len - d->buf_release + d->ext_len;
}
