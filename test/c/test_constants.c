/* Checks HyperDex's C constants: a few enum values, the *_name() functions, and that every table
 * lists exactly the constants its *_name() knows. Exits non-zero on failure. */
#include <stdio.h>
#include <string.h>

#include "hyperdex.h"
#include "hyperdex_constants.h"

static int failures = 0;

#define CHECK(cond)                                                          \
    do                                                                       \
    {                                                                        \
        if (!(cond))                                                         \
        {                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            ++failures;                                                      \
        }                                                                    \
    } while (0)

static int
same_name(const char* got, const char* want)
{
    if (got == NULL || want == NULL)
    {
        return got == want;
    }
    return strcmp(got, want) == 0;
}

typedef size_t (*count_fn)(void);
typedef int (*at_fn)(size_t, const char**, int*);
typedef const char* (*name_fn)(int);

static const char*
returncode_name(int v)
{
    return hyperdex_returncode_name((enum hyperclient_returncode)v);
}

static const char*
datatype_name(int v)
{
    return hyperdex_datatype_name((enum hyperdatatype)v);
}

/* Each table entry: name has the prefix, name_of(value) is the name, values ascend strictly.
 * Every number in [lo, hi] that name_of() knows is in the table. */
static void
check_table(const char* what, count_fn count, at_fn at, name_fn name_of,
            const char* prefix, size_t expected_count, int lo, int hi)
{
    size_t i;
    size_t n = count();
    size_t known = 0;
    int previous = 0;
    int v;

    if (n != expected_count)
    {
        fprintf(stderr, "%s: %zu entries, expected %zu\n", what, n, expected_count);
        ++failures;
    }
    for (i = 0; i < n; ++i)
    {
        const char* name = NULL;
        int value = 0;
        CHECK(at(i, &name, &value) == 0);
        CHECK(name != NULL && strncmp(name, prefix, strlen(prefix)) == 0);
        if (!same_name(name_of(value), name))
        {
            fprintf(stderr, "%s: entry %zu is %s = %d but the name of %d is %s\n", what, i,
                    name ? name : "(null)", value, value,
                    name_of(value) ? name_of(value) : "(null)");
            ++failures;
        }
        CHECK(i == 0 || value > previous);
        previous = value;
    }
    CHECK(at(n, NULL, NULL) == -1);
    for (v = lo; v <= hi; ++v)
    {
        if (name_of(v) != NULL)
        {
            ++known;
        }
    }
    if (known != n)
    {
        fprintf(stderr, "%s: %zu numbers in [%d, %d] have names, the table has %zu\n", what,
                known, lo, hi, n);
        ++failures;
    }
}

