/* Every function of hyperclient.h against a live cluster, with the statuses each can produce:
 * `test_ops HOST PORT`. Makes its own spaces through hyperclient_add_space. Covers the key
 * operations, every atomic and map operation, search (eq and rn), count, group_del,
 * sorted_search, add_space/rm_space, and the refusals before sending with the `-1 - idx` rule
 * (condput: condattrs then attrs; cond_put: checks then attrs; search: eq then rn).
 * Run by test/c-programs.test.ts. */
#include "harness.h"

static const char* SPACE = "ops";

static const char* OPS_SPACE =
    "space ops key k attributes string s, int i, float f, list(string) ls, set(int64) si, "
    "map(string, int64) mi, map(string, string) ms subspace s, i create 4 partitions tolerate 0 failures";

typedef int64_t (*attrs_fn)(struct hyperclient*, const char*, const char*, size_t, const struct hyperclient_attribute*,
                            size_t, enum hyperclient_returncode*);
typedef int64_t (*maps_fn)(struct hyperclient*, const char*, const char*, size_t, const struct hyperclient_map_attribute*,
                           size_t, enum hyperclient_returncode*);

static struct hyperclient* C;

static enum hyperclient_returncode
op(attrs_fn fn, const char* key, const struct hyperclient_attribute* a, size_t n)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = fn(C, SPACE, key, strlen(key), a, n, &st);
    return wait_for(C, id, &st);
}

static enum hyperclient_returncode
mop(maps_fn fn, const char* key, const struct hyperclient_map_attribute* a, size_t n)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = fn(C, SPACE, key, strlen(key), a, n, &st);
    return wait_for(C, id, &st);
}

/* the refusal: the return (negative) with its status in *st */
static int64_t
refuse(attrs_fn fn, const char* space, const struct hyperclient_attribute* a, size_t n, enum hyperclient_returncode* st)
{
    *st = HYPERCLIENT_ZERO;
    return fn(C, space, "k1", 2, a, n, st);
}

/* The object under `key` (release with hyperclient_destroy_attrs), or NULL with *st set. */
static struct hyperclient_attribute*
get(const char* key, size_t* n, enum hyperclient_returncode* st)
{
    struct hyperclient_attribute* attrs = NULL;
    *n = 0;
    *st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_get(C, SPACE, key, strlen(key), st, &attrs, n);
    *st = wait_for(C, id, st);
    if (*st != HYPERCLIENT_SUCCESS && attrs)
    {
        fprintf(stderr, "get %s: attrs set with status %d\n", key, (int)*st);
        failed++;
        hyperclient_destroy_attrs(attrs, *n);
        return NULL;
    }
    return attrs;
}

static int64_t
get_int(const char* key, const char* attr)
{
    size_t n;
    enum hyperclient_returncode st;
    struct hyperclient_attribute* a = get(key, &n, &st);
    const struct hyperclient_attribute* x = find(a, n, attr);
    int64_t v = x && x->value_sz == 8 ? int_of(x) : INT64_MIN;
    hyperclient_destroy_attrs(a, n);
    return v;
}

/* Whether attribute `attr` of `key` holds exactly these bytes. */
static int
has_bytes(const char* key, const char* attr, const char* bytes, size_t len)
{
    size_t n;
    enum hyperclient_returncode st;
    struct hyperclient_attribute* a = get(key, &n, &st);
    int ok = bytes_are(find(a, n, attr), bytes, len);
    if (!ok && a)
    {
        const struct hyperclient_attribute* x = find(a, n, attr);
        fprintf(stderr, "%s.%s:", key, attr);
        for (size_t i = 0; x && i < x->value_sz; i++) fprintf(stderr, " %02x", (unsigned char)x->value[i]);
        fprintf(stderr, "\n");
    }
    hyperclient_destroy_attrs(a, n);
    return ok;
}

/* ---- searches: every result kept until the next search ---------------------------------------- */

enum
{
    RESULTS_MAX = 256
};
static struct hyperclient_attribute* res[RESULTS_MAX];
static size_t res_n[RESULTS_MAX];
static int nres;

static void
results_clear(void)
{
    for (int i = 0; i < nres; i++) hyperclient_destroy_attrs(res[i], res_n[i]);
    nres = 0;
}

/* Drains a search or sorted_search whose call returned `id`: SEARCHDONE when it ended well. */
static enum hyperclient_returncode
drain(int64_t id, enum hyperclient_returncode* st, struct hyperclient_attribute** attrs, size_t* n)
{
    if (id < 0) return *st;
    for (int rounds = 0; rounds < 10000; rounds++)
    {
        enum hyperclient_returncode ls;
        int64_t got = hyperclient_loop(C, WAIT_MS, &ls);
        if (got != id)
        {
            fprintf(stderr, "search: loop returned %" PRId64 " (%d), want %" PRId64 "\n", got, (int)ls, id);
            return HYPERCLIENT_LOGICERROR;
        }
        if (*st != HYPERCLIENT_SUCCESS) return *st;
        if (nres < RESULTS_MAX)
        {
            res[nres] = *attrs;
            res_n[nres++] = *n;
        }
        else
            hyperclient_destroy_attrs(*attrs, *n);
        *attrs = NULL;
        *n = 0;
    }
    return HYPERCLIENT_LOGICERROR;
}

