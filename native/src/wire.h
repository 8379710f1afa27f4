/* HyperDex's wire layer, internal to libhyperclient: a msgpack subset encoder writing into a
 * growable buffer of bounded size, a decoder (a validator plus a cursor), and the frame decoder.
 * docs/protocol.md, sections 2 and 3, is the specification; src/common/frame.ts is the reference
 * implementation.
 *
 * C11, no global state, no allocation except in struct hd_buf and struct hd_frame_decoder (both
 * freed by their *_free function). Not thread-safe per object; distinct objects are independent.
 *
 * Decoding a body is two steps:
 *
 *   1. hd_wire_check(bytes, n) proves the bytes are exactly one well-formed msgpack value of the
 *      protocol's subset: no 0xc1, no extension type (d4..d8, c7..c9), nothing truncated, no
 *      trailing bytes, nesting at most HD_WIRE_DEPTH_MAX deep, no array or map claiming more
 *      elements than bytes remain, map keys str only (protocol.md 3; the TypeScript decoder,
 *      msgpackr, would turn other keys into strings). It allocates nothing.
 *   2. A struct hd_wire_reader walks the value in order (a cursor). Each read consumes one item;
 *      reading an array or map header consumes only the header, its elements follow one by one.
 *      Strings and bins point into the input: they live as long as the input bytes. The reader
 *      is bounds-checked on its own (it never reads past the end even on unchecked input), and its
 *      errors are sticky: after the first failure every later read fails with the same code.
 *
 * A caller that reads every item of the body with typed reads (each of which fails on the wrong
 * kind) and then checks that nothing is left proves the same as step 1 for that shape, and may
 * skip it: RESP_SEARCH_ITEMS does (client_search.c), where the walk of step 1 was a quarter of the
 * client's time on searches returning many objects.
 *
 * Integer items come out by value, whatever their width: a non-negative integer is
 * HD_WIRE_UINT (u), a negative one HD_WIRE_INT (i). `lead` keeps the item's first byte for
 * callers that care about the width used (tests, mostly).
 *
 * Strings are not checked for UTF-8 here: protocol.md 3 says TypeScript receivers replace bad
 * sequences (such a name then matches nothing), and byte comparison gives the same result.
 */
#ifndef HYPERDEX_WIRE_H
#define HYPERDEX_WIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Deepest nesting hd_wire_check accepts: a value at top level is at depth 1, the elements of a
 * top-level array at depth 2. The deepest body today, CONFIG, nests 10 deep (body, config,
 * spaces, space, subspaces, subspace, regions, region, lower, a bound). */
#define HD_WIRE_DEPTH_MAX 32

/* The frame header: u32 size, u16 type, u64 request id, all big-endian (docs/protocol.md 2). */
#define HD_FRAME_HEADER_BYTES 14
#define HD_FRAME_SIZE_FIELD_BYTES 4
/* The smallest size field: type + id + one body byte. */
#define HD_FRAME_SIZE_MIN 11

/* Status codes of this layer. 0 is success; every error is negative. */
enum hd_wire_status
{
    HD_WIRE_OK = 0,
    HD_WIRE_ENOMEM = -1,      /* allocation failed */
    HD_WIRE_ETOOBIG = -2,     /* a buffer would pass its bound, or a length does not fit its field */
    HD_WIRE_ETRUNCATED = -3,  /* the value ends before its bytes do */
    HD_WIRE_ETRAILING = -4,   /* bytes after the one value */
    HD_WIRE_EBADBYTE = -5,    /* 0xc1, which msgpack never uses */
    HD_WIRE_EEXT = -6,        /* an extension type, not part of the protocol */
    HD_WIRE_EDEPTH = -7,      /* nesting deeper than HD_WIRE_DEPTH_MAX */
    HD_WIRE_ECOUNT = -8,      /* an array or map claims more elements than bytes remain */
    HD_WIRE_EMAPKEY = -9,     /* a map key that is not a str */
    HD_WIRE_ETYPE = -10,      /* the reader found another kind of item than asked for */
    HD_WIRE_ERANGE = -11,     /* an integer outside the range asked for */
    HD_WIRE_EEMPTY = -12      /* the input holds no value at all */
};

/* A short English description of a status, e.g. "truncated value". Never NULL. */
const char* hd_wire_strerror(int status);

/* ---- output buffer ------------------------------------------------------------------------ */

