/* libhyperclient: the key operations of the API (get, put, condput, del and every atomic
 * operation: docs/protocol.md 4.6-4.11) and the coordinator's (add_space, rm_space: 4.4). Each is
 * checked against the space before anything is sent; a refusal names the attribute by index. */
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

/* The front of every key operation: the space, the key (normalized) and the key's point. */
struct hc_key
{
    const struct hc_space* space;
    struct hc_value key;
    uint64_t point;
};

/* 0, or -1 with *status set. */
static int
key_of(struct hyperclient* cl, const struct hc_space* s, const char* key, size_t key_sz,
       enum hyperclient_returncode* status, struct hc_key* k)
{
    (void)cl;
    k->space = s;
    if (!key && key_sz)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    if (key_sz > HC_KEY_BYTES_MAX)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    hc_normalize(s->key.datatype, key ? key : "", key_sz, &k->key);
    if (hd_value_coordinate(s->key.datatype, k->key.p, k->key.n, &k->point))
    {
        *status = HYPERCLIENT_WRONGTYPE;
        return -1;
    }
    return 0;
}

/* Starts cl->rest, the body after the config version: `[space id, key, ...`. */
static void
rest_begin(struct hyperclient* cl, const struct hc_key* k)
{
    hd_buf_reset(&cl->rest);
    hd_wire_put_uint(&cl->rest, k->space->id);
    hd_wire_put_bin(&cl->rest, k->key.p, k->key.n);
}

/* Makes the op of cl->rest and sends it. The id, or -1 with *status. */
static int64_t
keyop_start(struct hyperclient* cl, const struct hc_key* k, uint16_t type, enum hc_op_kind kind, size_t fields,
            enum hyperclient_returncode* status, struct hyperclient_attribute** attrs, size_t* attrs_sz)
{
    /* room for the frame header, the array header and the largest version */
    if (cl->rest.error || cl->rest.len + HYPERDEX_FRAME_HEADER_BYTES + 16 > HYPERDEX_FRAME_BYTES_MAX)
    {
        *status = cl->rest.error == HD_WIRE_ENOMEM ? HYPERCLIENT_NOMEM : HYPERCLIENT_OVERFLOW;
        return -1;
    }
    int64_t id = hc_take_id(cl);
    struct hc_op* op = hc_op_new(cl, id, kind);
    uint8_t* rest = malloc(cl->rest.len ? cl->rest.len : 1);
    if (!op || !rest)
    {
        if (op) hc_op_discard(cl, op);
        free(rest);
        *status = HYPERCLIENT_NOMEM;
        return -1;
    }
    memcpy(rest, cl->rest.data, cl->rest.len);
    op->status = status;
    op->attrs = attrs;
    op->attrs_sz = attrs_sz;
    op->space_id = k->space->id;
    op->point = k->point;
    op->type = type;
    op->fields = fields;
    op->rest = rest;
    op->rest_n = cl->rest.len;
    hc_keyop_send(cl, op);
    return id;
}

/* A request of `[version, space id, key]` alone: get and del. */
static int64_t
key_only(struct hyperclient* cl, const char* space, const char* key, size_t key_sz, uint16_t type,
         enum hc_op_kind kind, enum hyperclient_returncode* status, struct hyperclient_attribute** attrs,
         size_t* attrs_sz)
{
    const struct hc_space* s = hc_space_lookup(cl, space);
    if (!s)
    {
        *status = HYPERCLIENT_UNKNOWNSPACE;
        return -1;
    }
    struct hc_key k;
    if (key_of(cl, s, key, key_sz, status, &k)) return -1;
    rest_begin(cl, &k);
    return keyop_start(cl, &k, type, kind, 3, status, attrs, attrs_sz);
}

int64_t
hyperclient_get(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                enum hyperclient_returncode* status, struct hyperclient_attribute** attrs, size_t* attrs_sz)
{
    if (!cl || !status) return -1;
    if (!attrs || !attrs_sz)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    return key_only(cl, space, key, key_sz, HYPERDEX_MSG_REQ_GET, HC_OP_GET, status, attrs, attrs_sz);
}

