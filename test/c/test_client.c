/* libhyperclient against a live cluster: `test_client HOST PORT`. The cluster must hold the
 * phonebook space of the 0.4 manual (key username; first, last, phone (int64)). Runs the manual's
 * key operations (section 3.4 and the condput of section 3.6), the client-side refusals, 1,000
 * puts outstanding at once, and the searches of section 3.4 over what it wrote. Prints "N passed, M failed" last; exits non-zero on any failure.
 * test/c-client.test.ts runs it and checks from the TypeScript client what it wrote.
 */
#include "harness.h"

static const char* SPACE = "phonebook";

static enum hyperclient_returncode
do_put(struct hyperclient* c, const char* key, const struct hyperclient_attribute* a, size_t n)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_put(c, SPACE, key, strlen(key), a, n, &st);
    return wait_for(c, id, &st);
}

static enum hyperclient_returncode
do_get(struct hyperclient* c, const char* key, struct hyperclient_attribute** attrs, size_t* n)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    *attrs = NULL;
    *n = 0;
    int64_t id = hyperclient_get(c, SPACE, key, strlen(key), &st, attrs, n);
    return wait_for(c, id, &st);
}

static enum hyperclient_returncode
do_del(struct hyperclient* c, const char* key)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_del(c, SPACE, key, strlen(key), &st);
    return wait_for(c, id, &st);
}

static enum hyperclient_returncode
do_condput(struct hyperclient* c, const char* key, const struct hyperclient_attribute* cond, size_t cn,
           const struct hyperclient_attribute* a, size_t n)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_condput(c, SPACE, key, strlen(key), cond, cn, a, n, &st);
    return wait_for(c, id, &st);
}

static void
check_person(struct hyperclient* c, const char* key, const char* first, const char* last, int64_t phone)
{
    struct hyperclient_attribute* attrs;
    size_t n;
    enum hyperclient_returncode st = do_get(c, key, &attrs, &n);
    CHECK(st == HYPERCLIENT_SUCCESS, "get %s: status %d", key, (int)st);
    if (st != HYPERCLIENT_SUCCESS) return;
    CHECK(n == 3, "get %s: %zu attributes", key, n);
    CHECK(str_is(find(attrs, n, "first"), first), "get %s: first", key);
    CHECK(str_is(find(attrs, n, "last"), last), "get %s: last", key);
    const struct hyperclient_attribute* p = find(attrs, n, "phone");
    CHECK(p && p->datatype == HYPERDATATYPE_INT64 && p->value_sz == 8 && int_of(p) == phone,
          "get %s: phone %" PRId64 " expected %" PRId64, key, p ? int_of(p) : -1, phone);
    hyperclient_destroy_attrs(attrs, n);
}

/* ---- search ---- */

enum
{
    SEARCH_MAX = 2048
};
static struct hyperclient_attribute* sres[SEARCH_MAX];
static size_t sres_n[SEARCH_MAX];
static int sres_count;

static void
search_clear(void)
{
    for (int i = 0; i < sres_count; i++) hyperclient_destroy_attrs(sres[i], sres_n[i]);
    sres_count = 0;
}

/* Runs a search to its end, keeping the objects in sres. The final status (SEARCHDONE when all
 * went well), or the refusal's status with *id_out the negative return. */
static enum hyperclient_returncode
do_search(struct hyperclient* c, const struct hyperclient_attribute* eq, size_t eq_sz,
          const struct hyperclient_range_query* rn, size_t rn_sz, int64_t* id_out)
{
    search_clear();
    enum hyperclient_returncode st = HYPERCLIENT_ZERO, ls;
    struct hyperclient_attribute* attrs = NULL;
    size_t n = 0;
    int64_t id = hyperclient_search(c, SPACE, eq, eq_sz, rn, rn_sz, &st, &attrs, &n);
    if (id_out) *id_out = id;
    if (id < 0) return st;
    for (;;)
    {
        int64_t got = hyperclient_loop(c, 10000, &ls);
        if (got != id)
        {
            fprintf(stderr, "search loop returned %" PRId64 " (loop status %d), want %" PRId64 "\n", got, (int)ls, id);
            return HYPERCLIENT_LOGICERROR;
        }
        if (st != HYPERCLIENT_SUCCESS) return st;
        if (sres_count < SEARCH_MAX)
        {
            sres[sres_count] = attrs;
            sres_n[sres_count] = n;
            sres_count++;
        }
        else
            hyperclient_destroy_attrs(attrs, n);
        attrs = NULL;
        n = 0;
        st = HYPERCLIENT_ZERO;
    }
}

