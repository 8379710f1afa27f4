/* Names of HyperDex's constants, and tables that enumerate every (name, value) pair.
 *
 * Names are the full C identifiers ("HYPERCLIENT_SUCCESS", "HYPERDATATYPE_STRING",
 * "HYPERDEX_MSG_REQ_GET"); each starts with the matching *_PREFIX below.
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

/* The name of a code, e.g. "HYPERCLIENT_SUCCESS", or NULL for a number that is no code. */
const char* hyperdex_returncode_name(enum hyperclient_returncode code);
/* The name of a type, e.g. "HYPERDATATYPE_STRING", or NULL for a number that is no type. */
const char* hyperdex_datatype_name(enum hyperdatatype type);
/* The name of a message type, e.g. "HYPERDEX_MSG_REQ_GET", or NULL for an unknown number. */
const char* hyperdex_msgtype_name(int type);

/* Tables: *_count() entries, in ascending order of value. *_at(i, &name, &value) stores the i-th
 * entry's name and value and returns 0, or returns -1 (storing nothing) when i >= *_count().
 * Either pointer may be NULL. */
size_t hyperdex_returncode_count(void);
int hyperdex_returncode_at(size_t i, const char** name, int* value);

size_t hyperdex_datatype_count(void);
int hyperdex_datatype_at(size_t i, const char** name, int* value);

size_t hyperdex_msgtype_count(void);
int hyperdex_msgtype_at(size_t i, const char** name, int* value);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HYPERDEX_HYPERDEX_CONSTANTS_H */