/* A growable byte buffer that never holds more than `max` bytes. Errors are sticky: once an
 * append fails (HD_WIRE_ENOMEM or HD_WIRE_ETOOBIG), `error` is set, later appends do nothing and
 * return it, and `len` stays where it was before the failing append. Check `error` once after a
 * sequence of puts. */
struct hd_buf
{
    uint8_t* data;
    size_t len;
    size_t cap;
    size_t max;
    int error;
};

void hd_buf_init(struct hd_buf* b, size_t max);
void hd_buf_free(struct hd_buf* b);
/* Empties the buffer and clears its error; keeps its memory. */
void hd_buf_reset(struct hd_buf* b);
int hd_buf_append(struct hd_buf* b, const void* p, size_t n);

/* ---- encoder ------------------------------------------------------------------------------ */

/* Each put appends one item in the smallest msgpack form (as the TypeScript encoder does for
 * the same values) and returns 0 or the buffer's sticky error. Arrays and maps: put the header
 * with the element count, then the elements (for a map: key, value, key, value, ...). */
int hd_wire_put_nil(struct hd_buf* b);
int hd_wire_put_bool(struct hd_buf* b, int v);
int hd_wire_put_uint(struct hd_buf* b, uint64_t v);
int hd_wire_put_int(struct hd_buf* b, int64_t v);
int hd_wire_put_double(struct hd_buf* b, double v);
/* A str; the bytes are written as given (UTF-8 is the caller's business). */
int hd_wire_put_str(struct hd_buf* b, const void* p, size_t n);
int hd_wire_put_cstr(struct hd_buf* b, const char* s);
int hd_wire_put_bin(struct hd_buf* b, const void* p, size_t n);
int hd_wire_put_array(struct hd_buf* b, size_t n);
int hd_wire_put_map(struct hd_buf* b, size_t n);

/* The fixed forms the TypeScript coordinator writes (docs/protocol.md 3), for byte-exact
 * agreement with it: a region bound as a 64-bit integer (0xd3 int64 below 2^63, 0xcf uint64 from
 * 2^63 on), and a map header as map 16 (0xde) whatever its size. */
int hd_wire_put_u64_bound(struct hd_buf* b, uint64_t v);
int hd_wire_put_map16(struct hd_buf* b, uint16_t n);

/* Frames: hd_wire_frame_begin appends a header with a zero size field and returns the offset of
 * the frame in the buffer; put exactly one body value; hd_wire_frame_end fills in the size field.
 * hd_wire_frame_end fails with HD_WIRE_ETOOBIG when the body is empty or the frame exceeds
 * `frame_bytes_max` (whole frame, size field included) or 2^32 + 3 bytes. The buffer's own `max`
 * bounds everything appended. */
size_t hd_wire_frame_begin(struct hd_buf* b, uint16_t type, uint64_t id);
int hd_wire_frame_end(struct hd_buf* b, size_t start, uint64_t frame_bytes_max);

/* ---- decoder ------------------------------------------------------------------------------ */

/* 0 when p[0..n) is exactly one well-formed value (see the top of this file), else the first
 * problem found, reading from the front. */
int hd_wire_check(const uint8_t* p, size_t n);

enum hd_wire_kind
{
    HD_WIRE_NIL = 1,
    HD_WIRE_BOOL,
    HD_WIRE_UINT,   /* an integer >= 0, in any width: .u */
    HD_WIRE_INT,    /* an integer < 0, in any width: .i */
    HD_WIRE_FLOAT,  /* float 32 or float 64: .f */
    HD_WIRE_STR,    /* .bytes */
    HD_WIRE_BIN,    /* .bytes */
    HD_WIRE_ARRAY,  /* .count elements follow */
    HD_WIRE_MAP     /* .count key/value pairs follow */
};

struct hd_wire_item
{
    enum hd_wire_kind kind;
    uint8_t lead;  /* the item's first byte: its msgpack format */
    union
    {
        int b;
        uint64_t u;
        int64_t i;
        double f;
        struct
        {
            const uint8_t* p;
            size_t n;
        } bytes;
        uint32_t count;
    } v;
};

struct hd_wire_reader
{
    const uint8_t* p;
    const uint8_t* end;
    int error;
};

void hd_wire_reader_init(struct hd_wire_reader* r, const uint8_t* p, size_t n);
/* Bytes not read yet. */
size_t hd_wire_reader_left(const struct hd_wire_reader* r);
/* The kind of the next item without consuming it: 0 (and r->error set) when there is none or the
 * reader has failed. */
