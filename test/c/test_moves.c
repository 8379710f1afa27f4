/* libhyperclient while regions move: test_moves HOST PORT.
 *
 * The space `moving` (key k, int n, string g, a subspace on g) must exist, with daemons to be
 * added while this runs. The program loads KEYS objects, prints "loaded", then keeps WINDOW
 * operations in flight (puts that change n, gets, counts and searches by g; never two at once on
 * one key) until it reads "settled" on stdin (or RUN_MS_MAX passes). The daemons the test starts
 * meanwhile take regions over by state transfer, so daemons answer RECONFIGURE and the library
 * must resend under the next configuration.
 *
 * Checked all along: a get returns the last acknowledged n; a count returns KEYS; a search by g
 * returns every object of that group once (n is on no axis and g never changes, so nothing moves
 * between regions of the subspace). A write that fails (only RECONFIGURE or TIMEOUT are allowed,
 * when the moves outlast the library's resends) leaves its key unknown; such failures are
 * reported, not counted as wrong. Once settled: every known key reads back, counts and searches
 * are exact. Prints "N passed, M failed"; exits 1 on any failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hyperclient.h"

#define KEYS 5000
#define GROUPS 10
#define WINDOW 64
#define RUN_MS_MAX 90000
#define LOOP_MS 10000
#define SPACE "moving"

enum kind
{
    FREE = 0,
    PUT,
    GET,
    COUNT,
    SEARCH
};

struct slot
{
    enum kind kind;
    int64_t id;
    int key;
    int64_t n;
    enum hyperclient_returncode st;
    struct hyperclient_attribute* attrs;
    size_t attrs_sz;
    uint64_t count;
    int group;
    unsigned char seen[KEYS];
};

static struct hyperclient* client;
static int64_t acked[KEYS];
static char unknown[KEYS];
static char busy[KEYS];
static struct slot slots[WINDOW];
static size_t passed, failed, tolerated;
static size_t by_status[64];
static int strict; /* once settled, nothing may fail */
static unsigned long long rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t
rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
check(int ok, const char* what, long long a, long long b)
{
    if (ok)
    {
        passed++;
        return;
    }
    failed++;
    if (failed <= 20) printf("FAIL %s (%lld, %lld)\n", what, a, b);
}

static int
key_name(int i, char* out)
{
    return snprintf(out, 16, "k%05d", i);
}

static int
group_of(int key)
{
    return key % GROUPS;
}