/* The result whose key (the first attribute, "username") is `key`, or NULL. */
static const struct hyperclient_attribute*
sres_find(const char* key)
{
    for (int i = 0; i < sres_count; i++)
        if (sres_n[i] > 0 && strcmp(sres[i][0].attr, "username") == 0 && str_is(&sres[i][0], key)) return sres[i];
    return NULL;
}

static int
sres_is_person(const char* key, const char* first, const char* last, int64_t phone)
{
    const struct hyperclient_attribute* a = sres_find(key);
    if (!a) return 0;
    size_t n = 0;
    for (int i = 0; i < sres_count; i++)
        if (sres[i] == a) n = sres_n[i];
    const struct hyperclient_attribute* p = find(a, n, "phone");
    return n == 4 && str_is(find(a, n, "first"), first) && str_is(find(a, n, "last"), last) && p &&
           p->datatype == HYPERDATATYPE_INT64 && p->value_sz == 8 && int_of(p) == phone;
}

static void
searches(struct hyperclient* c)
{
    char b1[8];
    int64_t id;
    enum hyperclient_returncode st, ls;

    /* a second John (manual 3.4's searches) */
    struct hyperclient_attribute jd[3] = {str_attr("first", "John"), str_attr("last", "Doe"),
                                          int_attr("phone", 6075557878LL, b1)};
    st = do_put(c, "jdoe", jd, 3);
    CHECK(st == HYPERCLIENT_SUCCESS, "put jdoe: %d", (int)st);

    struct hyperclient_attribute john[1] = {str_attr("first", "John")};
    st = do_search(c, john, 1, NULL, 0, &id);
    CHECK(id > 0 && st == HYPERCLIENT_SEARCHDONE, "search first=John: %" PRId64 " %d", id, (int)st);
    CHECK(sres_count == 2, "search first=John: %d results", sres_count);
    CHECK(sres_is_person("jsmith1", "John", "Smith", 6075551024LL), "search first=John: jsmith1");
    CHECK(sres_is_person("jdoe", "John", "Doe", 6075557878LL), "search first=John: jdoe");
    CHECK(sres_count > 0 && sres[0][0].datatype == HYPERDATATYPE_STRING && strcmp(sres[0][0].attr, "username") == 0,
          "search: the key comes first");

    struct hyperclient_attribute smith[1] = {str_attr("last", "Smith")};
    st = do_search(c, smith, 1, NULL, 0, &id);
    CHECK(st == HYPERCLIENT_SEARCHDONE && sres_count == 1 && sres_is_person("jsmith1", "John", "Smith", 6075551024LL),
          "search last=Smith: %d, %d results", (int)st, sres_count);

    char b2[8];
    struct hyperclient_attribute phone[1] = {int_attr("phone", 6075557878LL, b2)};
    st = do_search(c, phone, 1, NULL, 0, &id);
    CHECK(st == HYPERCLIENT_SEARCHDONE && sres_count == 1 && sres_is_person("jdoe", "John", "Doe", 6075557878LL),
          "search phone=6075557878: %d, %d results", (int)st, sres_count);

    char b3[8];
    struct hyperclient_attribute all3[3] = {str_attr("first", "John"), str_attr("last", "Smith"),
                                            int_attr("phone", 6075551024LL, b3)};
    st = do_search(c, all3, 3, NULL, 0, &id);
    CHECK(st == HYPERCLIENT_SEARCHDONE && sres_count == 1 && sres_is_person("jsmith1", "John", "Smith", 6075551024LL),
          "search all three: %d, %d results", (int)st, sres_count);
    all3[2] = int_attr("phone", 6075551025LL, b3);
    st = do_search(c, all3, 3, NULL, 0, &id);
    CHECK(st == HYPERCLIENT_SEARCHDONE && sres_count == 0, "search all three, other phone: %d, %d results", (int)st,
          sres_count);

    /* ranges: lower inclusive, upper exclusive */
    struct hyperclient_range_query pr[1] = {{"phone", (uint64_t)6075550000LL, (uint64_t)6075560000LL}};
    st = do_search(c, NULL, 0, pr, 1, &id);
    CHECK(st == HYPERCLIENT_SEARCHDONE && sres_count == 2 && sres_find("jsmith1") && sres_find("jdoe"),
          "search phone range: %d, %d results", (int)st, sres_count);
    pr[0].lower = (uint64_t)6075551024LL;
    pr[0].upper = (uint64_t)6075557878LL;
    st = do_search(c, NULL, 0, pr, 1, &id);
    CHECK(st == HYPERCLIENT_SEARCHDONE && sres_count == 1 && sres_find("jsmith1"),
          "search phone range [1024, 7878): %d, %d results", (int)st, sres_count);
    pr[0].lower = (uint64_t)(int64_t)-10;
    pr[0].upper = 3;
    st = do_search(c, NULL, 0, pr, 1, &id);
    CHECK(st == HYPERCLIENT_SEARCHDONE && sres_count == 3 && sres_find("bulk0") && sres_find("bulk2") && !sres_find("bulk3"),
          "search phone range [-10, 3): %d, %d results", (int)st, sres_count);

    /* the 1,000 bulk objects: spread over every region of the subspace, so every daemon */
    pr[0].lower = 0;
    pr[0].upper = 1000;
    st = do_search(c, NULL, 0, pr, 1, &id);
    int good = 0;
    static char seen[1000];
    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < sres_count; i++)
    {
        const struct hyperclient_attribute* p = find(sres[i], sres_n[i], "phone");
        char key[16], first[16];
        int64_t v = p ? int_of(p) : -1;
        if (v < 0 || v >= 1000 || seen[v]) continue;
        snprintf(key, sizeof(key), "bulk%d", (int)v);
        snprintf(first, sizeof(first), "F%d", (int)v);
        if (sres_n[i] == 4 && str_is(&sres[i][0], key) && str_is(find(sres[i], sres_n[i], "first"), first))
        {
            seen[v] = 1;
            good++;
        }
    }
    CHECK(st == HYPERCLIENT_SEARCHDONE && sres_count == 1000 && good == 1000, "search phone [0, 1000): %d, %d results, %d right",
          (int)st, sres_count, good);

    /* nothing matches: only SEARCHDONE */
    struct hyperclient_range_query pr2[1] = {{"phone", 0, 1000}};
    st = do_search(c, john, 1, pr2, 1, &id);
    CHECK(id > 0 && st == HYPERCLIENT_SEARCHDONE && sres_count == 0, "search John with phone < 1000: %d, %d", (int)st,
          sres_count);
    struct hyperclient_attribute two_firsts[2] = {str_attr("first", "John"), str_attr("first", "Jim")};
    st = do_search(c, two_firsts, 2, NULL, 0, &id);
    CHECK(id > 0 && st == HYPERCLIENT_SEARCHDONE && sres_count == 0, "search John and Jim: %d, %d", (int)st, sres_count);

    /* two searches at once */
    {
        enum hyperclient_returncode s1 = HYPERCLIENT_ZERO, s2 = HYPERCLIENT_ZERO;
        struct hyperclient_attribute *a1 = NULL, *a2 = NULL;
        size_t n1 = 0, n2 = 0;
        int64_t i1 = hyperclient_search(c, SPACE, john, 1, NULL, 0, &s1, &a1, &n1);
        int64_t i2 = hyperclient_search(c, SPACE, NULL, 0, pr2, 1, &s2, &a2, &n2);
        int r1 = 0, r2 = 0, d1 = 0, d2 = 0, bad = 0;
        while (!(d1 && d2))
        {
            int64_t got = hyperclient_loop(c, 10000, &ls);
            if (got == i1 && !d1)
            {
                if (s1 == HYPERCLIENT_SUCCESS) { r1++; hyperclient_destroy_attrs(a1, n1); }
                else if (s1 == HYPERCLIENT_SEARCHDONE) d1 = 1;
                else { bad++; d1 = 1; }
            }
            else if (got == i2 && !d2)
            {
                if (s2 == HYPERCLIENT_SUCCESS) { r2++; hyperclient_destroy_attrs(a2, n2); }
                else if (s2 == HYPERCLIENT_SEARCHDONE) d2 = 1;
                else { bad++; d2 = 1; }
            }
            else { bad++; break; }
        }
        CHECK(i1 > 0 && i2 > 0 && i1 != i2 && r1 == 2 && r2 == 1000 && !bad, "two searches at once: %d and %d results, %d bad",
              r1, r2, bad);
    }

    /* refusals: -1 - idx over eq then rn */
    struct hyperclient_attribute bykey[1] = {str_attr("username", "jsmith1")};
    st = do_search(c, bykey, 1, NULL, 0, &id);
    CHECK(id < 0 && st == HYPERCLIENT_DONTUSEKEY, "search by key: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute john_key[2] = {str_attr("first", "John"), str_attr("username", "jsmith1")};
    st = do_search(c, john_key, 2, NULL, 0, &id);
    CHECK(id < 0 && st == HYPERCLIENT_DONTUSEKEY, "search with the key: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute noattr[2] = {str_attr("first", "John"), str_attr("nosuch", "x")};
    st = do_search(c, noattr, 2, NULL, 0, &id);
    CHECK(id == -2 && st == HYPERCLIENT_UNKNOWNATTR, "search unknown eq: %" PRId64 " %d", id, (int)st);
    struct hyperclient_range_query rbad[2] = {{"phone", 0, 10}, {"nosuch", 0, 10}};
    st = do_search(c, john, 1, rbad, 2, &id);
    CHECK(id == -3 && st == HYPERCLIENT_UNKNOWNATTR, "search unknown rn: %" PRId64 " %d", id, (int)st);
    struct hyperclient_range_query rstr[1] = {{"last", 0, 10}};
    st = do_search(c, john, 1, rstr, 1, &id);
    CHECK(id == -2 && st == HYPERCLIENT_WRONGTYPE, "search range on a string: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute wrongt[2] = {str_attr("first", "John"), str_attr("phone", "12")};
    st = do_search(c, wrongt, 2, NULL, 0, &id);
    CHECK(id == -2 && st == HYPERCLIENT_WRONGTYPE, "search wrong type: %" PRId64 " %d", id, (int)st);
    enum hyperclient_returncode st2 = HYPERCLIENT_ZERO;
    struct hyperclient_attribute* a = NULL;
    size_t an = 0;
    id = hyperclient_search(c, "nospace", john, 1, NULL, 0, &st2, &a, &an);
    CHECK(id == -1 && st2 == HYPERCLIENT_UNKNOWNSPACE, "search unknown space: %" PRId64 " %d", id, (int)st2);
    CHECK(hyperclient_loop(c, 100, &ls) == -1 && ls == HYPERCLIENT_NONEPENDING, "loop after searches: %d", (int)ls);
    search_clear();
}

/* `test_client HOST PORT faults`: TIMEOUT while the daemon is stopped (SIGSTOP); the get outstanding
 * when it dies (SIGKILL) is sent again, as a read may be, until the bounded tries give up: the daemon
 * refuses the connection (CONNECTFAIL) or the coordinator has taken it out (RECONFIGURE). */
static int
faults(struct hyperclient* c)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO, ls = HYPERCLIENT_ZERO;
    struct hyperclient_attribute* attrs = NULL;
    size_t n = 0;
    char b[8];
    struct hyperclient_attribute a[1] = {int_attr("phone", 1, b)};
    CHECK(do_put(c, "f", a, 1) == HYPERCLIENT_SUCCESS, "put f");
    handshake("READY stop");
    int64_t id = hyperclient_get(c, SPACE, "f", 1, &st, &attrs, &n);
    CHECK(id > 0, "get while stopped: %" PRId64 " %d", id, (int)st);
    int64_t got = hyperclient_loop(c, 300, &ls);
    CHECK(got == -1 && ls == HYPERCLIENT_TIMEOUT, "loop while stopped: %" PRId64 " %d", got, (int)ls);
    handshake("READY kill");
    got = hyperclient_loop(c, 10000, &ls);
    CHECK(got == id && (st == HYPERCLIENT_CONNECTFAIL || st == HYPERCLIENT_RECONFIGURE) && attrs == NULL,
          "loop after the kill: %" PRId64 " (want %" PRId64 ") status %d loop status %d", got, id, (int)st, (int)ls);
    got = hyperclient_loop(c, 100, &ls);
    CHECK(got == -1 && ls == HYPERCLIENT_NONEPENDING, "then nothing pending: %" PRId64 " %d", got, (int)ls);
    hyperclient_destroy(c);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

int
main(int argc, char** argv)
{
    if (argc != 3 && !(argc == 4 && strcmp(argv[3], "faults") == 0))
    {
        fprintf(stderr, "usage: %s HOST PORT [faults]\n", argv[0]);
        return 2;
    }
    struct hyperclient* c = hyperclient_create(argv[1], (in_port_t)atoi(argv[2]));
    CHECK(c != NULL, "hyperclient_create(%s, %s)", argv[1], argv[2]);
    if (!c)
    {
        printf("%d passed, %d failed\n", passed, failed);
        return 1;
    }
    if (argc == 4) return faults(c);
    enum hyperclient_returncode st, ls;
    char b1[8], b2[8];

    /* nothing outstanding */
    CHECK(hyperclient_loop(c, 100, &ls) == -1 && ls == HYPERCLIENT_NONEPENDING, "loop: status %d", (int)ls);

    /* manual 3.4 */
    struct hyperclient_attribute js[3] = {str_attr("first", "John"), str_attr("last", "Smith"),
                                          int_attr("phone", 6075551024LL, b1)};
    st = do_put(c, "jsmith1", js, 3);
    CHECK(st == HYPERCLIENT_SUCCESS, "put jsmith1: %d", (int)st);
    check_person(c, "jsmith1", "John", "Smith", 6075551024LL);

    struct hyperclient_attribute jd[3] = {str_attr("first", "John"), str_attr("last", "Doe"),
                                          int_attr("phone", 6075557878LL, b1)};
    st = do_put(c, "jd", jd, 3);
    CHECK(st == HYPERCLIENT_SUCCESS, "put jd: %d", (int)st);
    check_person(c, "jd", "John", "Doe", 6075557878LL);
    st = do_del(c, "jd");
    CHECK(st == HYPERCLIENT_SUCCESS, "del jd: %d", (int)st);
    struct hyperclient_attribute* attrs = NULL;
    size_t n = 0;
    st = do_get(c, "jd", &attrs, &n);
    CHECK(st == HYPERCLIENT_NOTFOUND && attrs == NULL && n == 0, "get jd after del: %d", (int)st);
    st = do_del(c, "jd");
    CHECK(st == HYPERCLIENT_NOTFOUND, "del jd again: %d", (int)st);

    struct hyperclient_attribute ph[1] = {int_attr("phone", 6075552048LL, b1)};
    st = do_put(c, "jsmith1", ph, 1);
    CHECK(st == HYPERCLIENT_SUCCESS, "put jsmith1 phone: %d", (int)st);
    check_person(c, "jsmith1", "John", "Smith", 6075552048LL);

    /* manual 3.6: condput succeeds once, then fails */
    struct hyperclient_attribute cond[1] = {int_attr("phone", 6075552048LL, b1)};
    struct hyperclient_attribute upd[1] = {int_attr("phone", 6075551024LL, b2)};
    st = do_condput(c, "jsmith1", cond, 1, upd, 1);
    CHECK(st == HYPERCLIENT_SUCCESS, "condput: %d", (int)st);
    check_person(c, "jsmith1", "John", "Smith", 6075551024LL);
    st = do_condput(c, "jsmith1", cond, 1, upd, 1);
    CHECK(st == HYPERCLIENT_CMPFAIL, "condput again: %d", (int)st);
    st = do_condput(c, "nobody", cond, 1, upd, 1);
    CHECK(st == HYPERCLIENT_NOTFOUND, "condput of an absent key: %d", (int)st);

    /* int64 shorter than 8 bytes: widened */
    char two[2] = {0x39, 0x05};
    struct hyperclient_attribute shortv[2] = {str_attr("first", "Short"), {"phone", two, 2, HYPERDATATYPE_INT64}};
    st = do_put(c, "short", shortv, 2);
    CHECK(st == HYPERCLIENT_SUCCESS, "put short: %d", (int)st);
    check_person(c, "short", "Short", "", 1337);

    /* refusals before sending: -1 - idx */
    int64_t id;
    struct hyperclient_attribute bad[2] = {str_attr("first", "X"), str_attr("nosuch", "Y")};
    st = HYPERCLIENT_ZERO;
    id = hyperclient_put(c, SPACE, "jsmith1", 7, bad, 2, &st);
    CHECK(id == -2 && st == HYPERCLIENT_UNKNOWNATTR, "put unknown attr: %" PRId64 " %d", id, (int)st);
    st = HYPERCLIENT_ZERO;
    id = hyperclient_condput(c, SPACE, "jsmith1", 7, cond, 1, bad, 2, &st);
    CHECK(id == -3 && st == HYPERCLIENT_UNKNOWNATTR, "condput unknown attr: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute key_as_attr[1] = {str_attr("username", "x")};
    st = HYPERCLIENT_ZERO;
    id = hyperclient_put(c, SPACE, "jsmith1", 7, key_as_attr, 1, &st);
    CHECK(id == -1 && st == HYPERCLIENT_UNKNOWNATTR, "put of the key: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute wrong[2] = {str_attr("first", "X"), str_attr("phone", "12")};
    st = HYPERCLIENT_ZERO;
    id = hyperclient_put(c, SPACE, "jsmith1", 7, wrong, 2, &st);
    CHECK(id == -2 && st == HYPERCLIENT_WRONGTYPE, "put wrong type: %" PRId64 " %d", id, (int)st);
    struct hyperclient_attribute dupe[3] = {str_attr("first", "X"), str_attr("last", "Y"), str_attr("first", "Z")};
    st = HYPERCLIENT_ZERO;
    id = hyperclient_put(c, SPACE, "jsmith1", 7, dupe, 3, &st);
    CHECK(id == -3 && st == HYPERCLIENT_DUPEATTR, "put dupe: %" PRId64 " %d", id, (int)st);
    st = HYPERCLIENT_ZERO;
    id = hyperclient_get(c, "nospace", "k", 1, &st, &attrs, &n);
    CHECK(id == -1 && st == HYPERCLIENT_UNKNOWNSPACE, "get in unknown space: %" PRId64 " %d", id, (int)st);
    st = HYPERCLIENT_ZERO;
    id = hyperclient_put(c, "nospace", "k", 1, js, 3, &st);
    CHECK(id == -1 && st == HYPERCLIENT_UNKNOWNSPACE, "put in unknown space: %" PRId64 " %d", id, (int)st);
    CHECK(hyperclient_loop(c, 100, &ls) == -1 && ls == HYPERCLIENT_NONEPENDING, "loop after refusals: %d", (int)ls);

    /* 1,000 puts outstanding before looping */
    enum
    {
        BULK = 1000
    };
    static enum hyperclient_returncode bst[BULK];
    static int64_t bid[BULK];
    static char bphone[BULK][8];
    static char bkey[BULK][16];
    static char bfirst[BULK][16];
    int sent = 1;
    for (int i = 0; i < BULK; i++)
    {
        snprintf(bkey[i], sizeof(bkey[i]), "bulk%d", i);
        snprintf(bfirst[i], sizeof(bfirst[i]), "F%d", i);
        struct hyperclient_attribute a[2] = {str_attr("first", bfirst[i]), int_attr("phone", i, bphone[i])};
        bst[i] = HYPERCLIENT_ZERO;
        bid[i] = hyperclient_put(c, SPACE, bkey[i], strlen(bkey[i]), a, 2, &bst[i]);
        if (bid[i] <= 0) sent = 0;
    }
    CHECK(sent, "1000 puts: every call returned an id");
    int seen = 0, ok = 0, strays = 0;
    for (;;)
    {
        int64_t got = hyperclient_loop(c, 10000, &ls);
        if (got < 0)
        {
            CHECK(ls == HYPERCLIENT_NONEPENDING, "bulk loop ended with %d", (int)ls);
            break;
        }
        int found = 0;
        for (int i = 0; i < BULK; i++)
            if (bid[i] == got)
            {
                found = 1;
                seen++;
                if (bst[i] == HYPERCLIENT_SUCCESS) ok++;
                bid[i] = 0;
                break;
            }
        if (!found) strays++;
    }
    CHECK(seen == BULK && ok == BULK && strays == 0, "bulk: %d returned, %d SUCCESS, %d strays", seen, ok, strays);
    check_person(c, "bulk0", "F0", "", 0);
    check_person(c, "bulk999", "F999", "", 999);

    searches(c);

    hyperclient_destroy(c);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