static enum hyperclient_returncode
search(const struct hyperclient_attribute* eq, size_t eq_sz, const struct hyperclient_range_query* rn, size_t rn_sz,
       int64_t* id_out)
{
    results_clear();
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    struct hyperclient_attribute* attrs = NULL;
    size_t n = 0;
    int64_t id = hyperclient_search(C, SPACE, eq, eq_sz, rn, rn_sz, &st, &attrs, &n);
    if (id_out) *id_out = id;
    return drain(id, &st, &attrs, &n);
}

static enum hyperclient_returncode
sorted(const struct hyperclient_attribute_check* ck, size_t ck_sz, const char* by, uint64_t limit, int maxmin, int64_t* id_out)
{
    results_clear();
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    struct hyperclient_attribute* attrs = NULL;
    size_t n = 0;
    int64_t id = hyperclient_sorted_search(C, SPACE, ck, ck_sz, by, limit, maxmin, &st, &attrs, &n);
    if (id_out) *id_out = id;
    return drain(id, &st, &attrs, &n);
}

static int
result_has_key(const char* key)
{
    for (int i = 0; i < nres; i++)
        if (str_is(find(res[i], res_n[i], "k"), key)) return 1;
    return 0;
}

static enum hyperclient_returncode
count(const struct hyperclient_attribute_check* ck, size_t n, uint64_t* out)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    *out = UINT64_MAX;
    int64_t id = hyperclient_count(C, SPACE, ck, n, &st, out);
    return wait_for(C, id, &st);
}

static struct hyperclient_attribute_check
int_check(const char* name, int64_t v, enum hyperpredicate p, char buf[8])
{
    le64(buf, (uint64_t)v);
    struct hyperclient_attribute_check c = {name, buf, 8, HYPERDATATYPE_INT64, p};
    return c;
}

static struct hyperclient_attribute_check
str_check(const char* name, const char* v)
{
    struct hyperclient_attribute_check c = {name, v, strlen(v), HYPERDATATYPE_STRING, HYPERPREDICATE_EQUALS};
    return c;
}

/* ---- the parts ---------------------------------------------------------------------------------- */

static void
spaces(void)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_add_space(C, OPS_SPACE, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_BADSPACE, "add_space of an existing space: %d", (int)st);
    id = hyperclient_add_space(C, "space broken key", &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_BADSPACE, "add_space that does not parse: %d", (int)st);
    id = hyperclient_rm_space(C, "nosuchspace", &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_UNKNOWNSPACE, "rm_space of no space: %d", (int)st);
    id = hyperclient_add_space(C, "space tmp key k attributes int v create 2 partitions tolerate 0 failures", &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_SUCCESS, "add_space tmp: %d", (int)st);
    char b[8];
    struct hyperclient_attribute v[1] = {int_attr("v", 7, b)};
    id = hyperclient_put(C, "tmp", "a", 1, v, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_SUCCESS, "put in tmp: %d", (int)st);
    id = hyperclient_rm_space(C, "tmp", &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_SUCCESS, "rm_space tmp: %d", (int)st);
    struct hyperclient_attribute* a = NULL;
    size_t n = 0;
    id = hyperclient_get(C, "tmp", "a", 1, &st, &a, &n);
    st = wait_for(C, id, &st);
    CHECK(st == HYPERCLIENT_UNKNOWNSPACE, "get in the removed space: %" PRId64 " %d", id, (int)st);
}

