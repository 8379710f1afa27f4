/* Names of HyperDex's constants, and tables that enumerate every (name, value) pair: return codes
 * (hyperclient_status.h), datatypes, message types, REQ_ATOMIC's flags, func ops and check ops
 * (hyperdex.h).
 *
 * Names are the full C identifiers ("HYPERCLIENT_SUCCESS", "HYPERDATATYPE_STRING",
 * "HYPERDEX_MSG_REQ_GET", "HYPERDEX_ATOMIC_ERASE", "HYPERDEX_FUNC_SET", "HYPERDEX_CHECK_EQUALS");
 * each starts with the matching *_PREFIX below.
 */
#ifndef HYPERDEX_HYPERDEX_CONSTANTS_H
#define HYPERDEX_HYPERDEX_CONSTANTS_H

#include <stddef.h>

#include "hyperdex.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HYPERDEX_RETURNCODE_PREFIX "HYPERCLIENT_"
#define HYPERDEX_DATATYPE_PREFIX "HYPERDATATYPE_"
#define HYPERDEX_MSGTYPE_PREFIX "HYPERDEX_MSG_"
#define HYPERDEX_ATOMICFLAG_PREFIX "HYPERDEX_ATOMIC_"
#define HYPERDEX_FUNCOP_PREFIX "HYPERDEX_FUNC_"
#define HYPERDEX_CHECKOP_PREFIX "HYPERDEX_CHECK_"

/* The name of a code, e.g. "HYPERCLIENT_SUCCESS", or NULL for a number that is no code. */
const char* hyperdex_returncode_name(enum hyperclient_returncode code);
/* The name of a type, e.g. "HYPERDATATYPE_STRING", or NULL for a number that is no type. */
const char* hyperdex_datatype_name(enum hyperdatatype type);
/* The name of a message type, e.g. "HYPERDEX_MSG_REQ_GET", or NULL for an unknown number. */
const char* hyperdex_msgtype_name(int type);
/* The name of one flag of REQ_ATOMIC, e.g. "HYPERDEX_ATOMIC_ERASE", or NULL for a number that is
 * not exactly one flag (0, 3 and 5 included). */
const char* hyperdex_atomicflag_name(int flag);
/* The name of a func op, e.g. "HYPERDEX_FUNC_SET", or NULL for an unknown number. */
const char* hyperdex_funcop_name(int op);
/* The name of a check op, e.g. "HYPERDEX_CHECK_EQUALS", or NULL for an unknown number. */
const char* hyperdex_checkop_name(int op);

/* Tables: *_count() entries, in ascending order of value. *_at(i, &name, &value) stores the i-th
 * entry's name and value and returns 0, or returns -1 (storing nothing) when i >= *_count().
 * Either pointer may be NULL. */
size_t hyperdex_returncode_count(void);
int hyperdex_returncode_at(size_t i, const char** name, int* value);

size_t hyperdex_datatype_count(void);
int hyperdex_datatype_at(size_t i, const char** name, int* value);

size_t hyperdex_msgtype_count(void);
int hyperdex_msgtype_at(size_t i, const char** name, int* value);

size_t hyperdex_atomicflag_count(void);
int hyperdex_atomicflag_at(size_t i, const char** name, int* value);

size_t hyperdex_funcop_count(void);
int hyperdex_funcop_at(size_t i, const char** name, int* value);

size_t hyperdex_checkop_count(void);
int hyperdex_checkop_at(size_t i, const char** name, int* value);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HYPERDEX_HYPERDEX_CONSTANTS_H */
