/* libhyperclient: values as the API passes them (docs/protocol.md 6-7): normalized, checked
 * against attribute types, encoded as elements, and decoded into hyperclient_attribute arrays. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_internal.h"

char*
hc_dup(const uint8_t* p, size_t n)
{
    char* s = malloc(n + 1);
    if (!s) return NULL;
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

int64_t
hc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
hc_put_le64(uint8_t* p, uint64_t u)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(u >> (8 * i));
}

void
hc_normalize(int datatype, const char* p, size_t n, struct hc_value* v)
{
    if (datatype == HYPERDATATYPE_INT64 && n != 8)
    {
        memset(v->wide, 0, 8);
        if (n) memcpy(v->wide, p, n < 8 ? n : 8);
        v->p = v->wide;
        v->n = 8;
        return;
    }
    v->p = (const uint8_t*)p;
    v->n = n;
}

/* 0, or the status refusing a value of `given` type for an attribute of type `want`. */
enum hyperclient_returncode
hc_check_value(int want, int given, const struct hc_value* v)
{
    if (given != want)
    {
        /* an empty container may be given as the generic type of its shape */
        int generic = (want >= HYPERDATATYPE_LIST_STRING && want <= HYPERDATATYPE_LIST_FLOAT &&
                       given == HYPERDATATYPE_LIST_GENERIC) ||
                      (want >= HYPERDATATYPE_SET_STRING && want <= HYPERDATATYPE_SET_FLOAT &&
                       given == HYPERDATATYPE_SET_GENERIC) ||
                      (want >= HYPERDATATYPE_MAP_STRING_KEYONLY && want <= HYPERDATATYPE_MAP_FLOAT_FLOAT &&
                       given == HYPERDATATYPE_MAP_GENERIC);
        if (!generic || v->n != 0) return HYPERCLIENT_WRONGTYPE;
    }
    if (hd_value_is_canonical(want, v->p, v->n) < 0) return HYPERCLIENT_WRONGTYPE;
    return 0;
}

/* The datatype number of a scalar. */
int
hc_scalar_datatype(enum hd_scalar s)
{
    return s == HD_SCALAR_STRING ? HYPERDATATYPE_STRING
         : s == HD_SCALAR_INT64  ? HYPERDATATYPE_INT64
                                 : HYPERDATATYPE_FLOAT;
}

/* What op takes as its operand on an attribute of type `attr_datatype` (docs/protocol.md 4.8), or
 * -1 when the op does not apply. The same table as src/common/operands.ts. */
int
hc_operand_datatype(int op, int attr_datatype, int keyed)
{
    struct hd_type t;
    if (hd_type_of(attr_datatype, &t)) return -1;
    enum hd_scalar scalar = t.elem;
    if (keyed)
    {
        if (t.shape != HD_SHAPE_MAP) return -1;
        if (op == HYPERDEX_FUNC_MAP_REMOVE) return hc_scalar_datatype(t.value);
        scalar = t.value;
    }
    else if (op == HYPERDEX_FUNC_SET)
        return attr_datatype;
    else if (t.shape == HD_SHAPE_LIST)
        return op == HYPERDEX_FUNC_LIST_LPUSH || op == HYPERDEX_FUNC_LIST_RPUSH ? hc_scalar_datatype(t.elem) : -1;
    else if (t.shape == HD_SHAPE_SET)
    {
        if (op == HYPERDEX_FUNC_SET_ADD || op == HYPERDEX_FUNC_SET_REMOVE) return hc_scalar_datatype(t.elem);
        return op == HYPERDEX_FUNC_SET_INTERSECT || op == HYPERDEX_FUNC_SET_UNION ? attr_datatype : -1;
    }
    else if (t.shape == HD_SHAPE_MAP)
        return op == HYPERDEX_FUNC_MAP_ADD ? attr_datatype : -1;
    /* a scalar: the attribute's own, or a map's value */
    switch (op)
    {
        case HYPERDEX_FUNC_STRING_APPEND:
        case HYPERDEX_FUNC_STRING_PREPEND:
            return scalar == HD_SCALAR_STRING ? HYPERDATATYPE_STRING : -1;
        case HYPERDEX_FUNC_NUM_ADD:
        case HYPERDEX_FUNC_NUM_SUB:
        case HYPERDEX_FUNC_NUM_MUL:
        case HYPERDEX_FUNC_NUM_DIV:
            return scalar == HD_SCALAR_STRING ? -1 : hc_scalar_datatype(scalar);
        case HYPERDEX_FUNC_NUM_MOD:
        case HYPERDEX_FUNC_NUM_AND:
        case HYPERDEX_FUNC_NUM_OR:
        case HYPERDEX_FUNC_NUM_XOR:
            return scalar == HD_SCALAR_INT64 ? HYPERDATATYPE_INT64 : -1;
        default:
            return -1;
    }
}

/* The map key type of a map attribute's datatype. */
int
hc_map_key_datatype(int attr_datatype)
{
    struct hd_type t;
    if (hd_type_of(attr_datatype, &t) || t.shape != HD_SHAPE_MAP) return -1;
    return hc_scalar_datatype(t.elem);
}

