/* HyperDex: attribute types and wire-protocol constants for C programs.
 *
 * Everything here mirrors src/common/datatypes.ts (`Datatype`) and src/common/protocol.ts
 * (`MsgType`, `AtomicFlag`, `FuncOp`, `CheckOp`, `SEARCH_BATCH`, `FRAME`, `LIMITS`), which are the
 * source of truth; test/protocol-constants.test.ts fails when the two drift apart. Return codes
 * live in hyperclient_status.h; the names of all these constants, and tables enumerating them, in
 * hyperdex_constants.h.
 */
#ifndef HYPERDEX_HYPERDEX_H
#define HYPERDEX_HYPERDEX_H

#include <stddef.h>

#include "hyperclient_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Attribute types and their numbers on the wire (HyperDex 0.4's numbers; float types take the
 * next free number in each family). */
enum hyperdatatype
{
    HYPERDATATYPE_STRING             = 8960,
    HYPERDATATYPE_INT64              = 8961,
    HYPERDATATYPE_FLOAT              = 8962,

    HYPERDATATYPE_LIST_GENERIC       = 8976,
    HYPERDATATYPE_LIST_STRING        = 8977,
    HYPERDATATYPE_LIST_INT64         = 8978,
    HYPERDATATYPE_LIST_FLOAT         = 8979,

    HYPERDATATYPE_SET_GENERIC        = 8992,
    HYPERDATATYPE_SET_STRING         = 8993,
    HYPERDATATYPE_SET_INT64          = 8994,
    HYPERDATATYPE_SET_FLOAT          = 8995,

    HYPERDATATYPE_MAP_GENERIC        = 9008,
    HYPERDATATYPE_MAP_STRING_KEYONLY = 9024,
    HYPERDATATYPE_MAP_STRING_STRING  = 9025,
    HYPERDATATYPE_MAP_STRING_INT64   = 9026,
    HYPERDATATYPE_MAP_STRING_FLOAT   = 9027,
    HYPERDATATYPE_MAP_INT64_KEYONLY  = 9040,
    HYPERDATATYPE_MAP_INT64_STRING   = 9041,
    HYPERDATATYPE_MAP_INT64_INT64    = 9042,
    HYPERDATATYPE_MAP_INT64_FLOAT    = 9043,
    HYPERDATATYPE_MAP_FLOAT_KEYONLY  = 9056,
    HYPERDATATYPE_MAP_FLOAT_STRING   = 9057,
    HYPERDATATYPE_MAP_FLOAT_INT64    = 9058,
    HYPERDATATYPE_MAP_FLOAT_FLOAT    = 9059,

    HYPERDATATYPE_GARBAGE            = 9087
};

/* Frame layout: u32 size (bytes after this field), u16 type, u64 request id, msgpack body. */
#define HYPERDEX_FRAME_HEADER_BYTES 14
/* Default largest frame a process accepts; configurable per process. */
#define HYPERDEX_FRAME_BYTES_MAX (16 * 1024 * 1024)

/* Attributes one message carries or names once each (a put's attributes, a search predicate's
 * checks, the attributes of an object in a reply); a space has at most 64. */
#define HYPERDEX_ATTRIBUTES_PER_REQUEST_MAX 256
/* Micro-operations in one REQ_ATOMIC: its checks plus its funcs, a MAP_ADD counting once per entry
 * of its map, so that a map operation on N keys counts N (docs/protocol.md 4.1). */
#define HYPERDEX_MICRO_OPS_PER_REQUEST_MAX 65536

/* Message types, numbered by family: 0x01xx between anyone and the coordinator, 0x02xx client
 * requests to daemons and their responses, 0x03xx between daemons, 0x7fxx protocol errors. */
#define HYPERDEX_MSG_CONFIG_SUBSCRIBE   0x0101
#define HYPERDEX_MSG_CONFIG             0x0102
#define HYPERDEX_MSG_DAEMON_REGISTER    0x0103
#define HYPERDEX_MSG_DAEMON_REGISTERED  0x0104
#define HYPERDEX_MSG_SPACE_ADD          0x0105
#define HYPERDEX_MSG_SPACE_RM           0x0106
#define HYPERDEX_MSG_SPACE_LIST         0x0107
#define HYPERDEX_MSG_SPACE_LIST_RESP    0x0108
#define HYPERDEX_MSG_COORD_RESP         0x0109
/* One-way, daemon to coordinator: the daemon finished copying a region to the server it moves to. */
#define HYPERDEX_MSG_REGION_MOVED       0x010a
/* Registration with a cluster secret: the daemon's nonce, and the coordinator's challenge. */
#define HYPERDEX_MSG_REGISTER_HELLO     0x010b
#define HYPERDEX_MSG_REGISTER_CHALLENGE 0x010c
/* Coordinator to registered daemons only: every registered server's peer key. */
#define HYPERDEX_MSG_PEER_KEYS          0x010d
/* Operator requests about one server, answered with COORD_RESP (docs/protocol.md 4.22). */
#define HYPERDEX_MSG_SERVER_OFFLINE     0x010e
#define HYPERDEX_MSG_SERVER_ONLINE      0x010f
#define HYPERDEX_MSG_SERVER_FORGET      0x0110
/* On a registered daemon's coordinator connection, both ways: failure detection (protocol.md 4.23). */
#define HYPERDEX_MSG_HEARTBEAT          0x0111