int
main(void)
{
    /* A few values, straight from the header. */
    CHECK(HYPERCLIENT_SUCCESS == 8448);
    CHECK(HYPERCLIENT_NOTFOUND == 8449);
    CHECK(HYPERCLIENT_BADSPACE == 8530);
    CHECK(HYPERCLIENT_UNAUTHORIZED == 8531);
    CHECK(HYPERCLIENT_UNKNOWNOUTCOME == 8532);
    CHECK(HYPERCLIENT_B == 8577);
    CHECK(HYPERDATATYPE_STRING == 8960);
    CHECK(HYPERDATATYPE_MAP_FLOAT_FLOAT == 9059);
    CHECK(HYPERDATATYPE_GARBAGE == 9087);
    CHECK(HYPERDEX_MSG_REQ_GET == 0x0201);
    CHECK(HYPERDEX_MSG_REQ_SEARCH == 0x0207);
    CHECK(HYPERDEX_MSG_RESP_GROUP_DEL == 0x020d);
    CHECK(HYPERDEX_MSG_REGION_MOVED == 0x010a);
    CHECK(HYPERDEX_MSG_REGISTER_HELLO == 0x010b);
    CHECK(HYPERDEX_MSG_REGISTER_CHALLENGE == 0x010c);
    CHECK(HYPERDEX_MSG_PEER_KEYS == 0x010d);
    CHECK(HYPERDEX_MSG_SERVER_OFFLINE == 0x010e);
    CHECK(HYPERDEX_MSG_SERVER_ONLINE == 0x010f);
    CHECK(HYPERDEX_MSG_SERVER_FORGET == 0x0110);
    CHECK(HYPERDEX_MSG_HEARTBEAT == 0x0111);
    CHECK(HYPERDEX_MSG_REPLICA_WRITE == 0x0301);
    CHECK(HYPERDEX_MSG_REPLICA_ACK == 0x0302);
    CHECK(HYPERDEX_MSG_REGION_RESET == 0x0303);
    CHECK(HYPERDEX_MSG_REGION_HANDOFF == 0x0304);
    CHECK(HYPERDEX_MSG_PEER_HELLO == 0x0305);
    CHECK(HYPERDEX_MSG_PEER_CHALLENGE == 0x0306);
    CHECK(HYPERDEX_MSG_PEER_PROOF == 0x0307);
    CHECK(HYPERDEX_MSG_PEER_ERASE == 0x0308);
    CHECK(HYPERDEX_MSG_ERROR == 0x7f01);
    CHECK(HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND == 1);
    CHECK(HYPERDEX_ATOMIC_FAIL_IF_FOUND == 2);
    CHECK(HYPERDEX_ATOMIC_ERASE == 4);
    CHECK(HYPERDEX_FUNC_SET == 1);
    CHECK(HYPERDEX_FUNC_NUM_ADD == 4);
    CHECK(HYPERDEX_FUNC_MAP_REMOVE == 19);
    CHECK(HYPERDEX_CHECK_EQUALS == 1);
    CHECK(HYPERDEX_CHECK_GREATER_EQUAL == 4);
    CHECK(HYPERDEX_CHECK_GREATER_THAN == 5);
    CHECK(HYPERDEX_SEARCH_BATCH_OBJECTS_MAX == 256);
    CHECK(HYPERDEX_SEARCH_BATCH_BYTES_MAX == 1048576);
    CHECK(HYPERDEX_FRAME_HEADER_BYTES == 4 + 2 + 8);
    CHECK(HYPERDEX_FRAME_BYTES_MAX == 16777216);
    CHECK(HYPERDEX_ATTRIBUTES_PER_REQUEST_MAX == 256);
    CHECK(HYPERDEX_MICRO_OPS_PER_REQUEST_MAX == 65536);

    /* Names. */
    CHECK(same_name(hyperdex_returncode_name(HYPERCLIENT_SUCCESS), "HYPERCLIENT_SUCCESS"));
    CHECK(same_name(hyperdex_returncode_name(HYPERCLIENT_WRONGTYPE), "HYPERCLIENT_WRONGTYPE"));
    CHECK(same_name(hyperdex_returncode_name(HYPERCLIENT_B), "HYPERCLIENT_B"));
    CHECK(hyperdex_returncode_name((enum hyperclient_returncode)8453) == NULL);
    CHECK(hyperdex_returncode_name((enum hyperclient_returncode)0) == NULL);
    CHECK(same_name(hyperdex_datatype_name(HYPERDATATYPE_STRING), "HYPERDATATYPE_STRING"));
    CHECK(same_name(hyperdex_datatype_name(HYPERDATATYPE_MAP_INT64_FLOAT),
                    "HYPERDATATYPE_MAP_INT64_FLOAT"));
    CHECK(hyperdex_datatype_name((enum hyperdatatype)8963) == NULL);
    CHECK(same_name(hyperdex_msgtype_name(HYPERDEX_MSG_REQ_GET), "HYPERDEX_MSG_REQ_GET"));
    CHECK(same_name(hyperdex_msgtype_name(0x7f01), "HYPERDEX_MSG_ERROR"));
    CHECK(hyperdex_msgtype_name(0x0200) == NULL);
    CHECK(same_name(hyperdex_msgtype_name(0x020a), "HYPERDEX_MSG_REQ_COUNT"));
    CHECK(hyperdex_msgtype_name(0x020e) == NULL);
    CHECK(same_name(hyperdex_msgtype_name(0x010a), "HYPERDEX_MSG_REGION_MOVED"));
    CHECK(same_name(hyperdex_msgtype_name(0x010d), "HYPERDEX_MSG_PEER_KEYS"));
    CHECK(same_name(hyperdex_msgtype_name(0x010e), "HYPERDEX_MSG_SERVER_OFFLINE"));
    CHECK(same_name(hyperdex_msgtype_name(0x0110), "HYPERDEX_MSG_SERVER_FORGET"));
    CHECK(same_name(hyperdex_msgtype_name(0x0111), "HYPERDEX_MSG_HEARTBEAT"));
    CHECK(hyperdex_msgtype_name(0x0112) == NULL);
    CHECK(hyperdex_msgtype_name(0x0300) == NULL);
    CHECK(same_name(hyperdex_msgtype_name(HYPERDEX_MSG_REPLICA_WRITE), "HYPERDEX_MSG_REPLICA_WRITE"));
    CHECK(same_name(hyperdex_msgtype_name(0x0304), "HYPERDEX_MSG_REGION_HANDOFF"));
    CHECK(same_name(hyperdex_msgtype_name(0x0307), "HYPERDEX_MSG_PEER_PROOF"));
    CHECK(same_name(hyperdex_msgtype_name(0x0308), "HYPERDEX_MSG_PEER_ERASE"));
    CHECK(hyperdex_msgtype_name(0x0309) == NULL);
    CHECK(same_name(hyperdex_atomicflag_name(HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND),
                    "HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND"));
    CHECK(same_name(hyperdex_atomicflag_name(2), "HYPERDEX_ATOMIC_FAIL_IF_FOUND"));
    CHECK(same_name(hyperdex_atomicflag_name(4), "HYPERDEX_ATOMIC_ERASE"));
    CHECK(hyperdex_atomicflag_name(0) == NULL);
    CHECK(hyperdex_atomicflag_name(3) == NULL); /* two flags at once is no one flag's number */
    CHECK(hyperdex_atomicflag_name(5) == NULL);
    CHECK(hyperdex_atomicflag_name(8) == NULL);
    CHECK(same_name(hyperdex_funcop_name(HYPERDEX_FUNC_SET), "HYPERDEX_FUNC_SET"));
    CHECK(same_name(hyperdex_funcop_name(19), "HYPERDEX_FUNC_MAP_REMOVE"));
    CHECK(hyperdex_funcop_name(0) == NULL);
    CHECK(hyperdex_funcop_name(20) == NULL);
    CHECK(same_name(hyperdex_checkop_name(HYPERDEX_CHECK_LESS_THAN), "HYPERDEX_CHECK_LESS_THAN"));
    CHECK(hyperdex_checkop_name(0) == NULL);
    CHECK(hyperdex_checkop_name(6) == NULL);

    /* Tables. */
    check_table("returncodes", hyperdex_returncode_count, hyperdex_returncode_at, returncode_name,
                HYPERDEX_RETURNCODE_PREFIX, 30, 0, 0xffff);
    check_table("datatypes", hyperdex_datatype_count, hyperdex_datatype_at, datatype_name,
                HYPERDEX_DATATYPE_PREFIX, 25, 0, 0xffff);
    check_table("msgtypes", hyperdex_msgtype_count, hyperdex_msgtype_at, hyperdex_msgtype_name,
                HYPERDEX_MSGTYPE_PREFIX, 39, 0, 0xffff);
    check_table("atomicflags", hyperdex_atomicflag_count, hyperdex_atomicflag_at,
                hyperdex_atomicflag_name, HYPERDEX_ATOMICFLAG_PREFIX, 3, 0, 0xffff);
    check_table("funcops", hyperdex_funcop_count, hyperdex_funcop_at, hyperdex_funcop_name,
                HYPERDEX_FUNCOP_PREFIX, 19, 0, 0xffff);
    check_table("checkops", hyperdex_checkop_count, hyperdex_checkop_at, hyperdex_checkop_name,
                HYPERDEX_CHECKOP_PREFIX, 5, 0, 0xffff);

    if (failures != 0)
    {
        fprintf(stderr, "test_constants: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_constants: ok\n");
    return 0;
}
