/* Map operations on many keys in one call through libhyperclient, against a live cluster:
 * `test_map_ops HOST PORT`. HyperDex 0.4 had no limit on them; ours is
 * HYPERDEX_MICRO_OPS_PER_REQUEST_MAX entries per call. 1,000 and exactly the limit work (map_add,
 * map_atomic_add, map_atomic_mod, map_string_append, map_remove); one more is refused with
 * OVERFLOW before anything is sent (the call returns -1, no operation is outstanding), and a key
 * named twice among the limit's entries is DUPEATTR at its index. Also the floored int64 division
 * of 0.4. Run by test/c-programs.test.ts. */
#include "harness.h"

static const char* SPACE = "cmaps";
static const char* SPACE_DESCRIPTION =
    "space cmaps key k attributes map(string, int64) mi, map(string, string) ms, map(int64, int64) mii, int i "
    "create 2 partitions tolerate 0 failures";

enum
{
    LIMIT = HYPERDEX_MICRO_OPS_PER_REQUEST_MAX,
    KEY_BYTES = 8 /* "k" and 7 digits: the keys sort as they are numbered */
};

typedef int64_t (*maps_fn)(struct hyperclient*, const char*, const char*, size_t, const struct hyperclient_map_attribute*,
                           size_t, enum hyperclient_returncode*);

static struct hyperclient* C;

/* Key number i, "k" and 7 digits (i < 10,000,000), in KEY_BYTES bytes without a terminator. */
static void
key_name(size_t i, char out[KEY_BYTES])
{
    char digits[32];
    snprintf(digits, sizeof(digits), "k%07zu", i % 10000000);
    memcpy(out, digits, KEY_BYTES);
}

/* The entries of one call: n (attr, key, value) triples over buffers that live as long as it. */
struct batch
{
    struct hyperclient_map_attribute* a;
    char* keys;   /* n keys of KEY_BYTES */
    char* values; /* n values of 8 bytes (int64) or 1 byte (a string) */
    size_t n;
};

/* n entries on `attr`: keys k0000000 + i, int64 values value(i), or one-byte strings when `text`. */
static struct batch
batch_new(const char* attr, size_t n, int64_t (*value)(size_t), int text)
{
    struct batch b = {calloc(n, sizeof(*b.a)), malloc(n * KEY_BYTES + 1), malloc(n * 8 + 1), n};
    if (!b.a || !b.keys || !b.values)
    {
        fprintf(stderr, "out of memory for %zu entries\n", n);
        exit(3);
    }
    for (size_t i = 0; i < n; i++)
    {
        char* k = b.keys + i * KEY_BYTES;
        key_name(i, k);
        char* v = b.values + i * 8;
        if (text)
        {
            v[0] = (char)('a' + i % 26);
            b.a[i] = (struct hyperclient_map_attribute){attr, k, KEY_BYTES, v, 1, HYPERDATATYPE_STRING};
        }
        else
        {
            le64(v, (uint64_t)value(i));
            b.a[i] = (struct hyperclient_map_attribute){attr, k, KEY_BYTES, v, 8, HYPERDATATYPE_INT64};
        }
    }
    return b;
}

static void
batch_free(struct batch* b)
{
    free(b->a);
    free(b->keys);
    free(b->values);
}

static int64_t
identity(size_t i)
{
    return (int64_t)i;
}

static int64_t
minus_five(size_t i)
{
    (void)i;
    return -5;
}

static int64_t
seven(size_t i)
{
    (void)i;
    return 7;
}

static enum hyperclient_returncode
call(maps_fn fn, const char* key, const struct batch* b, int64_t* id)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    *id = fn(C, SPACE, key, strlen(key), b->a, b->n, &st);
    return wait_for(C, *id, &st);
}

/* map_remove takes hyperclient_attributes: each value is a key to remove. */
static enum hyperclient_returncode
remove_keys(const char* key, const struct batch* b, int64_t* id)
{
    struct hyperclient_attribute* a = calloc(b->n ? b->n : 1, sizeof(*a));
    if (!a) exit(3);
    for (size_t i = 0; i < b->n; i++) a[i] = (struct hyperclient_attribute){b->a[i].attr, b->a[i].map_key, KEY_BYTES, HYPERDATATYPE_STRING};
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    *id = hyperclient_map_remove(C, SPACE, key, strlen(key), a, b->n, &st);
    st = wait_for(C, *id, &st);
    free(a);
    return st;
}

static uint32_t
u32_at(const char* p)
{
    uint32_t u = 0;
    for (int i = 0; i < 4; i++) u |= (uint32_t)(unsigned char)p[i] << (8 * i);
    return u;
}

static int64_t
i64_at(const char* p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return (int64_t)u;
}

/* The map attribute `attr` of `key`: its entries counted, and the int64 value under key number
 * `at` (INT64_MIN when absent) or the first byte of its string value. */
struct map_seen
{
    size_t entries;
    int64_t value_at;
    int ok;
};

