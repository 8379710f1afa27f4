/* HyperDex's geometry, internal to libhyperclient: datatypes, value bytes (validation, canonical
 * form), coordinates on the 64-bit axes, partitioning, and the search planner's axis intervals.
 *
 * docs/protocol.md is the specification: section 6 (datatypes), 7 (values), 9 (coordinates), 11
 * (partitioning) and 4.14 (planning). The reference implementation is src/common/values.ts,
 * hyperspace.ts and planner.ts.
 *
 * Pure functions: no global state; the only allocations are scratch space freed before return.
 */
#ifndef HYPERDEX_COORDINATE_H
#define HYPERDEX_COORDINATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes; 0 is success. */
enum hd_value_status
{
    HD_VALUE_OK = 0,
    HD_VALUE_ENOMEM = -1,     /* scratch allocation failed */
    HD_VALUE_EMALFORMED = -2, /* the bytes are not a value of the type (WRONGTYPE on the wire) */
    HD_VALUE_ETYPE = -3,      /* not a concrete datatype (e.g. LIST_GENERIC, or no type at all) */
    HD_VALUE_EARG = -4        /* bad arguments (partitioning: dims or count 0, axis exhausted) */
};

/* ---- datatypes (docs/protocol.md 6) -------------------------------------------------------- */

/* Scalar types; the values are the datatype numbers' element offsets (string +1, int64 +2, float
 * +3). */
enum hd_scalar
{
    HD_SCALAR_STRING = 1,
    HD_SCALAR_INT64 = 2,
    HD_SCALAR_FLOAT = 3
};

enum hd_shape
{
    HD_SHAPE_SCALAR = 1,
    HD_SHAPE_LIST,
    HD_SHAPE_SET,
    HD_SHAPE_MAP
};

struct hd_type
{
    enum hd_shape shape;
    enum hd_scalar elem;  /* the scalar itself, the list or set element, or the map key */
    enum hd_scalar value; /* maps: the value type; else 0 */
};

/* The shape of a datatype number: 0, or HD_VALUE_ETYPE when the number has no concrete type. */
int hd_type_of(int datatype, struct hd_type* out);
/* The datatype number of a type; -1 if the type is not one. */
int hd_datatype_of(const struct hd_type* t);

/* ---- values (docs/protocol.md 7) ----------------------------------------------------------- */

/* One element: for a string its bytes without the length prefix; for int64 and float its 8
 * little-endian bytes. */
struct hd_element
{
    const uint8_t* p;
    size_t n;
};

/* Walks the elements of value bytes in the order they are stored: one element for a scalar (a
 * string's whole bytes), each element of a list or set, each (key, value) pair of a map. */
struct hd_value_iter
{
    struct hd_type type;
    const uint8_t* p;
    const uint8_t* end;
    int done;
};

int hd_value_iter_init(struct hd_value_iter* it, int datatype, const uint8_t* p, size_t n);
/* 1 with *elem (and for maps *value) set, 0 at the end, HD_VALUE_EMALFORMED when the bytes end
 * inside an element. `value` may be NULL except for maps. */
int hd_value_iter_next(struct hd_value_iter* it, struct hd_element* elem, struct hd_element* value);

/* Compares two elements of one scalar type in the order of sets and map keys: strings bytewise
 * unsigned with a shorter prefix first, int64 signed, float numerically with NaN after +Infinity
 * (by the bits: -NaN first), -0 equal to 0. Returns <0, 0 or >0. */
int hd_element_compare(enum hd_scalar t, const struct hd_element* a, const struct hd_element* b);

/* 1 when the bytes are a valid value already in canonical form (sets sorted without duplicates,
 * maps sorted by key without a key twice, no -0 as a set element or map key); 0 when they are
 * well-formed element by element but not in canonical order (a map among them may still hold a
 * key twice: hd_value_canonical tells); HD_VALUE_EMALFORMED or HD_VALUE_ETYPE otherwise.
 * Allocates nothing. */
int hd_value_is_canonical(int datatype, const uint8_t* p, size_t n);

