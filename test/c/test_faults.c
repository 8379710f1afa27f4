/* libhyperclient when its only daemon stops and dies: `test_faults HOST PORT`, driven by
 * test/c-programs.test.ts over stdin/stdout (it prints READY lines and waits for a line back):
 *   READY stop  the driver SIGSTOPs the daemon: a get is outstanding, loop returns TIMEOUT
 *   READY cont  the driver SIGCONTs it: the same get completes with SUCCESS
 *   READY stop  stopped again: 500 puts, a search and a count are sent and stay outstanding
 *   READY kill  the driver SIGKILLs it: every one of them comes back with a failure status (never
 *               SUCCESS, never a hang), each exactly once, then NONEPENDING: the puts, sent before
 *               the kill, with UNKNOWNOUTCOME; the search and the count after asking again until
 *               their bounded rounds give up. A new request then fails too, either at once or
 *               through loop. */
#include "harness.h"

enum
{
    PUTS = 500
};

int
main(int argc, char** argv)
{
    struct hyperclient* c = connect_or_exit(argc, argv, "HOST PORT");
    add_space_or_exit(c, "space faults key k attributes int v create 2 partitions tolerate 0 failures");
    char b[8];
    struct hyperclient_attribute one[1] = {int_attr("v", 1, b)};
    enum hyperclient_returncode st = HYPERCLIENT_ZERO, ls = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_put(c, "faults", "a", 1, one, 1, &st);
    CHECK(wait_for(c, id, &st) == HYPERCLIENT_SUCCESS, "put a: %d", (int)st);

    /* TIMEOUT: the daemon stopped; the get stays outstanding */
    handshake("READY stop");
    struct hyperclient_attribute* attrs = NULL;
    size_t n = 0;
    st = HYPERCLIENT_ZERO;
    id = hyperclient_get(c, "faults", "a", 1, &st, &attrs, &n);
    CHECK(id > 0, "get while stopped: %" PRId64 " %d", id, (int)st);
    int64_t t0 = now_ms();
    int64_t got = hyperclient_loop(c, 300, &ls);
    int64_t waited = now_ms() - t0;
    CHECK(got == -1 && ls == HYPERCLIENT_TIMEOUT && waited >= 250 && waited < 5000,
          "loop while stopped: %" PRId64 " status %d after %" PRId64 " ms", got, (int)ls, waited);
    got = hyperclient_loop(c, 0, &ls);
    CHECK(got == -1 && ls == HYPERCLIENT_TIMEOUT, "loop(0) while stopped: %" PRId64 " %d", got, (int)ls);

    /* the daemon goes on: the same get completes */
    handshake("READY cont");
    got = hyperclient_loop(c, WAIT_MS, &ls);
    CHECK(got == id && st == HYPERCLIENT_SUCCESS && int_is(find(attrs, n, "v"), 1),
          "the get after SIGCONT: %" PRId64 " (want %" PRId64 ") status %d", got, id, (int)st);
    hyperclient_destroy_attrs(attrs, n);
    attrs = NULL;
    n = 0;

    /* stopped again, with many operations outstanding, then killed */
    handshake("READY stop");
    static enum hyperclient_returncode sts[PUTS];
    static int64_t ids[PUTS];
    static char keys[PUTS][16], vals[PUTS][8];
    int sent = 0;
    for (int i = 0; i < PUTS; i++)
    {
        snprintf(keys[i], sizeof(keys[i]), "p%d", i);
        struct hyperclient_attribute a[1] = {int_attr("v", i, vals[i])};
        sts[i] = HYPERCLIENT_ZERO;
        ids[i] = hyperclient_put(c, "faults", keys[i], strlen(keys[i]), a, 1, &sts[i]);
        if (ids[i] > 0) sent++;
    }
    CHECK(sent == PUTS, "puts while stopped: %d of %d sent", sent, PUTS);
    enum hyperclient_returncode sst = HYPERCLIENT_ZERO, cst = HYPERCLIENT_ZERO;
    struct hyperclient_attribute* sattrs = NULL;
    size_t sn = 0;
    int64_t sid = hyperclient_search(c, "faults", NULL, 0, NULL, 0, &sst, &sattrs, &sn);
    uint64_t count = 0;
    int64_t cid = hyperclient_count(c, "faults", NULL, 0, &cst, &count);
    CHECK(sid > 0 && cid > 0, "search and count while stopped: %" PRId64 " %" PRId64, sid, cid);
    got = hyperclient_loop(c, 200, &ls);
    CHECK(got == -1 && ls == HYPERCLIENT_TIMEOUT, "loop with %d outstanding, stopped: %" PRId64 " %d", PUTS + 2, got, (int)ls);

    handshake("READY kill");
    static char seen[PUTS];
    int back = 0, failures = 0, dupes = 0, strays = 0, search_over = 0, search_objects = 0, count_back = 0;
    enum hyperclient_returncode search_end = HYPERCLIENT_ZERO, search_last = HYPERCLIENT_ZERO,
                                first_put = HYPERCLIENT_ZERO;
    int64_t deadline = now_ms() + 20000;
    t0 = now_ms();
    for (int rounds = 0; rounds < 4 * PUTS && now_ms() < deadline; rounds++)
    {
        got = hyperclient_loop(c, WAIT_MS, &ls);
        if (got < 0) break;
        if (got == sid)
        {
            if (sst == HYPERCLIENT_SUCCESS)
            {
                search_objects++;
                hyperclient_destroy_attrs(sattrs, sn);
                sattrs = NULL;
            }
            else
            {
                if (search_over++ == 0) search_end = sst;
                search_last = sst;
            }
            continue;
        }
        if (got == cid)
        {
            count_back++;
            continue;
        }
        int i = (int)(got - ids[0]);
        if (i < 0 || i >= PUTS || ids[i] != got)
        {
            strays++;
            continue;
        }
        if (seen[i]++)
        {
            dupes++;
            continue;
        }
        back++;
        if (first_put == HYPERCLIENT_ZERO) first_put = sts[i];
        if (sts[i] != HYPERCLIENT_SUCCESS && sts[i] != HYPERCLIENT_ZERO) failures++;
    }
    printf("after the kill: %d puts back in %" PRId64 " ms, first status %d\n", back, now_ms() - t0, (int)first_put);
    CHECK(ls == HYPERCLIENT_NONEPENDING, "the loop after the kill ended with %d", (int)ls);
    CHECK(back == PUTS && failures == PUTS && dupes == 0 && strays == 0,
          "puts after the kill: %d back, %d failed, %d twice, %d strays", back, failures, dupes, strays);
    CHECK(first_put == HYPERCLIENT_UNKNOWNOUTCOME, "a put outstanding when its daemon dies: UNKNOWNOUTCOME, not %d",
          (int)first_put);
    /* a read is asked again: the daemon refuses the connection (CONNECTFAIL), or the coordinator has
     * taken it out (RECONFIGURE), until the rounds give up; the manual: a search hands back the
     * error, then ends with SEARCHDONE */
    CHECK(search_over == 2 && search_objects == 0 &&
              (search_end == HYPERCLIENT_CONNECTFAIL || search_end == HYPERCLIENT_RECONFIGURE) &&
              search_last == HYPERCLIENT_SEARCHDONE,
          "the search: %d statuses other than SUCCESS, %d objects, first %d, last %d", search_over, search_objects,
          (int)search_end, (int)search_last);
    CHECK(count_back == 1 && cst != HYPERCLIENT_SUCCESS, "the count: back %d times, status %d", count_back, (int)cst);

    /* a new request to the dead daemon fails, at once or through loop */
    st = HYPERCLIENT_ZERO;
    t0 = now_ms();
    id = hyperclient_get(c, "faults", "a", 1, &st, &attrs, &n);
    if (id > 0)
    {
        got = hyperclient_loop(c, WAIT_MS, &ls);
        /* why, depending on how far the kill has gone: the connection still taken then lost
         * (DISCONNECT), refused on every try (CONNECTFAIL), or the daemon no longer available in
         * the configuration (RECONFIGURE); the library's tries are bounded */
        CHECK(got == id && (st == HYPERCLIENT_DISCONNECT || st == HYPERCLIENT_CONNECTFAIL || st == HYPERCLIENT_RECONFIGURE),
              "get after the kill: loop %" PRId64 " (%d), status %d", got, (int)ls, (int)st);
    }
    else
        CHECK(st != HYPERCLIENT_SUCCESS && st != HYPERCLIENT_ZERO, "get after the kill refused with %d", (int)st);
    CHECK(now_ms() - t0 < WAIT_MS, "get after the kill took %" PRId64 " ms", now_ms() - t0);
    CHECK(!attrs, "no object after the kill");
    CHECK(hyperclient_loop(c, 100, &ls) == -1 && ls == HYPERCLIENT_NONEPENDING, "NONEPENDING at the end: %d", (int)ls);
    hyperclient_destroy(c);
    return report();
}
