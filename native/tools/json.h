/* A small JSON reader for the C tests and the JSON bridge: parses a whole document into a tree. Object members keep
 * their order; numbers keep their text, so that 64-bit integers and doubles convert exactly;
 * strings are decoded to bytes (\u escapes to UTF-8, surrogate pairs joined) and may hold NUL. */
#ifndef HYPERDEX_TEST_JSON_H
#define HYPERDEX_TEST_JSON_H

#include <stddef.h>

enum json_kind
{
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
};

struct json
{
    enum json_kind kind;
    int boolean;
    char* text;        /* JSON_NUMBER: the number as written; JSON_STRING: the bytes, NUL-ended */
    size_t text_len;   /* bytes in text, the final NUL excluded */
    size_t count;      /* JSON_ARRAY, JSON_OBJECT: elements or members */
    size_t items_cap;  /* room in items (and keys) for the parser; count of them are set */
    struct json** items;
    char** keys;       /* JSON_OBJECT: member names, NUL-ended */
};

/* Parses a whole document; NULL (and a message in err) on a syntax error or out of memory. */
struct json* json_parse(const char* text, size_t len, char* err, size_t err_len);
/* Reads and parses a file; NULL with a message in err on failure. */
struct json* json_read_file(const char* path, char* err, size_t err_len);
void json_free(struct json* j);

/* The member `key` of an object, or NULL (also when j is NULL or not an object). */
const struct json* json_get(const struct json* j, const char* key);
/* The i-th element of an array, or NULL. */
const struct json* json_at(const struct json* j, size_t i);
/* The string of a JSON_STRING, or NULL. */
const char* json_str(const struct json* j);

#endif
