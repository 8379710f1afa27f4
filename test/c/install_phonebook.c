/* A program as someone outside this project would write it from the HyperDex 0.4 manual's chapter
 * 7 alone, built against an installed libhyperclient with pkg-config (test/c-install.test.ts):
 * put an object of the phonebook space, then get it back, each completed through
 * hyperclient_loop(), and print what came back.
 *
 *   install_phonebook HOST PORT KEY
 *
 * Prints one `ATTR=VALUE` line per attribute of the object read (int64 values in decimal), then
 * `done`; exits 0. On any failure prints why on stderr and exits 1. */

#include <hyperclient.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many times to call hyperclient_loop() for one operation, and how long each call may wait:
 * the manual's loop returns one completed operation, so one call normally suffices. */
#define LOOP_CALLS_MAX 5
#define LOOP_TIMEOUT_MS 10000

/* Calls hyperclient_loop() until it hands back `id`; 0 on success, -1 on failure. */
static int
wait_for(struct hyperclient* client, int64_t id, const char* what)
{
    for (int i = 0; i < LOOP_CALLS_MAX; ++i)
    {
        enum hyperclient_returncode loop_status = HYPERCLIENT_ZERO;
        int64_t done = hyperclient_loop(client, LOOP_TIMEOUT_MS, &loop_status);
        if (done < 0)
        {
            fprintf(stderr, "%s: hyperclient_loop failed with status %d\n", what, (int)loop_status);
            return -1;
        }
        if (done == id)
            return 0;
        fprintf(stderr, "%s: hyperclient_loop returned id %lld, waiting for %lld\n", what,
                (long long)done, (long long)id);
    }
    fprintf(stderr, "%s: no completion after %d calls of hyperclient_loop\n", what, LOOP_CALLS_MAX);
    return -1;
}

/* The manual: an int64 is "a signed, 64-bit little-endian integer". */
static void
int64_to_le(int64_t v, char out[8])
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; ++i)
        out[i] = (char)(unsigned char)(u >> (8 * i));
}

static int64_t
int64_from_le(const char* p, size_t n)
{
    uint64_t u = 0;
    for (size_t i = 0; i < n && i < 8; ++i)
        u |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return (int64_t)u;
}

static int
run(struct hyperclient* client, const char* key)
{
    char phone[8];
    int64_to_le(6075551024LL, phone);
    struct hyperclient_attribute attrs[3] = {
        {"first", "John", 4, HYPERDATATYPE_STRING},
        {"last", "Smith", 5, HYPERDATATYPE_STRING},
        {"phone", phone, sizeof phone, HYPERDATATYPE_INT64},
    };

    enum hyperclient_returncode put_status = HYPERCLIENT_ZERO;
    int64_t put_id = hyperclient_put(client, "phonebook", key, strlen(key), attrs, 3, &put_status);
    if (put_id < 0)
    {
        fprintf(stderr, "put: hyperclient_put returned %lld, status %d\n", (long long)put_id, (int)put_status);
        return -1;
    }
    if (wait_for(client, put_id, "put") != 0)
        return -1;
    if (put_status != HYPERCLIENT_SUCCESS)
    {
        fprintf(stderr, "put: status %d\n", (int)put_status);
        return -1;
    }

    enum hyperclient_returncode get_status = HYPERCLIENT_ZERO;
    struct hyperclient_attribute* got = NULL;
    size_t got_sz = 0;
    int64_t get_id = hyperclient_get(client, "phonebook", key, strlen(key), &get_status, &got, &got_sz);
    if (get_id < 0)
    {
        fprintf(stderr, "get: hyperclient_get returned %lld, status %d\n", (long long)get_id, (int)get_status);
        return -1;
    }
    if (wait_for(client, get_id, "get") != 0)
        return -1;
    if (get_status != HYPERCLIENT_SUCCESS)
    {
        fprintf(stderr, "get: status %d\n", (int)get_status);
        return -1;
    }

    for (size_t i = 0; i < got_sz; ++i)
    {
        if (got[i].datatype == HYPERDATATYPE_INT64)
            printf("%s=%lld\n", got[i].attr, (long long)int64_from_le(got[i].value, got[i].value_sz));
        else if (got[i].datatype == HYPERDATATYPE_STRING)
            printf("%s=%.*s\n", got[i].attr, (int)got[i].value_sz, got[i].value);
        else
            printf("%s has datatype %d\n", got[i].attr, (int)got[i].datatype);
    }
    hyperclient_destroy_attrs(got, got_sz);
    return 0;
}

int
main(int argc, char** argv)
{
    if (argc != 4)
    {
        fprintf(stderr, "usage: %s HOST PORT KEY\n", argv[0]);
        return 1;
    }
    char* end = NULL;
    long port = strtol(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || port <= 0 || port > 65535)
    {
        fprintf(stderr, "bad port: %s\n", argv[2]);
        return 1;
    }

    struct hyperclient* client = hyperclient_create(argv[1], (in_port_t)port);
    if (client == NULL)
    {
        fprintf(stderr, "hyperclient_create failed\n");
        return 1;
    }
    int rc = run(client, argv[3]);
    hyperclient_destroy(client);
    if (rc != 0)
        return 1;
    printf("done\n");
    return 0;
}