struct hd_buf;
/* Validates the bytes as the daemon does (protocol.md 7.2) and appends their canonical form to
 * `out` (never longer than the input): strings, int64, float and lists as they are; sets sorted,
 * without duplicates, -0 written as 0; maps sorted by key, -0 keys written as 0. A map with a key
 * twice (0 and -0 included) is HD_VALUE_EMALFORMED. Float bits are otherwise kept as sent (a NaN
 * keeps its payload). Returns 0, HD_VALUE_EMALFORMED, HD_VALUE_ETYPE, or HD_VALUE_ENOMEM (also
 * when `out` cannot take the bytes: its own error says which). On an error `out` holds no part of
 * the value. */
int hd_value_canonical(int datatype, const uint8_t* p, size_t n, struct hd_buf* out);

/* ---- coordinates (docs/protocol.md 9) ------------------------------------------------------ */

uint64_t hd_fnv1a64(const void* p, size_t n);
uint64_t hd_fmix64(uint64_t x);
/* FNV-1a 64, then fmix64: the axis of strings, lists, sets and maps. */
uint64_t hd_hash64(const void* p, size_t n);
/* The sign bit flipped, so numeric order is kept. */
uint64_t hd_int64_coordinate(int64_t v);
/* From a double's bits: -0 is 0's point; positive values get the sign bit set, negative ones are
 * inverted. */
uint64_t hd_float_bits_coordinate(uint64_t bits);
uint64_t hd_float_coordinate(double v);

/* The coordinate of value bytes on an axis of their datatype. Checks the bytes; for a set or map
 * that is not canonical, hashes its canonical form (allocating scratch space for it). Returns 0
 * with *out set, or HD_VALUE_EMALFORMED, HD_VALUE_ETYPE, HD_VALUE_ENOMEM. */
int hd_value_coordinate(int datatype, const uint8_t* p, size_t n, uint64_t* out);

/* ---- partitioning (docs/protocol.md 11) ---------------------------------------------------- */

/* Cuts a subspace of `dims` axes into `count` boxes as the coordinator does (partitionSubspace in
 * hyperspace.ts), in the order region ids are handed out. Box i's inclusive bounds on axis j go to
 * lower[i * dims + j] and upper[i * dims + j]; both arrays hold count * dims entries. Returns 0,
 * HD_VALUE_EARG (dims or count 0, or an axis cut down to one point) or HD_VALUE_ENOMEM. */
int hd_partition(size_t dims, size_t count, uint64_t* lower, uint64_t* upper);

/* 1 when the box holds the point: lower[j] <= point[j] <= upper[j] on every axis. */
int hd_box_contains(size_t dims, const uint64_t* lower, const uint64_t* upper, const uint64_t* point);

/* ---- planning (docs/protocol.md 4.14, src/common/planner.ts) ------------------------------- */

/* A check as the planner needs it: the op (HYPERDEX_CHECK_*) and the value bytes. */
struct hd_plan_check
{
    int op;
    const uint8_t* value;
    size_t value_len;
};

/* The interval [*lo, *hi] of one axis of type `datatype` that the checks naming that axis's
 * attribute allow (the caller picks those checks). Starts at [0, 2^64-1]; EQUALS narrows it to a
 * point on every type; on int64 and float axes the range ops narrow it (GREATER_EQUAL lo =
 * max(lo, c), GREATER_THAN lo = max(lo, c + 1), LESS_EQUAL hi = min(hi, c), LESS_THAN
 * hi = min(hi, c - 1), a strict bound at the end of the axis making it empty); on the hashed axes
 * (string, list, set, map) range ops change nothing. c is the coordinate of the value's canonical
 * bytes. As in planner.ts (and unlike the table of protocol.md 4.14), strict bounds on a float
 * axis are taken as inclusive, because -0 and 0 share a point there but compare -0 < 0: a plan may
 * ask one region too many, never one too few. Ops other than the five checks are ignored.
 * Returns 1 (an interval), 0 (empty: no region of this subspace can match), or a negative
 * HD_VALUE_* error when a check's value is malformed for the type. */
int hd_axis_interval(int datatype, const struct hd_plan_check* checks, size_t n, uint64_t* lo,
                     uint64_t* hi);

/* 1 when a box meets the intervals on every axis: lower[j] <= hi[j] and lo[j] <= upper[j]. A plan
 * takes, per subspace, the regions whose boxes meet every axis's interval (none if an interval is
 * empty), and picks the subspace with the fewest, the lower index on a tie. */
int hd_box_meets(size_t dims, const uint64_t* lower, const uint64_t* upper, const uint64_t* lo,
                 const uint64_t* hi);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HYPERDEX_COORDINATE_H */
