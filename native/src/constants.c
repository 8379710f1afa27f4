/* Names of HyperDex's constants and tables enumerating them; see hyperdex_constants.h.
 *
 * The *_name() functions for the two enums are switches without a default, so -Wall -Werror
 * (-Wswitch) refuses to build when an enumerator is added to a header but not here.
 * test/c/test_constants.c checks that each table lists exactly what its *_name() knows.
 */
#include "hyperdex_constants.h"

struct hyperdex_constant
{
    const char* name;
    int value;
};

#define HYPERDEX_NAME_CASE(x) \
    case x:                   \
        return #x;
#define HYPERDEX_ENTRY(x) {#x, x},
#define HYPERDEX_COUNT(table) (sizeof(table) / sizeof((table)[0]))

static int
hyperdex_table_at(const struct hyperdex_constant* table, size_t count,
                  size_t i, const char** name, int* value)
{
    if (i >= count)
    {
        return -1;
    }
    if (name != NULL)
    {
        *name = table[i].name;
    }
    if (value != NULL)
    {
        *value = table[i].value;
    }
    return 0;
}

/* A name by a linear search of a table: for the #define families, which have no enum. */
static const char*
hyperdex_table_name(const struct hyperdex_constant* table, size_t count, int value)
{
    size_t i;
    for (i = 0; i < count; ++i)
    {
        if (table[i].value == value)
        {
            return table[i].name;
        }
    }
    return NULL;
}

/* Return codes. */

#define HYPERDEX_RETURNCODES(X)     \
    X(HYPERCLIENT_SUCCESS)          \
    X(HYPERCLIENT_NOTFOUND)         \
    X(HYPERCLIENT_SEARCHDONE)       \
    X(HYPERCLIENT_CMPFAIL)          \
    X(HYPERCLIENT_READONLY)         \
    X(HYPERCLIENT_UNKNOWNSPACE)     \
    X(HYPERCLIENT_COORDFAIL)        \
    X(HYPERCLIENT_SERVERERROR)      \
    X(HYPERCLIENT_POLLFAILED)       \
    X(HYPERCLIENT_OVERFLOW)         \
    X(HYPERCLIENT_RECONFIGURE)      \
    X(HYPERCLIENT_LOGICERROR)       \
    X(HYPERCLIENT_TIMEOUT)          \
    X(HYPERCLIENT_UNKNOWNATTR)      \
    X(HYPERCLIENT_DUPEATTR)         \
    X(HYPERCLIENT_SEEERRNO)         \
    X(HYPERCLIENT_NONEPENDING)      \
    X(HYPERCLIENT_DONTUSEKEY)       \
    X(HYPERCLIENT_WRONGTYPE)        \
    X(HYPERCLIENT_NOMEM)            \
    X(HYPERCLIENT_CONNECTFAIL)      \
    X(HYPERCLIENT_DISCONNECT)       \
    X(HYPERCLIENT_BADREQUEST)       \
    X(HYPERCLIENT_BADSPACE)         \
    X(HYPERCLIENT_UNAUTHORIZED)     \
    X(HYPERCLIENT_UNKNOWNOUTCOME)   \
    X(HYPERCLIENT_EXCEPTION)        \
    X(HYPERCLIENT_ZERO)             \
    X(HYPERCLIENT_A)                \
    X(HYPERCLIENT_B)

static const struct hyperdex_constant hyperdex_returncodes[] = {
    HYPERDEX_RETURNCODES(HYPERDEX_ENTRY)
};

const char*
hyperdex_returncode_name(enum hyperclient_returncode code)
{
    switch (code)
    {
        HYPERDEX_RETURNCODES(HYPERDEX_NAME_CASE)
    }
    return NULL;
}

size_t
hyperdex_returncode_count(void)
{
    return HYPERDEX_COUNT(hyperdex_returncodes);
}

int
hyperdex_returncode_at(size_t i, const char** name, int* value)
{
    return hyperdex_table_at(hyperdex_returncodes, HYPERDEX_COUNT(hyperdex_returncodes),
                             i, name, value);
}

/* Attribute types. */