static void
key_operations(void)
{
    char b1[8], b2[8], b3[8];
    enum hyperclient_returncode st;
    size_t n;
    struct hyperclient_attribute k1[3] = {str_attr("s", "a"), int_attr("i", 5, b1), float_attr("f", 1.5, b2)};
    CHECK(op(hyperclient_put, "k1", k1, 3) == HYPERCLIENT_SUCCESS, "put k1");
    struct hyperclient_attribute* a = get("k1", &n, &st);
    CHECK(st == HYPERCLIENT_SUCCESS && n == 7, "get k1: %d, %zu attributes", (int)st, n);
    CHECK(str_is(find(a, n, "s"), "a") && int_is(find(a, n, "i"), 5), "get k1: s and i");
    const struct hyperclient_attribute* f = find(a, n, "f");
    CHECK(f && f->datatype == HYPERDATATYPE_FLOAT && float_of(f) == 1.5, "get k1: f");
    const struct hyperclient_attribute* ls = find(a, n, "ls");
    CHECK(ls && ls->datatype == HYPERDATATYPE_LIST_STRING && ls->value_sz == 0, "get k1: ls empty");
    const struct hyperclient_attribute* mi = find(a, n, "mi");
    CHECK(mi && mi->datatype == HYPERDATATYPE_MAP_STRING_INT64 && mi->value_sz == 0, "get k1: mi empty");
    CHECK(!find(a, n, "k"), "get: the key is not among the attributes");
    hyperclient_destroy_attrs(a, n);

    a = get("nobody", &n, &st);
    CHECK(st == HYPERCLIENT_NOTFOUND && !a && n == 0, "get nobody: %d", (int)st);

    struct hyperclient_attribute k2[1] = {str_attr("s", "b")};
    CHECK(op(hyperclient_put_if_not_exist, "k1", k2, 1) == HYPERCLIENT_CMPFAIL, "put_if_not_exist k1");
    CHECK(op(hyperclient_put_if_not_exist, "k2", k2, 1) == HYPERCLIENT_SUCCESS, "put_if_not_exist k2");

    /* condput: condattrs all equal, else CMPFAIL; no object, NOTFOUND */
    struct hyperclient_attribute cond[2] = {str_attr("s", "a"), int_attr("i", 5, b1)};
    struct hyperclient_attribute upd[1] = {int_attr("i", 6, b3)};
    st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_condput(C, SPACE, "k1", 2, cond, 2, upd, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_SUCCESS && get_int("k1", "i") == 6, "condput k1: %d", (int)st);
    id = hyperclient_condput(C, SPACE, "k1", 2, cond, 2, upd, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_CMPFAIL, "condput k1 again: %d", (int)st);
    id = hyperclient_condput(C, SPACE, "none", 4, cond, 2, upd, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_NOTFOUND, "condput none: %d", (int)st);

    /* cond_put: general checks */
    char c1[8], c2[8];
    struct hyperclient_attribute_check lt[2] = {int_check("i", 100, HYPERPREDICATE_LESS_THAN, c1),
                                                int_check("i", 6, HYPERPREDICATE_GREATER_EQUAL, c2)};
    struct hyperclient_attribute upd7[1] = {int_attr("i", 7, b3)};
    id = hyperclient_cond_put(C, SPACE, "k1", 2, lt, 2, upd7, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_SUCCESS && get_int("k1", "i") == 7, "cond_put k1: %d", (int)st);
    struct hyperclient_attribute_check gt[1] = {int_check("i", 100, HYPERPREDICATE_GREATER_THAN, c1)};
    id = hyperclient_cond_put(C, SPACE, "k1", 2, gt, 1, upd7, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_CMPFAIL, "cond_put k1 failing: %d", (int)st);
    id = hyperclient_cond_put(C, SPACE, "none", 4, lt, 2, upd7, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_NOTFOUND, "cond_put none: %d", (int)st);

    st = HYPERCLIENT_ZERO;
    id = hyperclient_del(C, SPACE, "k2", 2, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_SUCCESS, "del k2: %d", (int)st);
    id = hyperclient_del(C, SPACE, "k2", 2, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_NOTFOUND, "del k2 again: %d", (int)st);
}