int64_t
hyperclient_del(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                enum hyperclient_returncode* status)
{
    if (!cl || !status) return -1;
    return key_only(cl, space, key, key_sz, HYPERDEX_MSG_REQ_DEL, HC_OP_DEL, status, NULL, NULL);
}

/* One check of an atomic request, as the caller gave it. */
struct hc_check
{
    const char* attr;
    const char* value;
    size_t value_sz;
    int datatype;
    int op;
};

/* One func of an atomic request, as the caller gave it. `keyed` is the 6-field form, on the value
 * under map_key in a map attribute. */
struct hc_func
{
    const char* attr;
    int op;
    const char* value;
    size_t value_sz;
    int datatype;
    int keyed;
    const char* map_key;
    size_t map_key_sz;
};

/* 0 when a func's operand (and map key) fit the attribute of type `at`, else WRONGTYPE. A 0.4
 * program may give a map op's operand the map's own datatype: accepted beside the value's type. */
static enum hyperclient_returncode
check_func(const struct hc_func* f, int at)
{
    int ot = hc_operand_datatype(f->op, at, f->keyed);
    if (ot < 0 || (!f->value && f->value_sz)) return HYPERCLIENT_WRONGTYPE;
    struct hc_value v;
    hc_normalize(ot, f->value, f->value_sz, &v);
    int given = f->keyed && f->datatype == at ? ot : f->datatype;
    if (hc_check_value(ot, given, &v)) return HYPERCLIENT_WRONGTYPE;
    if (f->keyed)
    {
        int kt = hc_map_key_datatype(at);
        if (!f->map_key && f->map_key_sz) return HYPERCLIENT_WRONGTYPE;
        struct hc_value k;
        hc_normalize(kt, f->map_key, f->map_key_sz, &k);
        if (hd_value_is_canonical(kt, k.p, k.n) < 0) return HYPERCLIENT_WRONGTYPE;
    }
    return 0;
}

/* 0 when `n` items at `p`, of which a request may hold `max`, can make a request; else -1 with
 * *status: LOGICERROR for items missing, OVERFLOW for too many. `max` is HC_FIELDS_MAX for
 * attributes and checks, HC_MICRO_OPS_MAX for the entries of a map operation. */
static int
items_ok(const void* p, size_t n, size_t max, enum hyperclient_returncode* status)
{
    if (n && !p)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    if (n > max)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    return 0;
}

/* ---- a key named twice ----------------------------------------------------------------------
 * A request may name up to HC_MICRO_OPS_MAX map keys, too many to compare each with every earlier
 * one: an open-addressing set of (attribute index, map key bytes) finds a repeat in one pass. */

struct hc_named_key
{
    const char* key;
    size_t key_sz;
    int attr;
    int used;
};

struct hc_key_set
{
    struct hc_named_key* slots;
    size_t mask; /* slots - 1; slots is a power of two at least twice the keys added */
};

/* 0, or -1 when out of memory. Room for `n` keys. */
static int
key_set_init(struct hc_key_set* set, size_t n)
{
    size_t slots = 16;
    while (slots < 2 * n) slots <<= 1; /* n <= HC_MICRO_OPS_MAX: at most 18 turns */
    set->slots = calloc(slots, sizeof(*set->slots));
    set->mask = slots - 1;
    return set->slots ? 0 : -1;
}

static void
key_set_free(struct hc_key_set* set)
{
    free(set->slots);
    set->slots = NULL;
}