#define HYPERDEX_DATATYPES(X)                \
    X(HYPERDATATYPE_STRING)                  \
    X(HYPERDATATYPE_INT64)                   \
    X(HYPERDATATYPE_FLOAT)                   \
    X(HYPERDATATYPE_LIST_GENERIC)            \
    X(HYPERDATATYPE_LIST_STRING)             \
    X(HYPERDATATYPE_LIST_INT64)              \
    X(HYPERDATATYPE_LIST_FLOAT)              \
    X(HYPERDATATYPE_SET_GENERIC)             \
    X(HYPERDATATYPE_SET_STRING)              \
    X(HYPERDATATYPE_SET_INT64)               \
    X(HYPERDATATYPE_SET_FLOAT)               \
    X(HYPERDATATYPE_MAP_GENERIC)             \
    X(HYPERDATATYPE_MAP_STRING_KEYONLY)      \
    X(HYPERDATATYPE_MAP_STRING_STRING)       \
    X(HYPERDATATYPE_MAP_STRING_INT64)        \
    X(HYPERDATATYPE_MAP_STRING_FLOAT)        \
    X(HYPERDATATYPE_MAP_INT64_KEYONLY)       \
    X(HYPERDATATYPE_MAP_INT64_STRING)        \
    X(HYPERDATATYPE_MAP_INT64_INT64)         \
    X(HYPERDATATYPE_MAP_INT64_FLOAT)         \
    X(HYPERDATATYPE_MAP_FLOAT_KEYONLY)       \
    X(HYPERDATATYPE_MAP_FLOAT_STRING)        \
    X(HYPERDATATYPE_MAP_FLOAT_INT64)         \
    X(HYPERDATATYPE_MAP_FLOAT_FLOAT)         \
    X(HYPERDATATYPE_GARBAGE)

static const struct hyperdex_constant hyperdex_datatypes[] = {
    HYPERDEX_DATATYPES(HYPERDEX_ENTRY)
};

const char*
hyperdex_datatype_name(enum hyperdatatype type)
{
    switch (type)
    {
        HYPERDEX_DATATYPES(HYPERDEX_NAME_CASE)
    }
    return NULL;
}

size_t
hyperdex_datatype_count(void)
{
    return HYPERDEX_COUNT(hyperdex_datatypes);
}

int
hyperdex_datatype_at(size_t i, const char** name, int* value)
{
    return hyperdex_table_at(hyperdex_datatypes, HYPERDEX_COUNT(hyperdex_datatypes),
                             i, name, value);
}

/* Message types. They are #defines, not an enum, so the compiler cannot check this list is
 * complete; the drift test (test/protocol-constants.test.ts) does, against MsgType. */

#define HYPERDEX_MSGTYPES(X)                 \
    X(HYPERDEX_MSG_CONFIG_SUBSCRIBE)         \
    X(HYPERDEX_MSG_CONFIG)                   \
    X(HYPERDEX_MSG_DAEMON_REGISTER)          \
    X(HYPERDEX_MSG_DAEMON_REGISTERED)        \
    X(HYPERDEX_MSG_SPACE_ADD)                \
    X(HYPERDEX_MSG_SPACE_RM)                 \
    X(HYPERDEX_MSG_SPACE_LIST)               \
    X(HYPERDEX_MSG_SPACE_LIST_RESP)          \
    X(HYPERDEX_MSG_COORD_RESP)               \
    X(HYPERDEX_MSG_REGION_MOVED)             \
    X(HYPERDEX_MSG_REGISTER_HELLO)           \
    X(HYPERDEX_MSG_REGISTER_CHALLENGE)       \
    X(HYPERDEX_MSG_PEER_KEYS)                \
    X(HYPERDEX_MSG_SERVER_OFFLINE)           \
    X(HYPERDEX_MSG_SERVER_ONLINE)            \
    X(HYPERDEX_MSG_SERVER_FORGET)            \
    X(HYPERDEX_MSG_HEARTBEAT)                \
    X(HYPERDEX_MSG_REQ_GET)                  \
    X(HYPERDEX_MSG_RESP_GET)                 \
    X(HYPERDEX_MSG_REQ_ATOMIC)               \
    X(HYPERDEX_MSG_RESP_ATOMIC)              \
    X(HYPERDEX_MSG_REQ_DEL)                  \
    X(HYPERDEX_MSG_RESP_DEL)                 \
    X(HYPERDEX_MSG_REQ_SEARCH)               \
    X(HYPERDEX_MSG_RESP_SEARCH_ITEMS)        \
    X(HYPERDEX_MSG_RESP_SEARCH_DONE)         \
    X(HYPERDEX_MSG_REQ_COUNT)                \
    X(HYPERDEX_MSG_RESP_COUNT)               \
    X(HYPERDEX_MSG_REQ_GROUP_DEL)            \
    X(HYPERDEX_MSG_RESP_GROUP_DEL)           \
    X(HYPERDEX_MSG_REPLICA_WRITE)            \
    X(HYPERDEX_MSG_REPLICA_ACK)              \
    X(HYPERDEX_MSG_REGION_RESET)             \
    X(HYPERDEX_MSG_REGION_HANDOFF)           \
    X(HYPERDEX_MSG_PEER_HELLO)               \
    X(HYPERDEX_MSG_PEER_CHALLENGE)           \
    X(HYPERDEX_MSG_PEER_PROOF)               \
    X(HYPERDEX_MSG_PEER_ERASE)               \
    X(HYPERDEX_MSG_ERROR)

/* #x of a macro argument is its name, not its expansion, so the names come out right. */
static const struct hyperdex_constant hyperdex_msgtypes[] = {
    HYPERDEX_MSGTYPES(HYPERDEX_ENTRY)
};