#define HYPERDEX_MSG_REQ_GET            0x0201
#define HYPERDEX_MSG_RESP_GET           0x0202
#define HYPERDEX_MSG_REQ_ATOMIC         0x0203
#define HYPERDEX_MSG_RESP_ATOMIC        0x0204
#define HYPERDEX_MSG_REQ_DEL            0x0205
#define HYPERDEX_MSG_RESP_DEL           0x0206
#define HYPERDEX_MSG_REQ_SEARCH         0x0207
#define HYPERDEX_MSG_RESP_SEARCH_ITEMS  0x0208
#define HYPERDEX_MSG_RESP_SEARCH_DONE   0x0209
#define HYPERDEX_MSG_REQ_COUNT          0x020a
#define HYPERDEX_MSG_RESP_COUNT         0x020b
#define HYPERDEX_MSG_REQ_GROUP_DEL      0x020c
#define HYPERDEX_MSG_RESP_GROUP_DEL     0x020d

/* Between daemons: replication and state transfer. REPLICA_ACK answers the other three. */
#define HYPERDEX_MSG_REPLICA_WRITE      0x0301
#define HYPERDEX_MSG_REPLICA_ACK        0x0302
#define HYPERDEX_MSG_REGION_RESET       0x0303
#define HYPERDEX_MSG_REGION_HANDOFF     0x0304
/* The peer handshake that opens every connection between daemons (docs/protocol.md 4.21). */
#define HYPERDEX_MSG_PEER_HELLO         0x0305
#define HYPERDEX_MSG_PEER_CHALLENGE     0x0306
#define HYPERDEX_MSG_PEER_PROOF         0x0307
#define HYPERDEX_MSG_PEER_ERASE         0x0308

#define HYPERDEX_MSG_ERROR              0x7f01

/* Flags of REQ_ATOMIC (field 3), a bit set. */
/* The object must exist, else NOTFOUND (cond_put and the atomic operations). */
#define HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND 1
/* The object must not exist, else CMPFAIL (put_if_not_exist). */
#define HYPERDEX_ATOMIC_FAIL_IF_FOUND     2
/* Delete the object if the checks hold; the request carries no funcs (group_del's deletes). */
#define HYPERDEX_ATOMIC_ERASE             4

/* Operations in REQ_ATOMIC's list of functions (field 0 of each func). Which attribute types each
 * applies to and what operand it takes: docs/protocol.md, section 4.8. */
#define HYPERDEX_FUNC_SET               1
#define HYPERDEX_FUNC_STRING_APPEND     2
#define HYPERDEX_FUNC_STRING_PREPEND    3
#define HYPERDEX_FUNC_NUM_ADD           4
#define HYPERDEX_FUNC_NUM_SUB           5
#define HYPERDEX_FUNC_NUM_MUL           6
#define HYPERDEX_FUNC_NUM_DIV           7
#define HYPERDEX_FUNC_NUM_MOD           8
#define HYPERDEX_FUNC_NUM_AND           9
#define HYPERDEX_FUNC_NUM_OR            10
#define HYPERDEX_FUNC_NUM_XOR           11
#define HYPERDEX_FUNC_LIST_LPUSH        12
#define HYPERDEX_FUNC_LIST_RPUSH        13
#define HYPERDEX_FUNC_SET_ADD           14
#define HYPERDEX_FUNC_SET_REMOVE        15
#define HYPERDEX_FUNC_SET_INTERSECT     16
#define HYPERDEX_FUNC_SET_UNION         17
#define HYPERDEX_FUNC_MAP_ADD           18
#define HYPERDEX_FUNC_MAP_REMOVE        19

/* Comparisons in checks: REQ_ATOMIC's conditions and the predicates of REQ_SEARCH, REQ_COUNT and
 * REQ_GROUP_DEL (field 0 of each check). */
#define HYPERDEX_CHECK_EQUALS           1
#define HYPERDEX_CHECK_LESS_THAN        2
#define HYPERDEX_CHECK_LESS_EQUAL       3
#define HYPERDEX_CHECK_GREATER_EQUAL    4
#define HYPERDEX_CHECK_GREATER_THAN     5

/* Search results travel in RESP_SEARCH_ITEMS batches of at most this many objects; in a search
 * without sort by, a daemon also closes a batch once it holds about HYPERDEX_SEARCH_BATCH_BYTES_MAX
 * bytes of keys and values. */
#define HYPERDEX_SEARCH_BATCH_OBJECTS_MAX 256
#define HYPERDEX_SEARCH_BATCH_BYTES_MAX   (1024 * 1024)

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HYPERDEX_HYPERDEX_H */