/* FNV-1a over the attribute index and the key bytes. */
static uint64_t
key_hash(int attr, const char* key, size_t key_sz)
{
    uint64_t h = 14695981039346656037ULL ^ (uint64_t)(unsigned)attr;
    h *= 1099511628211ULL;
    for (size_t i = 0; i < key_sz; i++)
    {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* 1 when (attr, key) was added before; else adds it and returns 0. The set is never more than half
 * full, so an empty slot ends every probe sequence. */
static int
key_set_add(struct hc_key_set* set, int attr, const char* key, size_t key_sz)
{
    size_t i = (size_t)key_hash(attr, key, key_sz) & set->mask;
    for (size_t probes = 0; probes <= set->mask; probes++, i = (i + 1) & set->mask)
    {
        struct hc_named_key* e = &set->slots[i];
        if (!e->used)
        {
            *e = (struct hc_named_key){key, key_sz, attr, 1};
            return 0;
        }
        if (e->attr == attr && e->key_sz == key_sz && (key_sz == 0 || memcmp(e->key, key, key_sz) == 0)) return 1;
    }
    abort(); /* a full table: key_set_init's sizing broken */
}

/* What a request has done to each attribute so far, for funcs_ok. */
enum hc_named
{
    HC_NAMED_NOT = 0,
    HC_NAMED_WHOLE, /* a 4-field func: the attribute may not be named again */
    HC_NAMED_KEYS   /* 6-field funcs: more may follow on other keys */
};

/* Validates funcs against the space, in order: UNKNOWNATTR, WRONGTYPE, then DUPEATTR for an
 * attribute named twice (6-field funcs on distinct keys of one map may share it). 0, or -1 - the
 * func's index plus `first` with *status set (-1 alone for NOMEM). */
static int64_t
funcs_ok(const struct hc_space* s, size_t first, const struct hc_func* funcs, size_t funcs_sz,
         enum hyperclient_returncode* status)
{
    unsigned char* named = calloc(s->attrs_n + 1, 1); /* enum hc_named per attribute */
    struct hc_key_set keys = {NULL, 0};
    if (!named || key_set_init(&keys, funcs_sz))
    {
        free(named);
        key_set_free(&keys);
        *status = HYPERCLIENT_NOMEM;
        return -1;
    }
    int64_t rc = 0;
    for (size_t i = 0; i < funcs_sz && !rc; i++)
    {
        const struct hc_func* f = &funcs[i];
        int64_t idx = (int64_t)(first + i);
        int a = hc_attr_index(s, f->attr ? f->attr : "");
        if (a < 0) *status = HYPERCLIENT_UNKNOWNATTR;
        else if (check_func(f, s->attrs[a].datatype)) *status = HYPERCLIENT_WRONGTYPE;
        else if (named[a] == HC_NAMED_WHOLE || (!f->keyed && named[a] != HC_NAMED_NOT) ||
                 (f->keyed && key_set_add(&keys, a, f->map_key, f->map_key_sz)))
            *status = HYPERCLIENT_DUPEATTR;
        else
        {
            named[a] = f->keyed ? HC_NAMED_KEYS : HC_NAMED_WHOLE;
            continue;
        }
        rc = -1 - idx;
    }
    free(named);
    key_set_free(&keys);
    return rc;
}

/* Validates checks then funcs (idx counting across both) and sends a REQ_ATOMIC. Its callers have
 * bounded checks_sz by HC_FIELDS_MAX; checks and funcs together are bounded here, each func one
 * micro-operation (map_add, whose funcs carry many entries, bounds its entries itself). */
static int64_t
atomic(struct hyperclient* cl, const char* space, const char* key, size_t key_sz, unsigned flags,
       const struct hc_check* checks, size_t checks_sz, const struct hc_func* funcs, size_t funcs_sz,
       enum hyperclient_returncode* status)
{
    const struct hc_space* s = hc_space_lookup(cl, space);
    if (!s)
    {
        *status = HYPERCLIENT_UNKNOWNSPACE;
        return -1;
    }
    if (checks_sz > HC_FIELDS_MAX || funcs_sz > HC_MICRO_OPS_MAX - checks_sz)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    /* validation before routing: it needs no connection */
    for (size_t i = 0; i < checks_sz; i++)
    {
        const char* name = checks[i].attr ? checks[i].attr : "";
        int want = hc_attr_type(s, name);
        if (want < 0)
        {
            *status = HYPERCLIENT_UNKNOWNATTR;
            return -1 - (int64_t)i;
        }
        struct hc_value v;
        hc_normalize(want, checks[i].value, checks[i].value_sz, &v);
        if ((!checks[i].value && checks[i].value_sz) || hc_check_value(want, checks[i].datatype, &v) ||
            checks[i].op < HYPERDEX_CHECK_EQUALS || checks[i].op > HYPERDEX_CHECK_GREATER_THAN ||
            (checks[i].op != HYPERDEX_CHECK_EQUALS && want > HYPERDATATYPE_FLOAT))
        {
            *status = HYPERCLIENT_WRONGTYPE;
            return -1 - (int64_t)i;
        }
    }
    int64_t bad = funcs_ok(s, checks_sz, funcs, funcs_sz, status);
    if (bad) return bad;
    struct hc_key k;
    if (key_of(cl, s, key, key_sz, status, &k)) return -1;
    rest_begin(cl, &k);
    struct hd_buf* b = &cl->rest;
    hd_wire_put_uint(b, flags);
    hd_wire_put_array(b, checks_sz);
    for (size_t i = 0; i < checks_sz; i++)
    {
        int want = hc_attr_type(s, checks[i].attr);
        struct hc_value v;
        hc_normalize(want, checks[i].value, checks[i].value_sz, &v);
        hd_wire_put_array(b, 4);
        hd_wire_put_uint(b, (uint64_t)checks[i].op);
        hd_wire_put_cstr(b, checks[i].attr);
        hd_wire_put_uint(b, (uint64_t)want);
        hd_wire_put_bin(b, v.p, v.n);
    }
    hd_wire_put_array(b, funcs_sz);
    for (size_t i = 0; i < funcs_sz; i++)
    {
        const struct hc_func* f = &funcs[i];
        int at = s->attrs[hc_attr_index(s, f->attr)].datatype;
        int ot = hc_operand_datatype(f->op, at, f->keyed);
        struct hc_value v;
        hc_normalize(ot, f->value, f->value_sz, &v);
        hd_wire_put_array(b, f->keyed ? 6 : 4);
        hd_wire_put_uint(b, (uint64_t)f->op);
        hd_wire_put_cstr(b, f->attr);
        hd_wire_put_uint(b, (uint64_t)ot);
        hd_wire_put_bin(b, v.p, v.n);
        if (f->keyed)
        {
            int kt = hc_map_key_datatype(at);
            struct hc_value k;
            hc_normalize(kt, f->map_key, f->map_key_sz, &k);
            hd_wire_put_uint(b, (uint64_t)kt);
            hd_wire_put_bin(b, k.p, k.n);
        }
    }
    return keyop_start(cl, &k, HYPERDEX_MSG_REQ_ATOMIC, HC_OP_ATOMIC, 6, status, NULL, NULL);
}

/* A REQ_ATOMIC applying `op` to each of the caller's attributes (whole-attribute form). */
static int64_t
atomic_attrs(struct hyperclient* cl, const char* space, const char* key, size_t key_sz, unsigned flags,
             const struct hc_check* checks, size_t checks_sz, int op, const struct hyperclient_attribute* attrs,
             size_t attrs_sz, enum hyperclient_returncode* status)
{
    if (!status) return -1;
    if (items_ok(attrs, attrs_sz, HC_FIELDS_MAX, status) || items_ok(checks, checks_sz, HC_FIELDS_MAX, status))
        return -1;
    struct hc_func funcs[HC_FIELDS_MAX];
    for (size_t i = 0; i < attrs_sz; i++)
        funcs[i] = (struct hc_func){attrs[i].attr, op, attrs[i].value, attrs[i].value_sz, (int)attrs[i].datatype,
                                    0, NULL, 0};
    return atomic(cl, space, key, key_sz, flags, checks, checks_sz, funcs, attrs_sz, status);
}

/* Room for the funcs of a map operation: up to HC_MICRO_OPS_MAX, too many for the stack. NULL
 * with *status NOMEM. */
static struct hc_func*
funcs_new(size_t n, enum hyperclient_returncode* status)
{
    struct hc_func* funcs = calloc(n ? n : 1, sizeof(*funcs));
    if (!funcs) *status = HYPERCLIENT_NOMEM;
    return funcs;
}

/* A REQ_ATOMIC applying `op` to the value under each map key the caller names (6-field form). */
static int64_t
atomic_map(struct hyperclient* cl, const char* space, const char* key, size_t key_sz, int op,
           const struct hyperclient_map_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status)
{
    if (!status) return -1;
    if (items_ok(attrs, attrs_sz, HC_MICRO_OPS_MAX, status)) return -1;
    struct hc_func* funcs = funcs_new(attrs_sz, status);
    if (!funcs) return -1;
    for (size_t i = 0; i < attrs_sz; i++)
        funcs[i] = (struct hc_func){attrs[i].attr,     op, attrs[i].value, attrs[i].value_sz, (int)attrs[i].datatype,
                                    1,                 attrs[i].map_key, attrs[i].map_key_sz};
    int64_t rc = atomic(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, NULL, 0, funcs, attrs_sz, status);
    free(funcs);
    return rc;
}

int64_t
hyperclient_put(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                const struct hyperclient_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status)
{
    return atomic_attrs(cl, space, key, key_sz, 0, NULL, 0, HYPERDEX_FUNC_SET, attrs, attrs_sz, status);
}

int64_t
hyperclient_put_if_not_exist(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                             const struct hyperclient_attribute* attrs, size_t attrs_sz,
                             enum hyperclient_returncode* status)
{
    return atomic_attrs(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_FOUND, NULL, 0, HYPERDEX_FUNC_SET, attrs,
                        attrs_sz, status);
}

int64_t
hyperclient_condput(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                    const struct hyperclient_attribute* condattrs, size_t condattrs_sz,
                    const struct hyperclient_attribute* attrs, size_t attrs_sz,
                    enum hyperclient_returncode* status)
{
    if (!status) return -1;
    if (items_ok(condattrs, condattrs_sz, HC_FIELDS_MAX, status)) return -1;
    struct hc_check checks[HC_FIELDS_MAX];
    for (size_t i = 0; i < condattrs_sz; i++)
        checks[i] = (struct hc_check){condattrs[i].attr, condattrs[i].value, condattrs[i].value_sz,
                                      (int)condattrs[i].datatype, HYPERDEX_CHECK_EQUALS};
    return atomic_attrs(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, checks, condattrs_sz,
                        HYPERDEX_FUNC_SET, attrs, attrs_sz, status);
}

int64_t
hyperclient_cond_put(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                     const struct hyperclient_attribute_check* checks, size_t checks_sz,
                     const struct hyperclient_attribute* attrs, size_t attrs_sz,
                     enum hyperclient_returncode* status)
{
    if (!status) return -1;
    if (items_ok(checks, checks_sz, HC_FIELDS_MAX, status)) return -1;
    struct hc_check c[HC_FIELDS_MAX];
    for (size_t i = 0; i < checks_sz; i++)
        c[i] = (struct hc_check){checks[i].attr, checks[i].value, checks[i].value_sz, (int)checks[i].datatype,
                                 hc_check_op_of(checks[i].predicate)}; /* op 0 is refused as WRONGTYPE */
    return atomic_attrs(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, c, checks_sz, HYPERDEX_FUNC_SET,
                        attrs, attrs_sz, status);
}

/* The atomic operations of chapter 7: one func op on each attribute the caller names. */
#define HC_ATOMIC_ATTRS(name, op)                                                                              \
    int64_t name(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,                     \
                 const struct hyperclient_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status) \
    {                                                                                                           \
        return atomic_attrs(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, NULL, 0, op, attrs,      \
                            attrs_sz, status);                                                                  \
    }
HC_ATOMIC_ATTRS(hyperclient_atomic_add, HYPERDEX_FUNC_NUM_ADD)
HC_ATOMIC_ATTRS(hyperclient_atomic_sub, HYPERDEX_FUNC_NUM_SUB)
HC_ATOMIC_ATTRS(hyperclient_atomic_mul, HYPERDEX_FUNC_NUM_MUL)
HC_ATOMIC_ATTRS(hyperclient_atomic_div, HYPERDEX_FUNC_NUM_DIV)
HC_ATOMIC_ATTRS(hyperclient_atomic_mod, HYPERDEX_FUNC_NUM_MOD)
HC_ATOMIC_ATTRS(hyperclient_atomic_and, HYPERDEX_FUNC_NUM_AND)
HC_ATOMIC_ATTRS(hyperclient_atomic_or, HYPERDEX_FUNC_NUM_OR)
HC_ATOMIC_ATTRS(hyperclient_atomic_xor, HYPERDEX_FUNC_NUM_XOR)
HC_ATOMIC_ATTRS(hyperclient_string_prepend, HYPERDEX_FUNC_STRING_PREPEND)
HC_ATOMIC_ATTRS(hyperclient_string_append, HYPERDEX_FUNC_STRING_APPEND)
HC_ATOMIC_ATTRS(hyperclient_list_lpush, HYPERDEX_FUNC_LIST_LPUSH)
HC_ATOMIC_ATTRS(hyperclient_list_rpush, HYPERDEX_FUNC_LIST_RPUSH)
HC_ATOMIC_ATTRS(hyperclient_set_add, HYPERDEX_FUNC_SET_ADD)
HC_ATOMIC_ATTRS(hyperclient_set_remove, HYPERDEX_FUNC_SET_REMOVE)
HC_ATOMIC_ATTRS(hyperclient_set_intersect, HYPERDEX_FUNC_SET_INTERSECT)
HC_ATOMIC_ATTRS(hyperclient_set_union, HYPERDEX_FUNC_SET_UNION)

/* The map operations of chapter 7: one func op on the value under each map key named. */
#define HC_ATOMIC_MAP(name, op)                                                                                    \
    int64_t name(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,                         \
                 const struct hyperclient_map_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status) \
    {                                                                                                               \
        return atomic_map(cl, space, key, key_sz, op, attrs, attrs_sz, status);                                     \
    }
HC_ATOMIC_MAP(hyperclient_map_atomic_add, HYPERDEX_FUNC_NUM_ADD)
HC_ATOMIC_MAP(hyperclient_map_atomic_sub, HYPERDEX_FUNC_NUM_SUB)
HC_ATOMIC_MAP(hyperclient_map_atomic_mul, HYPERDEX_FUNC_NUM_MUL)
HC_ATOMIC_MAP(hyperclient_map_atomic_div, HYPERDEX_FUNC_NUM_DIV)
HC_ATOMIC_MAP(hyperclient_map_atomic_mod, HYPERDEX_FUNC_NUM_MOD)
HC_ATOMIC_MAP(hyperclient_map_atomic_and, HYPERDEX_FUNC_NUM_AND)
HC_ATOMIC_MAP(hyperclient_map_atomic_or, HYPERDEX_FUNC_NUM_OR)
HC_ATOMIC_MAP(hyperclient_map_atomic_xor, HYPERDEX_FUNC_NUM_XOR)
HC_ATOMIC_MAP(hyperclient_map_string_prepend, HYPERDEX_FUNC_STRING_PREPEND)
HC_ATOMIC_MAP(hyperclient_map_string_append, HYPERDEX_FUNC_STRING_APPEND)

/* map_remove: the value of each attribute is a key to remove from that map (of the map's key
 * type, or given with the map's own datatype). The operand is the value type's default, ignored. */
int64_t
hyperclient_map_remove(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status)
{
    static const char zeros[8] = {0};
    if (!status) return -1;
    if (items_ok(attrs, attrs_sz, HC_MICRO_OPS_MAX, status)) return -1;
    const struct hc_space* s = hc_space_lookup(cl, space);
    if (!s)
    {
        *status = HYPERCLIENT_UNKNOWNSPACE;
        return -1;
    }
    struct hc_func* funcs = funcs_new(attrs_sz, status);
    if (!funcs) return -1;
    int64_t rc = 0;
    for (size_t i = 0; i < attrs_sz && !rc; i++)
    {
        int at = attrs[i].attr ? hc_attr_type(s, attrs[i].attr) : -1;
        int kt = at < 0 ? -1 : hc_map_key_datatype(at);
        int vt = at < 0 ? -1 : hc_operand_datatype(HYPERDEX_FUNC_MAP_REMOVE, at, 1);
        if (at >= 0 && (kt < 0 || ((int)attrs[i].datatype != kt && (int)attrs[i].datatype != at)))
        {
            *status = HYPERCLIENT_WRONGTYPE;
            rc = -1 - (int64_t)i;
        }
        funcs[i] = (struct hc_func){attrs[i].attr, HYPERDEX_FUNC_MAP_REMOVE,
                                    zeros,         vt == HYPERDATATYPE_STRING ? 0 : 8,
                                    vt,            1,
                                    attrs[i].value, attrs[i].value_sz};
    }
    if (!rc) rc = atomic(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, NULL, 0, funcs, attrs_sz, status);
    free(funcs);
    return rc;
}

/* map_add's entries validated one by one, with their own index: UNKNOWNATTR, WRONGTYPE, then
 * DUPEATTR for a key named twice in one attribute. 0, or -1 - i with *status (-1 alone for NOMEM). */
static int64_t
map_entries_ok(const struct hc_space* s, const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
               enum hyperclient_returncode* status)
{
    struct hc_key_set keys = {NULL, 0};
    if (key_set_init(&keys, attrs_sz))
    {
        *status = HYPERCLIENT_NOMEM;
        return -1;
    }
    int64_t rc = 0;
    for (size_t i = 0; i < attrs_sz && !rc; i++)
    {
        int a = attrs[i].attr ? hc_attr_index(s, attrs[i].attr) : -1;
        int at = a < 0 ? -1 : s->attrs[a].datatype;
        struct hd_type t;
        /* the value as a scalar of the map's value type: the checks of a 6-field func */
        struct hc_func f = {attrs[i].attr, HYPERDEX_FUNC_MAP_REMOVE, attrs[i].value, attrs[i].value_sz,
                            (int)attrs[i].datatype, 1, attrs[i].map_key, attrs[i].map_key_sz};
        if (a < 0) *status = HYPERCLIENT_UNKNOWNATTR;
        else if (hd_type_of(at, &t) || t.shape != HD_SHAPE_MAP || check_func(&f, at)) *status = HYPERCLIENT_WRONGTYPE;
        else if (key_set_add(&keys, a, attrs[i].map_key, attrs[i].map_key_sz)) *status = HYPERCLIENT_DUPEATTR;
        else continue;
        rc = -1 - (int64_t)i;
    }
    key_set_free(&keys);
    return rc;
}

/* map_add: each (attr, map_key, value) is one entry; the entries of one attribute go as one
 * MAP_ADD of a map holding them all (a key named twice in one attribute is DUPEATTR). Each entry
 * is one micro-operation, as the daemon counts a MAP_ADD's entries. */
int64_t
hyperclient_map_add(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                    const struct hyperclient_map_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status)
{
    if (!status) return -1;
    if (items_ok(attrs, attrs_sz, HC_MICRO_OPS_MAX, status)) return -1;
    const struct hc_space* s = hc_space_lookup(cl, space);
    if (!s)
    {
        *status = HYPERCLIENT_UNKNOWNSPACE;
        return -1;
    }
    int64_t bad = map_entries_ok(s, attrs, attrs_sz, status);
    if (bad) return bad;
    /* one map value per attribute, entries as elements, in canonical order */
    struct hc_func funcs[HC_FIELDS_MAX] = {{0}};
    struct hd_buf maps[HC_FIELDS_MAX];
    size_t n = 0;
    int64_t rc = 0;
    for (size_t i = 0; i < attrs_sz && !rc; i++)
    {
        size_t m = 0;
        while (m < n && strcmp(funcs[m].attr, attrs[i].attr) != 0) m++;
        if (m < n) continue; /* gathered with its first entry */
        if (n == HC_FIELDS_MAX)
        {
            /* more distinct attributes than a request may name (a space has at most 64) */
            *status = HYPERCLIENT_OVERFLOW;
            rc = -1 - (int64_t)i;
            break;
        }
        int at = hc_attr_type(s, attrs[i].attr);
        struct hd_type t;
        hd_type_of(at, &t);
        struct hd_buf raw;
        hd_buf_init(&raw, HC_VALUE_BYTES_MAX);
        hd_buf_init(&maps[n], HC_VALUE_BYTES_MAX);
        for (size_t j = i; j < attrs_sz; j++)
        {
            if (strcmp(attrs[j].attr, attrs[i].attr) != 0) continue;
            struct hc_value k, v;
            hc_normalize(hc_scalar_datatype(t.elem), attrs[j].map_key, attrs[j].map_key_sz, &k);
            hc_normalize(hc_scalar_datatype(t.value), attrs[j].value, attrs[j].value_sz, &v);
            hc_put_element(&raw, t.elem, k.p, k.n);
            hc_put_element(&raw, t.value, v.p, v.n);
        }
        int crc = raw.error ? HD_VALUE_ENOMEM : hd_value_canonical(at, raw.data, raw.len, &maps[n]);
        hd_buf_free(&raw);
        funcs[n] = (struct hc_func){attrs[i].attr, HYPERDEX_FUNC_MAP_ADD, (const char*)maps[n].data, maps[n].len,
                                    at,            0, NULL, 0};
        n++;
        if (crc)
        {
            *status = crc == HD_VALUE_ENOMEM ? HYPERCLIENT_OVERFLOW : HYPERCLIENT_WRONGTYPE;
            rc = -1 - (int64_t)i;
        }
    }
    if (!rc) rc = atomic(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, NULL, 0, funcs, n, status);
    for (size_t m = 0; m < n; m++) hd_buf_free(&maps[m]);
    return rc;
}

/* ---- the coordinator's requests ------------------------------------------------------------- */

/* Sends `[text]` in a message of `type` to the coordinator; COORD_RESP completes it. */
static int64_t
coordinator_request(struct hyperclient* cl, uint16_t type, const char* text, enum hyperclient_returncode* status)
{
    if (!cl || !status) return -1;
    if (!text)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    struct hc_conn* c = hc_coordinator(cl);
    if (!c)
    {
        *status = HYPERCLIENT_COORDFAIL;
        return -1;
    }
    int64_t id = hc_take_id(cl);
    struct hd_buf* b = &cl->scratch;
    hd_buf_reset(b);
    size_t start = hd_wire_frame_begin(b, type, (uint64_t)id);
    hd_wire_put_array(b, 1);
    hd_wire_put_cstr(b, text);
    if (hd_wire_frame_end(b, start, HYPERDEX_FRAME_BYTES_MAX) || b->error)
    {
        *status = b->error == HD_WIRE_ENOMEM ? HYPERCLIENT_NOMEM : HYPERCLIENT_OVERFLOW;
        return -1;
    }
    struct hc_op* op = hc_op_new(cl, id, HC_OP_COORD);
    if (!op)
    {
        *status = HYPERCLIENT_NOMEM;
        return -1;
    }
    op->status = status;
    op->server_id = HC_COORDINATOR;
    hc_send_op(cl, c, op); /* a lost coordinator fails the op through loop */
    return id;
}

int64_t
hyperclient_add_space(struct hyperclient* cl, const char* description, enum hyperclient_returncode* status)
{
    return coordinator_request(cl, HYPERDEX_MSG_SPACE_ADD, description, status);
}

int64_t
hyperclient_rm_space(struct hyperclient* cl, const char* space, enum hyperclient_returncode* status)
{
    return coordinator_request(cl, HYPERDEX_MSG_SPACE_RM, space, status);
}
