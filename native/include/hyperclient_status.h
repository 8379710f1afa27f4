/* HyperDex client return codes.
 *
 * The numbers are HyperDex 0.4's `hyperclient_returncode` values plus our additions in free
 * slots. They mirror `Status` in src/common/protocol.ts, which is the source of truth;
 * test/protocol-constants.test.ts fails when the two drift apart.
 */
#ifndef HYPERDEX_HYPERCLIENT_STATUS_H
#define HYPERDEX_HYPERCLIENT_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

enum hyperclient_returncode
{
    HYPERCLIENT_SUCCESS      = 8448,
    HYPERCLIENT_NOTFOUND     = 8449,
    HYPERCLIENT_SEARCHDONE   = 8450,
    HYPERCLIENT_CMPFAIL      = 8451,
    HYPERCLIENT_READONLY     = 8452,

    HYPERCLIENT_UNKNOWNSPACE = 8512,
    HYPERCLIENT_COORDFAIL    = 8513,
    HYPERCLIENT_SERVERERROR  = 8514,
    HYPERCLIENT_POLLFAILED   = 8515,
    HYPERCLIENT_OVERFLOW     = 8516,
    HYPERCLIENT_RECONFIGURE  = 8517,
    HYPERCLIENT_LOGICERROR   = 8518,
    HYPERCLIENT_TIMEOUT      = 8519,
    HYPERCLIENT_UNKNOWNATTR  = 8520,
    HYPERCLIENT_DUPEATTR     = 8521,
    HYPERCLIENT_SEEERRNO     = 8522,
    HYPERCLIENT_NONEPENDING  = 8523,
    HYPERCLIENT_DONTUSEKEY   = 8524,
    HYPERCLIENT_WRONGTYPE    = 8525,
    HYPERCLIENT_NOMEM        = 8526,
    HYPERCLIENT_CONNECTFAIL  = 8527,
    HYPERCLIENT_DISCONNECT   = 8528,
    /* A request the receiver could not decode or that breaks the protocol's rules. */
    HYPERCLIENT_BADREQUEST   = 8529,
    /* add-space: the description does not parse, or a space of that name exists. */
    HYPERCLIENT_BADSPACE     = 8530,
    /* The sender has not proven it may send this: a daemon-to-daemon message on a connection that
     * has not passed the peer handshake, a registration without a valid proof of the cluster
     * secret, a REGION_MOVED from a connection that does not hold the region. */
    HYPERCLIENT_UNAUTHORIZED = 8531,
    /* Client libraries only: the connection closed after a write was sent and before its reply.
     * The write may or may not have been applied; the library does not send it again. */
    HYPERCLIENT_UNKNOWNOUTCOME = 8532,

    HYPERCLIENT_EXCEPTION    = 8574,
    HYPERCLIENT_ZERO         = 8575,
    HYPERCLIENT_A            = 8576,
    HYPERCLIENT_B            = 8577
};

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HYPERDEX_HYPERCLIENT_STATUS_H */
