/* HyperDex: attribute types and wire-protocol constants for C programs.
 *
 * Everything here mirrors src/common/datatypes.ts (`Datatype`) and src/common/protocol.ts
 * (`MsgType`, `FRAME`, `LIMITS`), which are the source of truth; test/protocol-constants.test.ts
 * fails when the two drift apart. Return codes live in hyperclient_status.h.
 */
#ifndef HYPERDEX_HYPERDEX_H
#define HYPERDEX_HYPERDEX_H

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

/* Message types, numbered by family: 0x01xx between anyone and the coordinator, 0x02xx client
 * requests to daemons and their responses, 0x7fxx protocol errors. */
#define HYPERDEX_MSG_CONFIG_SUBSCRIBE   0x0101
#define HYPERDEX_MSG_CONFIG             0x0102
#define HYPERDEX_MSG_DAEMON_REGISTER    0x0103
#define HYPERDEX_MSG_DAEMON_REGISTERED  0x0104
#define HYPERDEX_MSG_SPACE_ADD          0x0105
#define HYPERDEX_MSG_SPACE_RM           0x0106
#define HYPERDEX_MSG_SPACE_LIST         0x0107
#define HYPERDEX_MSG_SPACE_LIST_RESP    0x0108
#define HYPERDEX_MSG_COORD_RESP         0x0109

#define HYPERDEX_MSG_REQ_GET            0x0201
#define HYPERDEX_MSG_RESP_GET           0x0202
#define HYPERDEX_MSG_REQ_ATOMIC         0x0203
#define HYPERDEX_MSG_RESP_ATOMIC        0x0204
#define HYPERDEX_MSG_REQ_DEL            0x0205
#define HYPERDEX_MSG_RESP_DEL           0x0206

#define HYPERDEX_MSG_ERROR              0x7f01

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HYPERDEX_HYPERDEX_H */