int hd_wire_peek(struct hd_wire_reader* r);
/* Reads one item; for arrays and maps only the header. 0 or an error. */
int hd_wire_next(struct hd_wire_reader* r, struct hd_wire_item* out);
/* Skips one whole value, elements included, however deep (it does not recurse). */
int hd_wire_skip(struct hd_wire_reader* r);

/* Typed reads: each consumes one item and fails with HD_WIRE_ETYPE on another kind (sticky, like
 * every reader error).
 * hd_wire_read_uint takes any integer width, and a float holding an integral value as the
 * TypeScript receivers do (docs/protocol.md 3); HD_WIRE_ERANGE when the value is negative or
 * above `max`. */
int hd_wire_read_uint(struct hd_wire_reader* r, uint64_t max, uint64_t* out);
int hd_wire_read_str(struct hd_wire_reader* r, const uint8_t** p, size_t* n);
int hd_wire_read_bin(struct hd_wire_reader* r, const uint8_t** p, size_t* n);
int hd_wire_read_array(struct hd_wire_reader* r, uint32_t* count);
int hd_wire_read_map(struct hd_wire_reader* r, uint32_t* count);
/* 1 and consumed when the next item is nil, 0 and nothing consumed when it is something else,
 * negative on an error. */
int hd_wire_read_nil(struct hd_wire_reader* r);

/* ---- frame decoder ------------------------------------------------------------------------ */

struct hd_frame
{
    uint16_t type;
    uint64_t id;
    const uint8_t* body;
    size_t body_len;
};

enum hd_frame_error_kind
{
    HD_FRAME_OK = 0,
    HD_FRAME_TOO_SMALL = 1,  /* size field < HD_FRAME_SIZE_MIN */
    HD_FRAME_TOO_LARGE = 2,  /* 4 + size field > frame_bytes_max */
    HD_FRAME_NOMEM = 3       /* could not buffer a partial frame */
};

/* Turns a byte stream fed in arbitrary chunks into frames, like FrameDecoder in frame.ts:
 *
 *     hd_frame_decoder_push(&d, chunk, n);
 *     while ((rc = hd_frame_decoder_next(&d, &frame)) > 0) handle(&frame);
 *     if (rc < 0) close the connection: hd_frame_decoder_error(&d, ...) says why.
 *
 * The size field is checked as soon as its 4 bytes are there, without waiting for the frame.
 * Errors are sticky: after one, push and next fail with it forever, and nothing stays buffered.
 *
 * Zero-copy where it can be: a frame wholly inside the chunk last pushed is handed out in place,
 * so the chunk must stay valid and unchanged until next returns 0 or -1 (or, when the caller
 * pushes again before that, until that push returns: it copies what was left). Only a frame
 * split across pushes is copied into the decoder's own buffer, which therefore never holds more
 * than one frame (at most frame_bytes_max bytes). A frame's body is valid until the next call of
 * push, next or free. */
struct hd_frame_decoder
{
    uint64_t frame_bytes_max;
    /* the partial frame, copied */
    uint8_t* buf;
    size_t buf_len;
    size_t buf_cap;
    size_t buf_release;  /* bytes of buf handed out as a frame, dropped at the next call */
    /* the rest of the chunk last pushed, not copied */
    const uint8_t* ext;
    size_t ext_len;
    enum hd_frame_error_kind error;
    uint32_t error_size;
};

void hd_frame_decoder_init(struct hd_frame_decoder* d, uint64_t frame_bytes_max);
void hd_frame_decoder_free(struct hd_frame_decoder* d);
/* 0, or -1 when the decoder has failed (before or now: a failed copy of the previous chunk's
 * tail). */
int hd_frame_decoder_push(struct hd_frame_decoder* d, const uint8_t* p, size_t n);
/* 1 with *out set, 0 when more bytes are needed, -1 when the stream has failed. */
int hd_frame_decoder_next(struct hd_frame_decoder* d, struct hd_frame* out);
/* HD_FRAME_OK or the sticky error; *size (if not NULL) gets the offending size field. */
enum hd_frame_error_kind hd_frame_decoder_error(const struct hd_frame_decoder* d, uint32_t* size);
/* Bytes pushed and not handed out as frames yet (TypeScript's bufferedBytes); 0 after an error. */
size_t hd_frame_decoder_pending(const struct hd_frame_decoder* d);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HYPERDEX_WIRE_H */