static int64_t
read_le64(const char* p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static int64_t
start_put(struct slot* s, int key, int64_t n)
{
    char k[16];
    int kn = key_name(key, k);
    char g[8];
    int gn = snprintf(g, sizeof(g), "g%d", group_of(key));
    struct hyperclient_attribute attrs[] = {
        {"n", (const char*)&n, 8, HYPERDATATYPE_INT64},
        {"g", g, (size_t)gn, HYPERDATATYPE_STRING},
    };
    s->kind = PUT;
    s->key = key;
    s->n = n;
    return hyperclient_put(client, SPACE, k, (size_t)kn, attrs, 2, &s->st);
}

static int64_t
start_get(struct slot* s, int key)
{
    char k[16];
    int kn = key_name(key, k);
    s->kind = GET;
    s->key = key;
    s->attrs = NULL;
    return hyperclient_get(client, SPACE, k, (size_t)kn, &s->st, &s->attrs, &s->attrs_sz);
}

static int64_t
start_count(struct slot* s)
{
    s->kind = COUNT;
    s->count = 0;
    return hyperclient_count(client, SPACE, NULL, 0, &s->st, &s->count);
}

static int64_t
start_search(struct slot* s, int group)
{
    char g[8];
    int gn = snprintf(g, sizeof(g), "g%d", group);
    struct hyperclient_attribute eq = {"g", g, (size_t)gn, HYPERDATATYPE_STRING};
    s->kind = SEARCH;
    s->group = group;
    s->count = 0;
    s->attrs = NULL;
    memset(s->seen, 0, sizeof(s->seen));
    return hyperclient_search(client, SPACE, &eq, 1, NULL, 0, &s->st, &s->attrs, &s->attrs_sz);
}

static int
tolerable(enum hyperclient_returncode st)
{
    return !strict && (st == HYPERCLIENT_RECONFIGURE || st == HYPERCLIENT_TIMEOUT);
}

static void
note_status(enum hyperclient_returncode st)
{
    by_status[((unsigned)st) % 64]++;
}

/* Handles what loop handed back for slot s. Returns 1 when the slot is free again. */
static int
finish(struct slot* s)
{
    switch (s->kind)
    {
        case PUT:
            note_status(s->st);
            if (s->st == HYPERCLIENT_SUCCESS)
                acked[s->key] = s->n;
            else
            {
                check(tolerable(s->st), "a put failed with an unexpected status", s->key, s->st);
                tolerated++;
                unknown[s->key] = 1;
            }
            busy[s->key] = 0;
            return 1;
        case GET:
            note_status(s->st);
            if (s->st == HYPERCLIENT_SUCCESS)
            {
                int64_t n = -1;
                for (size_t i = 0; i < s->attrs_sz; i++)
                    if (strcmp(s->attrs[i].attr, "n") == 0 && s->attrs[i].value_sz == 8) n = read_le64(s->attrs[i].value);
                if (!unknown[s->key]) check(n == acked[s->key], "a get returned another n", s->key, n);
                hyperclient_destroy_attrs(s->attrs, s->attrs_sz);
            }
            else
            {
                check(tolerable(s->st), "a get failed with an unexpected status", s->key, s->st);
                tolerated++;
            }
            busy[s->key] = 0;
            return 1;
        case COUNT:
            note_status(s->st);
            if (s->st == HYPERCLIENT_SUCCESS)
                check(s->count == KEYS, "count({}) is not the number of objects", (long long)s->count, KEYS);
            else
            {
                check(tolerable(s->st), "a count failed with an unexpected status", s->st, 0);
                tolerated++;
            }
            return 1;
        case SEARCH:
            if (s->st == HYPERCLIENT_SUCCESS)
            {
                int key = s->attrs_sz ? atoi(s->attrs[0].value + 1) : -1;
                check(key >= 0 && key < KEYS && group_of(key) == s->group && !s->seen[key],
                      "a search returned a wrong or repeated object", key, s->group);
                if (key >= 0 && key < KEYS) s->seen[key] = 1;
                s->count++;
                hyperclient_destroy_attrs(s->attrs, s->attrs_sz);
                s->attrs = NULL;
                return 0;
            }
            note_status(s->st);
            if (s->st == HYPERCLIENT_SEARCHDONE)
                check(s->count == KEYS / GROUPS, "a search missed objects", (long long)s->count, KEYS / GROUPS);
            else
            {
                check(tolerable(s->st), "a search failed with an unexpected status", s->st, 0);
                tolerated++;
            }
            return 1;
        case FREE:
            break;
    }
    return 1;
}

/* Waits for one completion and handles it. 0, or -1 when loop failed. */
static int
step(void)
{
    enum hyperclient_returncode ls;
    int64_t id = hyperclient_loop(client, LOOP_MS, &ls);
    if (id < 0)
    {
        check(0, "hyperclient_loop failed", ls, 0);
        return -1;
    }
    for (size_t i = 0; i < WINDOW; i++)
        if (slots[i].kind != FREE && slots[i].id == id)
        {
            if (finish(&slots[i])) slots[i].kind = FREE;
            return 0;
        }
    check(0, "loop returned an id nobody started", id, 0);
    return 0;
}

static size_t
in_flight(void)
{
    size_t n = 0;
    for (size_t i = 0; i < WINDOW; i++) n += slots[i].kind != FREE;
    return n;
}

static void
start_in(struct slot* s, int64_t id)
{
    if (id < 0)
    {
        check(0, "a call failed at once", id, s->st);
        if (s->kind == PUT || s->kind == GET) busy[s->key] = 0;
        s->kind = FREE;
        return;
    }
    s->id = id;
}

static int
settled_said(void)
{
    struct pollfd p = {0, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return 0;
    char line[64];
    if (!fgets(line, sizeof(line), stdin)) return 1; /* stdin closed: stop as well */
    return strncmp(line, "settled", 7) == 0;
}

int
main(int argc, char** argv)
{
    if (argc != 3)
    {
        fprintf(stderr, "usage: test_moves HOST PORT\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    client = hyperclient_create(argv[1], (in_port_t)atoi(argv[2]));
    if (!client)
    {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    /* load */
    for (int next = 0; next < KEYS || in_flight();)
    {
        if (next < KEYS && in_flight() < WINDOW)
        {
            for (size_t i = 0; i < WINDOW; i++)
                if (slots[i].kind == FREE)
                {
                    busy[next] = 1;
                    start_in(&slots[i], start_put(&slots[i], next, 0));
                    break;
                }
            next++;
            continue;
        }
        if (step()) break;
    }
    for (int i = 0; i < KEYS; i++) check(!unknown[i], "the load failed for a key", i, 0);
    printf("loaded\n");

    /* under moves */
    int64_t until = now_ms() + RUN_MS_MAX;
    size_t ops = 0;
    int settled = 0;
    while (!settled && now_ms() < until && !failed)
    {
        settled = settled_said();
        while (in_flight() < WINDOW)
        {
            struct slot* s = NULL;
            for (size_t i = 0; i < WINDOW && !s; i++)
                if (slots[i].kind == FREE) s = &slots[i];
            int key = (int)(rnd() % KEYS);
            if (busy[key]) break;
            ops++;
            uint64_t r = rnd() % 100;
            if (r < 1)
                start_in(s, start_count(s));
            else if (r < 2)
                start_in(s, start_search(s, (int)(rnd() % GROUPS)));
            else
            {
                busy[key] = 1;
                start_in(s, r < 60 ? start_put(s, key, acked[key] + 1 + (int64_t)(rnd() % 1000)) : start_get(s, key));
            }
        }
        if (step()) break;
    }
    while (in_flight() && !step()) {}
    printf("under moves: %zu operations, %zu failed with RECONFIGURE or TIMEOUT (RECONFIGURE %zu, TIMEOUT %zu)\n",
           ops, tolerated, by_status[HYPERCLIENT_RECONFIGURE % 64], by_status[HYPERCLIENT_TIMEOUT % 64]);
    check(settled, "the test never said the moves had settled", 0, 0);

    /* settled: everything exact */
    strict = 1;
    size_t unknowns = 0;
    for (int key = 0; key < KEYS; key++)
    {
        unknowns += unknown[key];
        struct slot* s = &slots[0];
        start_in(s, start_get(s, key));
        if (s->kind != FREE && !step() && s->kind != FREE) check(0, "a get did not finish", key, 0);
        busy[key] = 0;
    }
    start_in(&slots[0], start_count(&slots[0]));
    if (slots[0].kind != FREE) step();
    for (int g = 0; g < GROUPS; g++)
    {
        start_in(&slots[0], start_search(&slots[0], g));
        for (int i = 0; i < KEYS + 1 && slots[0].kind != FREE; i++)
            if (step()) break;
    }
    printf("after: %zu keys unknown\n", unknowns);
    enum hyperclient_returncode ls;
    check(hyperclient_loop(client, 0, &ls) < 0 && ls == HYPERCLIENT_NONEPENDING, "NONEPENDING at the end", ls, 0);
    hyperclient_destroy(client);
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed ? 1 : 0;
}
