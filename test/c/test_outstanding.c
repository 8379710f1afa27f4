/* 10,000 operations outstanding on one client before the first hyperclient_loop: `test_outstanding
 * HOST PORT`. Makes the space "outstanding" (8 regions), sends 10,000 puts, then 10,000 gets, then
 * 10,000 deletes, each batch in full before looping; every id must come back exactly once with the
 * right status and object, then NONEPENDING. Prints the time each batch took ("batch: N ms").
 * Run by test/c-programs.test.ts, which records the times. */
#include "harness.h"

enum
{
    OPS = 10000
};

static struct hyperclient* C;
static int64_t ids[OPS];
static enum hyperclient_returncode sts[OPS];
static struct hyperclient_attribute* objs[OPS];
static size_t objs_n[OPS];
static char keys[OPS][16];
static char vals[OPS][8];

/* The index of the operation with this id: ids are increasing in issue order, so a binary search. */
static int
index_of(int64_t id)
{
    int lo = 0, hi = OPS - 1;
    while (lo <= hi)
    {
        int mid = lo + (hi - lo) / 2;
        if (ids[mid] == id) return mid;
        if (ids[mid] < id) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

/* Loops until NONEPENDING (bounded in rounds and time); counts the ids that come back. */
static void
collect(const char* what, enum hyperclient_returncode want, int64_t t0)
{
    static char seen[OPS];
    memset(seen, 0, sizeof(seen));
    int back = 0, right = 0, dupes = 0, strays = 0;
    enum hyperclient_returncode ls = HYPERCLIENT_ZERO;
    int64_t deadline = now_ms() + 120000;
    for (int rounds = 0; rounds < 2 * OPS + 10 && now_ms() < deadline; rounds++)
    {
        int64_t got = hyperclient_loop(C, WAIT_MS, &ls);
        if (got < 0) break;
        int i = index_of(got);
        if (i < 0) { strays++; continue; }
        if (seen[i]) { dupes++; continue; }
        seen[i] = 1;
        back++;
        if (sts[i] == want) right++;
        else if (right + 5 > back) fprintf(stderr, "%s %s: status %d\n", what, keys[i], (int)sts[i]);
    }
    int64_t ms = now_ms() - t0;
    CHECK(ls == HYPERCLIENT_NONEPENDING, "%s: the loop ended with %d", what, (int)ls);
    CHECK(back == OPS && right == OPS && dupes == 0 && strays == 0, "%s: %d back, %d right, %d twice, %d strays", what,
          back, right, dupes, strays);
    printf("%s: %d operations outstanding, all back in %" PRId64 " ms\n", what, OPS, ms);
    fflush(stdout);
}

int
main(int argc, char** argv)
{
    C = connect_or_exit(argc, argv, "HOST PORT");
    add_space_or_exit(C, "space outstanding key k attributes int v, string s subspace v create 8 partitions tolerate 0 failures");

    int64_t t0 = now_ms();
    int sent = 0, increasing = 1;
    for (int i = 0; i < OPS; i++)
    {
        snprintf(keys[i], sizeof(keys[i]), "o%d", i);
        struct hyperclient_attribute a[2] = {int_attr("v", i, vals[i]), str_attr("s", keys[i])};
        sts[i] = HYPERCLIENT_ZERO;
        ids[i] = hyperclient_put(C, "outstanding", keys[i], strlen(keys[i]), a, 2, &sts[i]);
        if (ids[i] > 0) sent++;
        if (i && ids[i] <= ids[i - 1]) increasing = 0;
    }
    CHECK(sent == OPS && increasing, "puts: %d of %d calls returned an id, increasing: %d", sent, OPS, increasing);
    if (!increasing) return report();
    collect("puts", HYPERCLIENT_SUCCESS, t0);

    t0 = now_ms();
    sent = 0;
    for (int i = 0; i < OPS; i++)
    {
        sts[i] = HYPERCLIENT_ZERO;
        objs[i] = NULL;
        objs_n[i] = 0;
        ids[i] = hyperclient_get(C, "outstanding", keys[i], strlen(keys[i]), &sts[i], &objs[i], &objs_n[i]);
        if (ids[i] > 0) sent++;
        if (i && ids[i] <= ids[i - 1]) increasing = 0;
    }
    CHECK(sent == OPS && increasing, "gets: %d of %d calls returned an id", sent, OPS);
    if (!increasing) return report();
    collect("gets", HYPERCLIENT_SUCCESS, t0);
    int good = 0;
    for (int i = 0; i < OPS; i++)
    {
        if (int_is(find(objs[i], objs_n[i], "v"), i) && str_is(find(objs[i], objs_n[i], "s"), keys[i])) good++;
        hyperclient_destroy_attrs(objs[i], objs_n[i]);
    }
    CHECK(good == OPS, "gets: %d of %d objects right", good, OPS);

    t0 = now_ms();
    sent = 0;
    for (int i = 0; i < OPS; i++)
    {
        sts[i] = HYPERCLIENT_ZERO;
        ids[i] = hyperclient_del(C, "outstanding", keys[i], strlen(keys[i]), &sts[i]);
        if (ids[i] > 0) sent++;
        if (i && ids[i] <= ids[i - 1]) increasing = 0;
    }
    CHECK(sent == OPS && increasing, "dels: %d of %d calls returned an id", sent, OPS);
    if (!increasing) return report();
    collect("dels", HYPERCLIENT_SUCCESS, t0);

    uint64_t n = UINT64_MAX;
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_count(C, "outstanding", NULL, 0, &st, &n);
    CHECK(wait_for(C, id, &st) == HYPERCLIENT_SUCCESS && n == 0, "count after the deletes: %d, %" PRIu64, (int)st, n);
    enum hyperclient_returncode ls = HYPERCLIENT_ZERO;
    CHECK(hyperclient_loop(C, 100, &ls) == -1 && ls == HYPERCLIENT_NONEPENDING, "NONEPENDING at the end: %d", (int)ls);
    hyperclient_destroy(C);
    return report();
}