static struct map_seen
read_map(const char* key, const char* attr, int text, size_t at)
{
    struct map_seen seen = {0, INT64_MIN, 0};
    struct hyperclient_attribute* attrs = NULL;
    size_t n = 0;
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_get(C, SPACE, key, strlen(key), &st, &attrs, &n);
    if (wait_for(C, id, &st) != HYPERCLIENT_SUCCESS) return seen;
    const struct hyperclient_attribute* m = find(attrs, n, attr);
    char want[KEY_BYTES];
    key_name(at, want);
    size_t off = 0;
    /* each turn moves past one entry or stops: bounded by the value's size */
    while (m && off + 4 <= m->value_sz)
    {
        uint32_t klen = u32_at(m->value + off);
        size_t vat = off + 4 + klen;
        size_t vlen = 8;
        if (text)
        {
            if (vat + 4 > m->value_sz) break;
            vlen = 4 + (size_t)u32_at(m->value + vat);
        }
        if (vat + vlen > m->value_sz) break;
        if (klen == KEY_BYTES && memcmp(m->value + off + 4, want, KEY_BYTES) == 0)
            seen.value_at = text ? (vlen > 4 ? (unsigned char)m->value[vat + 4] : -1) : i64_at(m->value + vat);
        seen.entries++;
        off = vat + vlen;
    }
    seen.ok = m != NULL && off == m->value_sz;
    hyperclient_destroy_attrs(attrs, n);
    return seen;
}

static void
many_keys(size_t n)
{
    char key[32];
    snprintf(key, sizeof(key), "many-%zu", n);
    char b[8];
    struct hyperclient_attribute one[1] = {int_attr("i", 1, b)};
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_put(C, SPACE, key, strlen(key), one, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_SUCCESS, "put %s: %d", key, (int)st);

    struct batch add = batch_new("mi", n, identity, 0);
    CHECK(call(hyperclient_map_add, key, &add, &id) == HYPERCLIENT_SUCCESS && id >= 0, "map_add of %zu: %" PRId64, n, id);
    struct map_seen m = read_map(key, "mi", 0, n - 1);
    CHECK(m.ok && m.entries == n && m.value_at == (int64_t)n - 1, "after map_add of %zu: %zu entries, last %" PRId64, n,
          m.entries, m.value_at);

    struct batch sub = batch_new("mi", n, minus_five, 0);
    struct batch mod = batch_new("mi", n, seven, 0);
    CHECK(call(hyperclient_map_atomic_add, key, &sub, &id) == HYPERCLIENT_SUCCESS, "map_atomic_add of %zu", n);
    CHECK(call(hyperclient_map_atomic_mod, key, &mod, &id) == HYPERCLIENT_SUCCESS, "map_atomic_mod of %zu", n);
    /* (i - 5) mod 7, floored: key 0 holds -5 mod 7 = 2, key 3 holds -2 mod 7 = 5 */
    m = read_map(key, "mi", 0, 0);
    CHECK(m.ok && m.entries == n && m.value_at == 2, "(0 - 5) mod 7 over %zu keys: %" PRId64, n, m.value_at);
    m = read_map(key, "mi", 0, 3);
    CHECK(m.value_at == 5, "(3 - 5) mod 7 over %zu keys: %" PRId64, n, m.value_at);

    struct batch text = batch_new("ms", n, identity, 1);
    CHECK(call(hyperclient_map_string_append, key, &text, &id) == HYPERCLIENT_SUCCESS, "map_string_append of %zu", n);
    m = read_map(key, "ms", 1, n - 1);
    CHECK(m.ok && m.entries == n && m.value_at == 'a' + (int64_t)((n - 1) % 26), "after map_string_append of %zu: %zu entries",
          n, m.entries);

    CHECK(remove_keys(key, &add, &id) == HYPERCLIENT_SUCCESS, "map_remove of %zu", n);
    m = read_map(key, "mi", 0, 0);
    CHECK(m.ok && m.entries == 0, "after map_remove of %zu: %zu entries", n, m.entries);
    batch_free(&add);
    batch_free(&sub);
    batch_free(&mod);
    batch_free(&text);
}