const char*
hyperdex_msgtype_name(int type)
{
    return hyperdex_table_name(hyperdex_msgtypes, HYPERDEX_COUNT(hyperdex_msgtypes), type);
}

size_t
hyperdex_msgtype_count(void)
{
    return HYPERDEX_COUNT(hyperdex_msgtypes);
}

int
hyperdex_msgtype_at(size_t i, const char** name, int* value)
{
    return hyperdex_table_at(hyperdex_msgtypes, HYPERDEX_COUNT(hyperdex_msgtypes),
                             i, name, value);
}

/* Flags of REQ_ATOMIC: #defines too, checked against AtomicFlag by the drift test. */

#define HYPERDEX_ATOMICFLAGS(X)              \
    X(HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND)     \
    X(HYPERDEX_ATOMIC_FAIL_IF_FOUND)         \
    X(HYPERDEX_ATOMIC_ERASE)

static const struct hyperdex_constant hyperdex_atomicflags[] = {
    HYPERDEX_ATOMICFLAGS(HYPERDEX_ENTRY)
};

const char*
hyperdex_atomicflag_name(int flag)
{
    return hyperdex_table_name(hyperdex_atomicflags, HYPERDEX_COUNT(hyperdex_atomicflags), flag);
}

size_t
hyperdex_atomicflag_count(void)
{
    return HYPERDEX_COUNT(hyperdex_atomicflags);
}

int
hyperdex_atomicflag_at(size_t i, const char** name, int* value)
{
    return hyperdex_table_at(hyperdex_atomicflags, HYPERDEX_COUNT(hyperdex_atomicflags),
                             i, name, value);
}

/* Func ops: #defines too, checked against FuncOp by the drift test. */

#define HYPERDEX_FUNCOPS(X)                  \
    X(HYPERDEX_FUNC_SET)                     \
    X(HYPERDEX_FUNC_STRING_APPEND)           \
    X(HYPERDEX_FUNC_STRING_PREPEND)          \
    X(HYPERDEX_FUNC_NUM_ADD)                 \
    X(HYPERDEX_FUNC_NUM_SUB)                 \
    X(HYPERDEX_FUNC_NUM_MUL)                 \
    X(HYPERDEX_FUNC_NUM_DIV)                 \
    X(HYPERDEX_FUNC_NUM_MOD)                 \
    X(HYPERDEX_FUNC_NUM_AND)                 \
    X(HYPERDEX_FUNC_NUM_OR)                  \
    X(HYPERDEX_FUNC_NUM_XOR)                 \
    X(HYPERDEX_FUNC_LIST_LPUSH)              \
    X(HYPERDEX_FUNC_LIST_RPUSH)              \
    X(HYPERDEX_FUNC_SET_ADD)                 \
    X(HYPERDEX_FUNC_SET_REMOVE)              \
    X(HYPERDEX_FUNC_SET_INTERSECT)           \
    X(HYPERDEX_FUNC_SET_UNION)               \
    X(HYPERDEX_FUNC_MAP_ADD)                 \
    X(HYPERDEX_FUNC_MAP_REMOVE)

static const struct hyperdex_constant hyperdex_funcops[] = {
    HYPERDEX_FUNCOPS(HYPERDEX_ENTRY)
};

const char*
hyperdex_funcop_name(int op)
{
    return hyperdex_table_name(hyperdex_funcops, HYPERDEX_COUNT(hyperdex_funcops), op);
}

size_t
hyperdex_funcop_count(void)
{
    return HYPERDEX_COUNT(hyperdex_funcops);
}

int
hyperdex_funcop_at(size_t i, const char** name, int* value)
{
    return hyperdex_table_at(hyperdex_funcops, HYPERDEX_COUNT(hyperdex_funcops),
                             i, name, value);
}

/* Check ops: checked against CheckOp by the drift test. */

#define HYPERDEX_CHECKOPS(X)                 \
    X(HYPERDEX_CHECK_EQUALS)                 \
    X(HYPERDEX_CHECK_LESS_THAN)              \
    X(HYPERDEX_CHECK_LESS_EQUAL)             \
    X(HYPERDEX_CHECK_GREATER_EQUAL)          \
    X(HYPERDEX_CHECK_GREATER_THAN)

static const struct hyperdex_constant hyperdex_checkops[] = {
    HYPERDEX_CHECKOPS(HYPERDEX_ENTRY)
};

const char*
hyperdex_checkop_name(int op)
{
    return hyperdex_table_name(hyperdex_checkops, HYPERDEX_COUNT(hyperdex_checkops), op);
}

size_t
hyperdex_checkop_count(void)
{
    return HYPERDEX_COUNT(hyperdex_checkops);
}

int
hyperdex_checkop_at(size_t i, const char** name, int* value)
{
    return hyperdex_table_at(hyperdex_checkops, HYPERDEX_COUNT(hyperdex_checkops),
                             i, name, value);
}
