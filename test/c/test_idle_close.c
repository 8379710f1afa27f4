/* libhyperclient and a connection its daemon closed while the program was away from
 * hyperclient_loop: `test_idle_close HOST PORT`, against test/ride-through.test.ts's fake daemon,
 * which answers each put and then closes the connection. Each put after the first finds the
 * connection closed (the program slept outside loop meanwhile, so nothing read the close): the
 * library must see that before it writes, and send the put on a new connection. Written to the
 * closed one, the put would be lost unread and reported UNKNOWNOUTCOME. */
#include "harness.h"

enum
{
    PUTS = 3,
    AWAY_MS = 200
};

int
main(int argc, char** argv)
{
    struct hyperclient* c = connect_or_exit(argc, argv, "HOST PORT");
    for (int i = 0; i < PUTS; i++)
    {
        if (i > 0)
        {
            /* the program does something else: the daemon's close arrives unread */
            struct timespec away = {0, AWAY_MS * 1000000L};
            nanosleep(&away, NULL);
        }
        char key[8], b[8];
        snprintf(key, sizeof(key), "k%d", i);
        struct hyperclient_attribute a[1] = {int_attr("v", i, b)};
        enum hyperclient_returncode st = HYPERCLIENT_ZERO;
        int64_t id = hyperclient_put(c, "unknown", key, strlen(key), a, 1, &st);
        st = wait_for(c, id, &st);
        CHECK(st == HYPERCLIENT_SUCCESS, "put %s after the daemon closed the connection: status %d", key, (int)st);
    }
    hyperclient_destroy(c);
    return report();
}