/* Appends one element of a list, set or map value (docs/protocol.md 7): a string with its 4-byte
 * little-endian length, an int64 or float as its 8 bytes. */
void
hc_put_element(struct hd_buf* b, enum hd_scalar t, const uint8_t* p, size_t n)
{
    if (t == HD_SCALAR_STRING)
    {
        uint8_t len[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
        if (n > UINT32_MAX) b->error = HD_WIRE_ENOMEM;
        hd_buf_append(b, len, 4);
    }
    if (n) hd_buf_append(b, p, n);
}

/* The wire's check op for a hyperpredicate, or 0 for one the wire has no op for. */
int
hc_check_op_of(enum hyperpredicate p)
{
    switch (p)
    {
        case HYPERPREDICATE_EQUALS: return HYPERDEX_CHECK_EQUALS;
        case HYPERPREDICATE_LESS_THAN: return HYPERDEX_CHECK_LESS_THAN;
        case HYPERPREDICATE_LESS_EQUAL: return HYPERDEX_CHECK_LESS_EQUAL;
        case HYPERPREDICATE_GREATER_EQUAL: return HYPERDEX_CHECK_GREATER_EQUAL;
        case HYPERPREDICATE_GREATER_THAN: return HYPERDEX_CHECK_GREATER_THAN;
        default: return 0;
    }
}

enum hyperclient_returncode
hc_status_of(uint64_t s)
{
    /* UNKNOWNOUTCOME, past UNAUTHORIZED, is the client's own: no server can know it */
    if ((s >= HYPERCLIENT_SUCCESS && s <= HYPERCLIENT_READONLY) ||
        (s >= HYPERCLIENT_UNKNOWNSPACE && s <= HYPERCLIENT_UNAUTHORIZED))
        return (enum hyperclient_returncode)s;
    return HYPERCLIENT_SERVERERROR;
}


/* One attribute of a reply as read: pointers into the frame. */
struct read_attr
{
    const uint8_t* name;
    size_t name_n;
    uint64_t datatype;
    const uint8_t* value;
    size_t value_n;
};

/* Attributes read once into a stack array, then copied: objects with more are read twice. */
#define READ_ATTRS_MAX 32

static int
read_attr(struct hd_wire_reader* r, struct read_attr* a)
{
    uint32_t f;
    if (hd_wire_read_array(r, &f) || f != 3) return -1;
    if (hd_wire_read_str(r, &a->name, &a->name_n)) return -1;
    if (hd_wire_read_uint(r, 65535, &a->datatype)) return -1;
    if (hd_wire_read_bin(r, &a->value, &a->value_n)) return -1;
    return 0;
}

/* As build_attrs; with key_name set, the key attribute comes first (n + 1 attributes). */
int
hc_build_attrs(struct hd_wire_reader* r, uint32_t n, struct hyperclient_attribute** out, const char* key_name,
                int key_datatype, const uint8_t* key, size_t key_n)
{
    struct read_attr seen[READ_ATTRS_MAX];
    struct hd_wire_reader save = *r;
    size_t first = key_name ? 1 : 0;
    size_t bytes = ((size_t)n + first) * sizeof(struct hyperclient_attribute);
    if (key_name) bytes += strlen(key_name) + 1 + key_n;
    for (uint32_t i = 0; i < n; i++)
    {
        struct read_attr a;
        if (read_attr(r, &a)) return -1;
        bytes += a.name_n + 1 + a.value_n;
        if (i < READ_ATTRS_MAX) seen[i] = a;
    }
    char* mem = malloc(bytes ? bytes : 1);
    if (!mem) return -1;
    struct hyperclient_attribute* attrs = (struct hyperclient_attribute*)mem;
    char* tail = mem + ((size_t)n + first) * sizeof(*attrs);
    if (key_name)
    {
        size_t kl = strlen(key_name);
        memcpy(tail, key_name, kl + 1);
        attrs[0].attr = tail;
        tail += kl + 1;
        if (key_n) memcpy(tail, key, key_n);
        attrs[0].value = tail;
        attrs[0].value_sz = key_n;
        attrs[0].datatype = (enum hyperdatatype)key_datatype;
        tail += key_n;
        attrs++;
    }
    /* Objects of more than READ_ATTRS_MAX attributes are read again from where the first pass began. */
    struct hd_wire_reader again = save;
    for (uint32_t i = 0; i < n; i++)
    {
        struct read_attr a;
        if (n <= READ_ATTRS_MAX)
            a = seen[i];
        else
            read_attr(&again, &a);
        memcpy(tail, a.name, a.name_n);
        tail[a.name_n] = '\0';
        attrs[i].attr = tail;
        tail += a.name_n + 1;
        attrs[i].datatype = (enum hyperdatatype)a.datatype;
        if (a.value_n) memcpy(tail, a.value, a.value_n);
        attrs[i].value = tail;
        attrs[i].value_sz = a.value_n;
        tail += a.value_n;
    }
    *out = (struct hyperclient_attribute*)mem;
    return 0;
}

