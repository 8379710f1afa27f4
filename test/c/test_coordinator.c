/* libhyperclient when the coordinator goes away: test_coordinator HOST PORT.
 *
 * The test (test/c-programs.test.ts) kills the coordinator at the READY handshake. The manual:
 * errors that concern every operation come through hyperclient_loop's own status. So the next loop
 * says COORDFAIL, once; the daemons still serve what the client knows (its configuration is kept);
 * a request that needs the coordinator fails with COORDFAIL at once. */
#include "harness.h"

int
main(int argc, char** argv)
{
    struct hyperclient* c = connect_or_exit(argc, argv, "HOST PORT");
    add_space_or_exit(c, "space lonely key k attributes int v");
    enum hyperclient_returncode st = HYPERCLIENT_ZERO, ls = HYPERCLIENT_ZERO;
    char buf[8];
    struct hyperclient_attribute a = int_attr("v", 7, buf);
    int64_t id = hyperclient_put(c, "lonely", "k", 1, &a, 1, &st);
    CHECK(wait_for(c, id, &st) == HYPERCLIENT_SUCCESS, "put before: %d", (int)st);

    handshake("READY kill-coordinator");
    /* something outstanding, so that loop polls and sees the coordinator's connection close */
    struct hyperclient_attribute* attrs = NULL;
    size_t n = 0;
    id = hyperclient_get(c, "lonely", "k", 1, &st, &attrs, &n);
    CHECK(id > 0, "get after the kill: %" PRId64 " %d", id, (int)st);
    /* the test waited for the coordinator to exit: its connection has closed before the get went
     * out, so the first poll sees it, and loop's own status comes before any completion */
    int64_t got = hyperclient_loop(c, WAIT_MS, &ls);
    CHECK(got < 0 && ls == HYPERCLIENT_COORDFAIL, "first loop after the kill: %" PRId64 " status %d", got, (int)ls);
    got = hyperclient_loop(c, WAIT_MS, &ls);
    CHECK(got == id && ls == HYPERCLIENT_SUCCESS && st == HYPERCLIENT_SUCCESS && int_is(find(attrs, n, "v"), 7),
          "the daemon still answers: loop %" PRId64 " (%d), status %d", got, (int)ls, (int)st);
    if (got == id && st == HYPERCLIENT_SUCCESS) hyperclient_destroy_attrs(attrs, n);

    /* requests to the coordinator cannot be made */
    st = HYPERCLIENT_ZERO;
    id = hyperclient_add_space(c, "space another key k", &st);
    CHECK(id < 0 && st == HYPERCLIENT_COORDFAIL, "add_space without a coordinator: %" PRId64 " %d", id, (int)st);
    /* a space the client does not know cannot be looked up */
    id = hyperclient_get(c, "unknown", "k", 1, &st, &attrs, &n);
    CHECK(id < 0 && st == HYPERCLIENT_UNKNOWNSPACE, "get in an unknown space: %" PRId64 " %d", id, (int)st);
    /* once reported, COORDFAIL is not said again */
    got = hyperclient_loop(c, 100, &ls);
    CHECK(got < 0 && ls == HYPERCLIENT_NONEPENDING, "loop at the end: %" PRId64 " %d", got, (int)ls);
    hyperclient_destroy(c);
    return report();
}