static void
atomics(void)
{
    char b[8];
    struct hyperclient_attribute x[1];
    x[0] = int_attr("i", 10, b);
    CHECK(op(hyperclient_put, "n", x, 1) == HYPERCLIENT_SUCCESS, "put n");
    static const struct
    {
        attrs_fn fn;
        int64_t operand, expect;
        const char* name;
    } steps[] = {
        /* div and mod floor, as in HyperDex 0.4: -24 div 5 is -5, -5 mod 3 is 1 */
        {hyperclient_atomic_add, 5, 15, "add"},  {hyperclient_atomic_sub, 3, 12, "sub"},
        {hyperclient_atomic_mul, -2, -24, "mul"}, {hyperclient_atomic_div, 5, -5, "div"},
        {hyperclient_atomic_mod, 3, 1, "mod"},   {hyperclient_atomic_and, 3, 1, "and"},
        {hyperclient_atomic_or, 14, 15, "or"},   {hyperclient_atomic_xor, 5, 10, "xor"},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
    {
        x[0] = int_attr("i", steps[i].operand, b);
        enum hyperclient_returncode st = op(steps[i].fn, "n", x, 1);
        int64_t v = get_int("n", "i");
        CHECK(st == HYPERCLIENT_SUCCESS && v == steps[i].expect, "atomic_%s %" PRId64 ": %d, i = %" PRId64 " not %" PRId64,
              steps[i].name, steps[i].operand, (int)st, v, steps[i].expect);
        CHECK(op(steps[i].fn, "nobody", x, 1) == HYPERCLIENT_NOTFOUND, "atomic_%s of no object", steps[i].name);
    }
    /* floats: add/sub/mul/div */
    char fb[8];
    struct hyperclient_attribute fx[1] = {float_attr("f", 0.25, fb)};
    CHECK(op(hyperclient_put, "n", fx, 1) == HYPERCLIENT_SUCCESS, "put n.f");
    fx[0] = float_attr("f", 2.0, fb);
    CHECK(op(hyperclient_atomic_add, "n", fx, 1) == HYPERCLIENT_SUCCESS, "atomic_add float");
    CHECK(op(hyperclient_atomic_mul, "n", fx, 1) == HYPERCLIENT_SUCCESS, "atomic_mul float");
    {
        size_t n;
        enum hyperclient_returncode st;
        struct hyperclient_attribute* a = get("n", &n, &st);
        const struct hyperclient_attribute* f = find(a, n, "f");
        CHECK(f && float_of(f) == 4.5, "(0.25 + 2) * 2 = %g", f ? float_of(f) : -1.0);
        hyperclient_destroy_attrs(a, n);
    }
    /* OVERFLOW: nothing changes */
    x[0] = int_attr("i", INT64_MAX, b);
    CHECK(op(hyperclient_put, "n", x, 1) == HYPERCLIENT_SUCCESS, "put INT64_MAX");
    x[0] = int_attr("i", 1, b);
    CHECK(op(hyperclient_atomic_add, "n", x, 1) == HYPERCLIENT_OVERFLOW, "INT64_MAX + 1");
    x[0] = int_attr("i", 0, b);
    CHECK(op(hyperclient_atomic_div, "n", x, 1) == HYPERCLIENT_OVERFLOW, "division by 0");
    CHECK(op(hyperclient_atomic_mod, "n", x, 1) == HYPERCLIENT_OVERFLOW, "modulus by 0");
    CHECK(get_int("n", "i") == INT64_MAX, "unchanged after OVERFLOW");
    /* a type that does not fit the op: refused before sending */
    struct hyperclient_attribute modf[1] = {float_attr("f", 2.0, fb)};
    enum hyperclient_returncode st;
    int64_t id = refuse(hyperclient_atomic_mod, SPACE, modf, 1, &st);
    CHECK(id == -1 && st == HYPERCLIENT_WRONGTYPE, "atomic_mod on a float: %" PRId64 " %d", id, (int)st);

    /* strings */
    struct hyperclient_attribute s[1] = {str_attr("s", "mid")};
    CHECK(op(hyperclient_put, "n", s, 1) == HYPERCLIENT_SUCCESS, "put n.s");
    s[0] = str_attr("s", "<");
    CHECK(op(hyperclient_string_prepend, "n", s, 1) == HYPERCLIENT_SUCCESS, "string_prepend");
    s[0] = str_attr("s", ">");
    CHECK(op(hyperclient_string_append, "n", s, 1) == HYPERCLIENT_SUCCESS, "string_append");
    CHECK(has_bytes("n", "s", "<mid>", 5), "s = <mid>");
    CHECK(op(hyperclient_string_append, "nobody", s, 1) == HYPERCLIENT_NOTFOUND, "string_append of no object");

    /* lists: one element as the operand */
    struct hyperclient_attribute l[1] = {str_attr("ls", "b")};
    CHECK(op(hyperclient_list_lpush, "n", l, 1) == HYPERCLIENT_SUCCESS, "list_lpush b");
    l[0] = str_attr("ls", "c");
    CHECK(op(hyperclient_list_rpush, "n", l, 1) == HYPERCLIENT_SUCCESS, "list_rpush c");
    l[0] = str_attr("ls", "a");
    CHECK(op(hyperclient_list_lpush, "n", l, 1) == HYPERCLIENT_SUCCESS, "list_lpush a");
    CHECK(has_bytes("n", "ls", "\1\0\0\0a\1\0\0\0b\1\0\0\0c", 15), "ls = [a, b, c]");
    CHECK(op(hyperclient_list_rpush, "nobody", l, 1) == HYPERCLIENT_NOTFOUND, "list_rpush of no object");

    /* sets */
    struct hyperclient_attribute e[1];
    e[0] = int_attr("si", 3, b);
    CHECK(op(hyperclient_set_add, "n", e, 1) == HYPERCLIENT_SUCCESS, "set_add 3");
    e[0] = int_attr("si", -1, b);
    CHECK(op(hyperclient_set_add, "n", e, 1) == HYPERCLIENT_SUCCESS, "set_add -1");
    CHECK(op(hyperclient_set_add, "n", e, 1) == HYPERCLIENT_SUCCESS, "set_add -1 again");
    CHECK(has_bytes("n", "si", "\xff\xff\xff\xff\xff\xff\xff\xff\3\0\0\0\0\0\0\0", 16), "si = {-1, 3}");
    CHECK(op(hyperclient_set_remove, "n", e, 1) == HYPERCLIENT_SUCCESS, "set_remove -1");
    char u[24];
    le64(u, 2);
    le64(u + 8, 5);
    le64(u + 16, 9);
    struct hyperclient_attribute un[1] = {{"si", u, 16, HYPERDATATYPE_SET_INT64}};
    CHECK(op(hyperclient_set_union, "n", un, 1) == HYPERCLIENT_SUCCESS, "set_union {2, 5}");
    CHECK(has_bytes("n", "si", "\2\0\0\0\0\0\0\0\3\0\0\0\0\0\0\0\5\0\0\0\0\0\0\0", 24), "si = {2, 3, 5}");
    un[0].value = u + 8;
    un[0].value_sz = 16;
    CHECK(op(hyperclient_set_intersect, "n", un, 1) == HYPERCLIENT_SUCCESS, "set_intersect {5, 9}");
    CHECK(has_bytes("n", "si", "\5\0\0\0\0\0\0\0", 8), "si = {5}");
    CHECK(op(hyperclient_set_union, "nobody", un, 1) == HYPERCLIENT_NOTFOUND, "set_union of no object");
}

static void
maps(void)
{
    char v1[8], v2[8];
    le64(v1, 1);
    le64(v2, 2);
    struct hyperclient_map_attribute add[2] = {{"mi", "b", 1, v2, 8, HYPERDATATYPE_INT64},
                                               {"mi", "a", 1, v1, 8, HYPERDATATYPE_INT64}};
    CHECK(mop(hyperclient_map_add, "n", add, 2) == HYPERCLIENT_SUCCESS, "map_add a=1 b=2");
    CHECK(has_bytes("n", "mi", "\1\0\0\0a\1\0\0\0\0\0\0\0\1\0\0\0b\2\0\0\0\0\0\0\0", 26), "mi = {a: 1, b: 2}");
    CHECK(mop(hyperclient_map_add, "nobody", add, 2) == HYPERCLIENT_NOTFOUND, "map_add of no object");

    static const struct
    {
        maps_fn fn;
        int64_t operand, expect;
        const char* name;
    } steps[] = {
        {hyperclient_map_atomic_add, 12, 12, "add"}, {hyperclient_map_atomic_sub, 2, 10, "sub"},
        {hyperclient_map_atomic_mul, 3, 30, "mul"},  {hyperclient_map_atomic_div, 4, 7, "div"},
        {hyperclient_map_atomic_mod, 4, 3, "mod"},   {hyperclient_map_atomic_or, 12, 15, "or"},
        {hyperclient_map_atomic_and, 6, 6, "and"},   {hyperclient_map_atomic_xor, 3, 5, "xor"},
    };
    /* on key c, absent at first: it starts from 0 */
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
    {
        char ob[8];
        le64(ob, (uint64_t)steps[i].operand);
        struct hyperclient_map_attribute m[1] = {{"mi", "c", 1, ob, 8, HYPERDATATYPE_INT64}};
        enum hyperclient_returncode st = mop(steps[i].fn, "n", m, 1);
        char want[13] = {1, 0, 0, 0, 'c'};
        le64(want + 5, (uint64_t)steps[i].expect);
        size_t n;
        enum hyperclient_returncode gs;
        struct hyperclient_attribute* a = get("n", &n, &gs);
        const struct hyperclient_attribute* mi = find(a, n, "mi");
        /* mi is {a, b, c}: c's entry is the last 13 bytes */
        int ok = mi && mi->value_sz == 39 && memcmp(mi->value + 26, want, 13) == 0;
        hyperclient_destroy_attrs(a, n);
        CHECK(st == HYPERCLIENT_SUCCESS && ok, "map_atomic_%s c %" PRId64 ": %d", steps[i].name, steps[i].operand, (int)st);
        CHECK(mop(steps[i].fn, "nobody", m, 1) == HYPERCLIENT_NOTFOUND, "map_atomic_%s of no object", steps[i].name);
    }
    /* map_remove: the value is the key to remove */
    struct hyperclient_attribute rm[2] = {str_attr("mi", "b"), str_attr("mi", "c")};
    CHECK(op(hyperclient_map_remove, "n", rm, 2) == HYPERCLIENT_SUCCESS, "map_remove b, c");
    CHECK(has_bytes("n", "mi", "\1\0\0\0a\1\0\0\0\0\0\0\0", 13), "mi = {a: 1}");
    CHECK(op(hyperclient_map_remove, "nobody", rm, 1) == HYPERCLIENT_NOTFOUND, "map_remove of no object");

    struct hyperclient_map_attribute sp[1] = {{"ms", "x", 1, "mid", 3, HYPERDATATYPE_STRING}};
    CHECK(mop(hyperclient_map_string_append, "n", sp, 1) == HYPERCLIENT_SUCCESS, "map_string_append");
    sp[0].value = "<";
    sp[0].value_sz = 1;
    CHECK(mop(hyperclient_map_string_prepend, "n", sp, 1) == HYPERCLIENT_SUCCESS, "map_string_prepend");
    CHECK(has_bytes("n", "ms", "\1\0\0\0x\4\0\0\0<mid", 13), "ms = {x: <mid}");
    CHECK(mop(hyperclient_map_string_prepend, "nobody", sp, 1) == HYPERCLIENT_NOTFOUND, "map_string_prepend of no object");

    /* refusals: the index of the entry */
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    struct hyperclient_map_attribute bad[2] = {{"mi", "a", 1, v1, 8, HYPERDATATYPE_INT64},
                                               {"i", "a", 1, v1, 8, HYPERDATATYPE_INT64}};
    int64_t id = hyperclient_map_atomic_add(C, SPACE, "n", 1, bad, 2, &st);
    CHECK(id == -2 && st == HYPERCLIENT_WRONGTYPE, "map_atomic_add on an int64: %" PRId64 " %d", id, (int)st);
    bad[1].attr = "nosuch";
    id = hyperclient_map_atomic_add(C, SPACE, "n", 1, bad, 2, &st);
    CHECK(id == -2 && st == HYPERCLIENT_UNKNOWNATTR, "map_atomic_add on no attribute: %" PRId64 " %d", id, (int)st);
    struct hyperclient_map_attribute strop[1] = {{"mi", "a", 1, "x", 1, HYPERDATATYPE_STRING}};
    id = hyperclient_map_string_append(C, SPACE, "n", 1, strop, 1, &st);
    CHECK(id == -1 && st == HYPERCLIENT_WRONGTYPE, "map_string_append on int64 values: %" PRId64 " %d", id, (int)st);
}

static void
searches(void)
{
    char b[8];
    /* s = "grp" for q0..q9, i = 100 + j */
    for (int j = 0; j < 10; j++)
    {
        char key[8];
        snprintf(key, sizeof(key), "q%d", j);
        struct hyperclient_attribute a[2] = {str_attr("s", j % 2 ? "odd" : "even"), int_attr("i", 100 + j, b)};
        CHECK(op(hyperclient_put, key, a, 2) == HYPERCLIENT_SUCCESS, "put %s", key);
    }
    int64_t id;
    struct hyperclient_attribute even[1] = {str_attr("s", "even")};
    enum hyperclient_returncode st = search(even, 1, NULL, 0, &id);
    CHECK(id > 0 && st == HYPERCLIENT_SEARCHDONE && nres == 5 && result_has_key("q0") && result_has_key("q8") &&
              !result_has_key("q1"),
          "search s = even: %d, %d results", (int)st, nres);
    CHECK(nres > 0 && res_n[0] == 8 && strcmp(res[0][0].attr, "k") == 0, "a search result starts with the key");
    struct hyperclient_range_query rn[1] = {{"i", 103, 107}};
    st = search(NULL, 0, rn, 1, &id);
    CHECK(st == HYPERCLIENT_SEARCHDONE && nres == 4 && result_has_key("q3") && result_has_key("q6") && !result_has_key("q7"),
          "search 103 <= i < 107: %d, %d results", (int)st, nres);
    st = search(even, 1, rn, 1, &id);
    CHECK(st == HYPERCLIENT_SEARCHDONE && nres == 2 && result_has_key("q4") && result_has_key("q6"),
          "search even and 103 <= i < 107: %d, %d results", (int)st, nres);
    struct hyperclient_attribute none[1] = {str_attr("s", "none")};
    st = search(none, 1, NULL, 0, &id);
    CHECK(id > 0 && st == HYPERCLIENT_SEARCHDONE && nres == 0, "search with no match: %d, %d results", (int)st, nres);

    /* count */
    uint64_t n;
    struct hyperclient_attribute_check odd[1] = {str_check("s", "odd")};
    CHECK(count(odd, 1, &n) == HYPERCLIENT_SUCCESS && n == 5, "count odd: %" PRIu64, n);
    char c1[8], c2[8];
    struct hyperclient_attribute_check range[2] = {int_check("i", 102, HYPERPREDICATE_GREATER_EQUAL, c1),
                                                   int_check("i", 105, HYPERPREDICATE_LESS_EQUAL, c2)};
    CHECK(count(range, 2, &n) == HYPERCLIENT_SUCCESS && n == 4, "count 102 <= i <= 105: %" PRIu64, n);

    /* sorted_search: ascending and descending, with a limit */
    st = sorted(range, 2, "i", 3, 0, &id);
    CHECK(id > 0 && st == HYPERCLIENT_SEARCHDONE && nres == 3 && int_is(find(res[0], res_n[0], "i"), 102) &&
              int_is(find(res[1], res_n[1], "i"), 103) && int_is(find(res[2], res_n[2], "i"), 104),
          "sorted_search ascending, limit 3: %d, %d results", (int)st, nres);
    st = sorted(odd, 1, "i", 10, 1, &id);
    CHECK(st == HYPERCLIENT_SEARCHDONE && nres == 5 && int_is(find(res[0], res_n[0], "i"), 109) &&
              int_is(find(res[4], res_n[4], "i"), 101),
          "sorted_search descending: %d, %d results", (int)st, nres);
    st = sorted(odd, 1, "nosuch", 10, 1, &id);
    CHECK(id < 0 && st == HYPERCLIENT_UNKNOWNATTR, "sorted_search by no attribute: %" PRId64 " %d", id, (int)st);
    results_clear();

    /* group_del */
    st = HYPERCLIENT_ZERO;
    id = hyperclient_group_del(C, SPACE, odd, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_SUCCESS, "group_del odd: %d", (int)st);
    CHECK(count(odd, 1, &n) == HYPERCLIENT_SUCCESS && n == 0, "count odd after group_del: %" PRIu64, n);
    struct hyperclient_attribute_check grp[1] = {str_check("s", "even")};
    CHECK(count(grp, 1, &n) == HYPERCLIENT_SUCCESS && n == 5, "count even after group_del: %" PRIu64, n);
}

static void
refusals(void)
{
    enum hyperclient_returncode st;
    int64_t id;
    char b1[8], b2[8];
    /* put: UNKNOWNATTR, WRONGTYPE, DUPEATTR, the key, at their index */
    struct hyperclient_attribute unk[2] = {str_attr("s", "x"), str_attr("nosuch", "y")};
    id = refuse(hyperclient_put, SPACE, unk, 2, &st);
    CHECK(id == -2 && st == HYPERCLIENT_UNKNOWNATTR, "put unknown attr: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute wt[1] = {str_attr("i", "text")};
    id = refuse(hyperclient_put, SPACE, wt, 1, &st);
    CHECK(id == -1 && st == HYPERCLIENT_WRONGTYPE, "put wrong type: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute dup[3] = {str_attr("s", "x"), int_attr("i", 1, b1), str_attr("s", "y")};
    id = refuse(hyperclient_put, SPACE, dup, 3, &st);
    CHECK(id == -3 && st == HYPERCLIENT_DUPEATTR, "put dupe: %" PRId64 " %d", id, (int)st);
    id = refuse(hyperclient_atomic_add, SPACE, dup + 1, 1, &st);
    CHECK(id > 0, "atomic_add accepted");
    wait_for(C, id, &st);
    struct hyperclient_attribute adupe[2] = {int_attr("i", 1, b1), int_attr("i", 2, b2)};
    id = refuse(hyperclient_atomic_add, SPACE, adupe, 2, &st);
    CHECK(id == -2 && st == HYPERCLIENT_DUPEATTR, "atomic_add dupe: %" PRId64 " %d", id, (int)st);

    /* condput: condattrs, then attrs */
    struct hyperclient_attribute cond[2] = {str_attr("s", "a"), int_attr("i", 5, b1)};
    struct hyperclient_attribute upd[2] = {str_attr("s", "b"), str_attr("nosuch", "c")};
    st = HYPERCLIENT_ZERO;
    id = hyperclient_condput(C, SPACE, "k1", 2, cond, 2, upd, 2, &st);
    CHECK(id == -4 && st == HYPERCLIENT_UNKNOWNATTR, "condput unknown in attrs: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute cond_bad[2] = {str_attr("s", "a"), str_attr("i", "five")};
    id = hyperclient_condput(C, SPACE, "k1", 2, cond_bad, 2, upd, 1, &st);
    CHECK(id == -2 && st == HYPERCLIENT_WRONGTYPE, "condput wrong type in condattrs: %" PRId64 " %d", id, (int)st);
    /* cond_put: checks, then attrs */
    struct hyperclient_attribute_check ck[1] = {str_check("s", "a")};
    id = hyperclient_cond_put(C, SPACE, "k1", 2, ck, 1, upd, 2, &st);
    CHECK(id == -3 && st == HYPERCLIENT_UNKNOWNATTR, "cond_put unknown in attrs: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute_check ck_bad[2] = {str_check("s", "a"), str_check("nosuch", "a")};
    id = hyperclient_cond_put(C, SPACE, "k1", 2, ck_bad, 2, upd, 1, &st);
    CHECK(id == -2 && st == HYPERCLIENT_UNKNOWNATTR, "cond_put unknown in checks: %" PRId64 " %d", id, (int)st);

    /* search: eq, then rn */
    struct hyperclient_attribute eq[2] = {str_attr("s", "a"), str_attr("nosuch", "b")};
    st = search(eq, 2, NULL, 0, &id);
    CHECK(id == -2 && st == HYPERCLIENT_UNKNOWNATTR, "search unknown eq: %" PRId64 " %d", id, (int)st);
    struct hyperclient_range_query rn[2] = {{"i", 0, 10}, {"nosuch", 0, 10}};
    st = search(eq, 1, rn, 2, &id);
    CHECK(id == -3 && st == HYPERCLIENT_UNKNOWNATTR, "search unknown rn: %" PRId64 " %d", id, (int)st);
    struct hyperclient_range_query rs[1] = {{"s", 0, 10}};
    st = search(eq, 1, rs, 1, &id);
    CHECK(id == -2 && st == HYPERCLIENT_WRONGTYPE, "search range on a string: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute eqw[1] = {str_attr("i", "x")};
    st = search(eqw, 1, NULL, 0, &id);
    CHECK(id == -1 && st == HYPERCLIENT_WRONGTYPE, "search wrong type: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute bykey[1] = {str_attr("k", "k1")};
    st = search(bykey, 1, NULL, 0, &id);
    CHECK(id < 0 && st == HYPERCLIENT_DONTUSEKEY, "search by key: %" PRId64 " %d", id, (int)st);
    /* count: index into the checks */
    uint64_t n;
    st = HYPERCLIENT_ZERO;
    id = hyperclient_count(C, SPACE, ck_bad, 2, &st, &n);
    CHECK(id == -2 && st == HYPERCLIENT_UNKNOWNATTR, "count unknown attr: %" PRId64 " %d", id, (int)st);
    id = hyperclient_group_del(C, SPACE, ck_bad, 2, &st);
    CHECK(id == -2 && st == HYPERCLIENT_UNKNOWNATTR, "group_del unknown attr: %" PRId64 " %d", id, (int)st);

    /* UNKNOWNSPACE from every kind of call */
    struct hyperclient_attribute* a = NULL;
    size_t an = 0;
    st = HYPERCLIENT_ZERO;
    CHECK(hyperclient_get(C, "nospace", "k", 1, &st, &a, &an) == -1 && st == HYPERCLIENT_UNKNOWNSPACE, "get: %d", (int)st);
    CHECK(refuse(hyperclient_put, "nospace", unk, 1, &st) == -1 && st == HYPERCLIENT_UNKNOWNSPACE, "put: %d", (int)st);
    CHECK(refuse(hyperclient_atomic_add, "nospace", adupe, 1, &st) == -1 && st == HYPERCLIENT_UNKNOWNSPACE, "atomic_add: %d",
          (int)st);
    CHECK(hyperclient_del(C, "nospace", "k", 1, &st) == -1 && st == HYPERCLIENT_UNKNOWNSPACE, "del: %d", (int)st);
    CHECK(hyperclient_search(C, "nospace", eq, 1, NULL, 0, &st, &a, &an) == -1 && st == HYPERCLIENT_UNKNOWNSPACE,
          "search: %d", (int)st);
    CHECK(hyperclient_count(C, "nospace", ck, 1, &st, &n) == -1 && st == HYPERCLIENT_UNKNOWNSPACE, "count: %d", (int)st);
    CHECK(hyperclient_group_del(C, "nospace", ck, 1, &st) == -1 && st == HYPERCLIENT_UNKNOWNSPACE, "group_del: %d", (int)st);
    CHECK(hyperclient_sorted_search(C, "nospace", ck, 1, "s", 1, 0, &st, &a, &an) == -1 && st == HYPERCLIENT_UNKNOWNSPACE,
          "sorted_search: %d", (int)st);
    char v[8];
    le64(v, 1);
    struct hyperclient_map_attribute m[1] = {{"mi", "a", 1, v, 8, HYPERDATATYPE_INT64}};
    CHECK(hyperclient_map_add(C, "nospace", "k", 1, m, 1, &st) == -1 && st == HYPERCLIENT_UNKNOWNSPACE, "map_add: %d", (int)st);
    CHECK(!a && an == 0, "refusals leave attrs alone");
}

/* A put made and never looped for: hyperclient_destroy still writes it out. */
static void
queued_then_destroyed(int argc, char** argv)
{
    struct hyperclient* d = connect_or_exit(argc, argv, "HOST PORT");
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    struct hyperclient_attribute a = str_attr("s", "sent by destroy");
    int64_t id = hyperclient_put(d, SPACE, "destroyed", 9, &a, 1, &st);
    CHECK(id > 0, "put before destroy: %" PRId64 " (%d)", id, (int)st);
    hyperclient_destroy(d);
    /* nothing tells this client when the daemon has applied it: ask again, bounded */
    int found = 0;
    int64_t t0 = now_ms();
    for (int tries = 0; tries < 1000 && !found && now_ms() - t0 < WAIT_MS; tries++)
    {
        size_t n;
        struct hyperclient_attribute* got = get("destroyed", &n, &st);
        found = st == HYPERCLIENT_SUCCESS && str_is(find(got, n, "s"), "sent by destroy");
        if (got) hyperclient_destroy_attrs(got, n);
        if (!found)
        {
            struct timespec pause = {0, 10 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    CHECK(found, "a put queued before hyperclient_destroy is applied (last status %d)", (int)st);
}

int
main(int argc, char** argv)
{
    /* a coordinator that is not there: NULL, promptly */
    int64_t t0 = now_ms();
    struct hyperclient* none = hyperclient_create("127.0.0.1", 1);
    CHECK(none == NULL && now_ms() - t0 < WAIT_MS, "hyperclient_create with no coordinator");
    if (none) hyperclient_destroy(none);

    C = connect_or_exit(argc, argv, "HOST PORT");
    enum hyperclient_returncode ls = HYPERCLIENT_ZERO;
    CHECK(hyperclient_loop(C, 100, &ls) == -1 && ls == HYPERCLIENT_NONEPENDING, "loop with nothing outstanding: %d", (int)ls);
    add_space_or_exit(C, OPS_SPACE);
    spaces();
    key_operations();
    atomics();
    maps();
    searches();
    refusals();
    queued_then_destroyed(argc, argv);
    CHECK(hyperclient_loop(C, 100, &ls) == -1 && ls == HYPERCLIENT_NONEPENDING, "nothing outstanding at the end: %d", (int)ls);
    results_clear();
    hyperclient_destroy(C);
    return report();
}