/* One more than the limit: -1 with OVERFLOW at once, nothing outstanding, nothing changed. */
static void
over_the_limit(void)
{
    const char* key = "over";
    struct batch small = batch_new("mi", 10, identity, 0);
    int64_t id;
    char b[8];
    struct hyperclient_attribute one[1] = {int_attr("i", 1, b)};
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    id = hyperclient_put(C, SPACE, key, strlen(key), one, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_SUCCESS, "put over: %d", (int)st);
    CHECK(call(hyperclient_map_add, key, &small, &id) == HYPERCLIENT_SUCCESS, "map_add of 10");

    struct batch over = batch_new("mi", (size_t)LIMIT + 1, identity, 0);
    struct batch over_text = batch_new("ms", (size_t)LIMIT + 1, identity, 1);
    const struct
    {
        const char* what;
        maps_fn fn;
        const struct batch* b;
    } calls[] = {
        {"map_add", hyperclient_map_add, &over},
        {"map_atomic_add", hyperclient_map_atomic_add, &over},
        {"map_atomic_div", hyperclient_map_atomic_div, &over},
        {"map_string_prepend", hyperclient_map_string_prepend, &over_text},
    };
    for (size_t c = 0; c < sizeof(calls) / sizeof(calls[0]); c++)
    {
        st = call(calls[c].fn, key, calls[c].b, &id);
        CHECK(id == -1 && st == HYPERCLIENT_OVERFLOW, "%s of LIMIT + 1: %" PRId64 " %d", calls[c].what, id, (int)st);
    }
    st = remove_keys(key, &over, &id);
    CHECK(id == -1 && st == HYPERCLIENT_OVERFLOW, "map_remove of LIMIT + 1: %" PRId64 " %d", id, (int)st);
    enum hyperclient_returncode ls = HYPERCLIENT_ZERO;
    CHECK(hyperclient_loop(C, 100, &ls) == -1 && ls == HYPERCLIENT_NONEPENDING, "nothing was sent: %d", (int)ls);
    struct map_seen m = read_map(key, "mi", 0, 9);
    CHECK(m.ok && m.entries == 10 && m.value_at == 9, "unchanged: %zu entries", m.entries);

    /* A key named twice among LIMIT entries: DUPEATTR at the later one's index, found in one pass. */
    struct batch dup = batch_new("mi", LIMIT, identity, 0);
    dup.a[LIMIT - 1].map_key = dup.a[17].map_key;
    st = call(hyperclient_map_add, key, &dup, &id);
    CHECK(id == -(int64_t)LIMIT && st == HYPERCLIENT_DUPEATTR, "map_add with a key twice: %" PRId64 " %d", id, (int)st);
    st = call(hyperclient_map_atomic_add, key, &dup, &id);
    CHECK(id == -(int64_t)LIMIT && st == HYPERCLIENT_DUPEATTR, "map_atomic_add with a key twice: %" PRId64 " %d", id, (int)st);
    /* the same key in two maps is two values */
    struct batch two = batch_new("mi", 2, identity, 0);
    two.a[1].attr = "ms";
    two.a[1].map_key = two.a[0].map_key;
    two.a[1].value = "z";
    two.a[1].value_sz = 1;
    two.a[1].datatype = HYPERDATATYPE_STRING;
    CHECK(call(hyperclient_map_add, key, &two, &id) == HYPERCLIENT_SUCCESS, "one key in two maps: %" PRId64, id);
    batch_free(&small);
    batch_free(&over);
    batch_free(&over_text);
    batch_free(&dup);
    batch_free(&two);
}

/* int64 division floors and the remainder takes the divisor's sign, as in HyperDex 0.4. */
static void
floored_division(void)
{
    const char* key = "div";
    const struct
    {
        int64_t a, b, r;
        int mod;
    } cases[] = {
        {7, -3, -3, 0}, {7, -3, -2, 1}, {-7, 3, -3, 0}, {-7, 3, 2, 1}, {-7, 2, -4, 0}, {-7, 2, 1, 1},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
    {
        char b1[8], b2[8];
        struct hyperclient_attribute put[1] = {int_attr("i", cases[c].a, b1)};
        struct hyperclient_attribute by[1] = {int_attr("i", cases[c].b, b2)};
        enum hyperclient_returncode st = HYPERCLIENT_ZERO;
        int64_t id = hyperclient_put(C, SPACE, key, strlen(key), put, 1, &st);
        wait_for(C, id, &st);
        id = (cases[c].mod ? hyperclient_atomic_mod : hyperclient_atomic_div)(C, SPACE, key, strlen(key), by, 1, &st);
        st = wait_for(C, id, &st);
        struct hyperclient_attribute* attrs = NULL;
        size_t n = 0;
        enum hyperclient_returncode gs = HYPERCLIENT_ZERO;
        id = hyperclient_get(C, SPACE, key, strlen(key), &gs, &attrs, &n);
        wait_for(C, id, &gs);
        CHECK(st == HYPERCLIENT_SUCCESS && int_is(find(attrs, n, "i"), cases[c].r), "%" PRId64 " %s %" PRId64 " is %" PRId64,
              cases[c].a, cases[c].mod ? "mod" : "div", cases[c].b, cases[c].r);
        hyperclient_destroy_attrs(attrs, n);
    }
    char b1[8], b2[8];
    struct hyperclient_attribute min[1] = {int_attr("i", INT64_MIN, b1)};
    struct hyperclient_attribute minus_one[1] = {int_attr("i", -1, b2)};
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_put(C, SPACE, key, strlen(key), min, 1, &st);
    wait_for(C, id, &st);
    id = hyperclient_atomic_mod(C, SPACE, key, strlen(key), minus_one, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_OVERFLOW, "INT64_MIN mod -1: %d", (int)st);
    id = hyperclient_atomic_div(C, SPACE, key, strlen(key), minus_one, 1, &st);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_OVERFLOW, "INT64_MIN div -1: %d", (int)st);
}

int
main(int argc, char** argv)
{
    C = connect_or_exit(argc, argv, "HOST PORT");
    add_space_or_exit(C, SPACE_DESCRIPTION);
    many_keys(1000);
    many_keys(LIMIT);
    over_the_limit();
    floored_division();
    hyperclient_destroy(C);
    return report();
}
