/* Shared by the C test programs that run against a live cluster (test_ops, test_outstanding,
 * test_faults): counting checks, building values, and waiting for one operation through
 * hyperclient_loop with a bound. Each program prints "N passed, M failed" last and exits non-zero
 * on a failure. Header-only (static inline) so that each program takes what it uses. */
#ifndef HYPERDEX_TEST_HARNESS_H
#define HYPERDEX_TEST_HARNESS_H

/* clock_gettime under -std=c11; include this header first */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hyperclient.h"

static int passed;
static int failed;

#define CHECK(cond, ...)                                          \
    do                                                            \
    {                                                             \
        if (cond)                                                 \
            passed++;                                             \
        else                                                      \
        {                                                         \
            failed++;                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
            fprintf(stderr, __VA_ARGS__);                         \
            fprintf(stderr, "\n");                                \
        }                                                         \
    } while (0)

/* How long one wait for one reply may take: far above any healthy reply on 127.0.0.1, and
 * short enough that a hang fails the program rather than the ava timeout. */
#define WAIT_MS 10000

static inline int
report(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}

static inline int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline struct hyperclient_attribute
str_attr(const char* name, const char* value)
{
    struct hyperclient_attribute a = {name, value, strlen(value), HYPERDATATYPE_STRING};
    return a;
}

static inline void
le64(char buf[8], uint64_t u)
{
    for (int i = 0; i < 8; i++) buf[i] = (char)(u >> (8 * i));
}

/* an int64 attribute; its 8 bytes live in buf, one buffer per use */
static inline struct hyperclient_attribute
int_attr(const char* name, int64_t v, char buf[8])
{
    le64(buf, (uint64_t)v);
    struct hyperclient_attribute a = {name, buf, 8, HYPERDATATYPE_INT64};
    return a;
}

static inline struct hyperclient_attribute
float_attr(const char* name, double d, char buf[8])
{
    uint64_t u;
    memcpy(&u, &d, 8);
    le64(buf, u);
    struct hyperclient_attribute a = {name, buf, 8, HYPERDATATYPE_FLOAT};
    return a;
}

static inline int64_t
int_of(const struct hyperclient_attribute* a)
{
    uint64_t u = 0;
    for (size_t i = 0; i < 8 && i < a->value_sz; i++) u |= (uint64_t)(unsigned char)a->value[i] << (8 * i);
    return (int64_t)u;
}

static inline double
float_of(const struct hyperclient_attribute* a)
{
    uint64_t u = (uint64_t)int_of(a);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static inline const struct hyperclient_attribute*
find(const struct hyperclient_attribute* attrs, size_t n, const char* name)
{
    for (size_t i = 0; attrs && i < n; i++)
        if (strcmp(attrs[i].attr, name) == 0) return &attrs[i];
    return NULL;
}

static inline int
bytes_are(const struct hyperclient_attribute* a, const char* p, size_t n)
{
    return a && a->value_sz == n && (n == 0 || memcmp(a->value, p, n) == 0);
}

static inline int
str_is(const struct hyperclient_attribute* a, const char* s)
{
    return a && a->datatype == HYPERDATATYPE_STRING && bytes_are(a, s, strlen(s));
}

static inline int
int_is(const struct hyperclient_attribute* a, int64_t v)
{
    return a && a->datatype == HYPERDATATYPE_INT64 && a->value_sz == 8 && int_of(a) == v;
}

/* Loops until `id` comes back (other ids are not expected here and count as a failure). Its
 * status; for a refusal (id < 0) the status the call set; else the loop's own status. */
static inline enum hyperclient_returncode
wait_for(struct hyperclient* c, int64_t id, const enum hyperclient_returncode* st)
{
    if (id < 0) return *st;
    enum hyperclient_returncode ls = HYPERCLIENT_ZERO;
    int64_t got = hyperclient_loop(c, WAIT_MS, &ls);
    if (got != id)
    {
        fprintf(stderr, "loop returned %" PRId64 " (loop status %d) waiting for %" PRId64 "\n", got, (int)ls, id);
        return ls == HYPERCLIENT_SUCCESS ? HYPERCLIENT_LOGICERROR : ls;
    }
    return *st;
}

/* Waits for the driver (an ava test) to act on a daemon: prints `tag`, reads a line. */
static inline void
handshake(const char* tag)
{
    char line[64];
    printf("%s\n", tag);
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin))
    {
        fprintf(stderr, "no answer to %s\n", tag);
        exit(3);
    }
}

static inline struct hyperclient*
connect_or_exit(int argc, char** argv, const char* usage)
{
    if (argc < 3)
    {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        exit(2);
    }
    struct hyperclient* c = hyperclient_create(argv[1], (in_port_t)atoi(argv[2]));
    CHECK(c != NULL, "hyperclient_create(%s, %s)", argv[1], argv[2]);
    if (!c) exit(report());
    return c;
}

/* Creates a space through the C API (hyperclient_add_space), or exits. */
static inline void
add_space_or_exit(struct hyperclient* c, const char* description)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_add_space(c, description, &st);
    st = wait_for(c, id, &st);
    CHECK(st == HYPERCLIENT_SUCCESS, "add_space: status %d for %s", (int)st, description);
    if (st != HYPERCLIENT_SUCCESS)
    {
        hyperclient_destroy(c);
        exit(report());
    }
}

#endif
