/* A small JSON reader for the C tests and the JSON bridge; see json.h. Recursive descent, depth-limited. */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_DEPTH_MAX 64

struct parser
{
    const char* p;
    const char* end;
    const char* start;
    char* err;
    size_t err_len;
    int failed;
};

static void
fail(struct parser* ps, const char* fmt, ...)
{
    if (ps->failed)
    {
        return;
    }
    ps->failed = 1;
    if (ps->err != NULL && ps->err_len > 0)
    {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(ps->err, ps->err_len, "offset %zu: %s", (size_t)(ps->p - ps->start), msg);
    }
}

static void
skip_ws(struct parser* ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    {
        ++ps->p;
    }
}

static struct json*
new_node(struct parser* ps, enum json_kind kind)
{
    struct json* j = calloc(1, sizeof *j);
    if (j == NULL)
    {
        fail(ps, "out of memory");
        return NULL;
    }
    j->kind = kind;
    return j;
}

/* A growable byte string. */
struct sbuf
{
    char* data;
    size_t len;
    size_t cap;
};

static int
sbuf_put(struct sbuf* s, const char* p, size_t n)
{
    if (s->len + n + 1 > s->cap)
    {
        size_t cap = s->cap < 32 ? 32 : s->cap;
        while (cap < s->len + n + 1)
        {
            cap *= 2;
        }
        char* data = realloc(s->data, cap);
        if (data == NULL)
        {
            return -1;
        }
        s->data = data;
        s->cap = cap;
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
    s->data[s->len] = '\0';
    return 0;
}

static int
hex4(struct parser* ps, unsigned* out)
{
    if (ps->end - ps->p < 4)
    {
        fail(ps, "short \\u escape");
        return -1;
    }
    unsigned v = 0;
    for (int i = 0; i < 4; ++i)
    {
        char c = *ps->p++;
        v <<= 4;
        if (c >= '0' && c <= '9')
        {
            v |= (unsigned)(c - '0');
        }
        else if (c >= 'a' && c <= 'f')
        {
            v |= (unsigned)(c - 'a' + 10);
        }
        else if (c >= 'A' && c <= 'F')
        {
            v |= (unsigned)(c - 'A' + 10);
        }
        else
        {
            fail(ps, "bad \\u escape");
            return -1;
        }
    }
    *out = v;
    return 0;
}

static int
put_utf8(struct sbuf* s, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80)
    {
        b[0] = (char)cp;
        n = 1;
    }
    else if (cp < 0x800)
    {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    }
    else if (cp < 0x10000)
    {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    }
    else
    {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return sbuf_put(s, b, n);
}

/* Parses a string at ps->p (on the opening quote) into s. */
static int
parse_string_bytes(struct parser* ps, struct sbuf* s)
{
    ++ps->p; /* the quote */
    if (sbuf_put(s, "", 0) < 0)
    {
        fail(ps, "out of memory");
        return -1;
    }
    while (ps->p < ps->end && *ps->p != '"')
    {
        const char* run = ps->p;
        while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\')
        {
            if ((unsigned char)*ps->p < 0x20)
            {
                fail(ps, "control character in a string");
                return -1;
            }
            ++ps->p;
        }
        if (sbuf_put(s, run, (size_t)(ps->p - run)) < 0)
        {
            fail(ps, "out of memory");
            return -1;
        }
        if (ps->p < ps->end && *ps->p == '\\')
        {
            ++ps->p;
            if (ps->p >= ps->end)
            {
                break;
            }
            char c = *ps->p++;
            const char* simple = NULL;
            switch (c)
            {
                case '"':
                    simple = "\"";
                    break;
                case '\\':
                    simple = "\\";
                    break;
                case '/':
                    simple = "/";
                    break;
                case 'b':
                    simple = "\b";
                    break;
                case 'f':
                    simple = "\f";
                    break;
                case 'n':
                    simple = "\n";
                    break;
                case 'r':
                    simple = "\r";
                    break;
                case 't':
                    simple = "\t";
                    break;
                case 'u':
                {
                    unsigned cp;
                    if (hex4(ps, &cp) < 0)
                    {
                        return -1;
                    }
                    if (cp >= 0xd800 && cp < 0xdc00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
                        ps->p[1] == 'u')
                    {
                        const char* save = ps->p;
                        unsigned lo;
                        ps->p += 2;
                        if (hex4(ps, &lo) < 0)
                        {
                            return -1;
                        }
                        if (lo >= 0xdc00 && lo < 0xe000)
                        {
                            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        }
                        else
                        {
                            ps->p = save;
                        }
                    }
                    if (put_utf8(s, cp) < 0)
                    {
                        fail(ps, "out of memory");
                        return -1;
                    }
                    break;
                }
                default:
                    fail(ps, "bad escape \\%c", c);
                    return -1;
            }
            if (simple != NULL && sbuf_put(s, simple, 1) < 0)
            {
                fail(ps, "out of memory");
                return -1;
            }
        }
    }
    if (ps->p >= ps->end)
    {
        fail(ps, "unterminated string");
        return -1;
    }
    ++ps->p; /* the closing quote */
    return 0;
}

static struct json* parse_value(struct parser* ps, int depth);

/* Appends an element (and for an object its key). items and keys grow by doubling, so that an array
 * of n elements costs O(n) copying: growing by one each time was quadratic, which an allocator that
 * always moves on realloc (AddressSanitizer's) made take seconds for the bridge's 65,536-entry maps. */
static int
push_item(struct parser* ps, struct json* j, struct json* item, char* key)
{
    if (j->count == j->items_cap)
    {
        if (j->items_cap > ((size_t)-1 / 2) / sizeof(struct json*))
        {
            fail(ps, "out of memory");
            return -1;
        }
        size_t cap = j->items_cap ? 2 * j->items_cap : 4;
        struct json** items = realloc(j->items, cap * sizeof *items);
        if (items == NULL)
        {
            fail(ps, "out of memory");
            return -1;
        }
        j->items = items;
        if (j->kind == JSON_OBJECT)
        {
            char** keys = realloc(j->keys, cap * sizeof *keys);
            if (keys == NULL)
            {
                fail(ps, "out of memory");
                return -1;
            }
            j->keys = keys;
        }
        /* both arrays hold cap now (an object's keys were grown with its items) */
        j->items_cap = cap;
    }
    if (j->kind == JSON_OBJECT) j->keys[j->count] = key;
    j->items[j->count++] = item;
    return 0;
}

static struct json*
parse_container(struct parser* ps, int depth, enum json_kind kind)
{
    char close = kind == JSON_ARRAY ? ']' : '}';
    struct json* j = new_node(ps, kind);
    if (j == NULL)
    {
        return NULL;
    }
    ++ps->p;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close)
    {
        ++ps->p;
        return j;
    }
    for (;;)
    {
        char* key = NULL;
        skip_ws(ps);
        if (kind == JSON_OBJECT)
        {
            struct sbuf s = {NULL, 0, 0};
            if (ps->p >= ps->end || *ps->p != '"')
            {
                fail(ps, "expected a member name");
                json_free(j);
                return NULL;
            }
            if (parse_string_bytes(ps, &s) < 0)
            {
                free(s.data);
                json_free(j);
                return NULL;
            }
            key = s.data;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
            {
                fail(ps, "expected ':'");
                free(key);
                json_free(j);
                return NULL;
            }
            ++ps->p;
        }
        struct json* item = parse_value(ps, depth + 1);
        if (item == NULL || push_item(ps, j, item, key) < 0)
        {
            json_free(item);
            free(key);
            json_free(j);
            return NULL;
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',')
        {
            ++ps->p;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close)
        {
            ++ps->p;
            return j;
        }
        fail(ps, "expected ',' or '%c'", close);
        json_free(j);
        return NULL;
    }
}

static struct json*
parse_value(struct parser* ps, int depth)
{
    if (depth > JSON_DEPTH_MAX)
    {
        fail(ps, "nested too deep");
        return NULL;
    }
    skip_ws(ps);
    if (ps->p >= ps->end)
    {
        fail(ps, "unexpected end");
        return NULL;
    }
    char c = *ps->p;
    if (c == '{')
    {
        return parse_container(ps, depth, JSON_OBJECT);
    }
    if (c == '[')
    {
        return parse_container(ps, depth, JSON_ARRAY);
    }
    if (c == '"')
    {
        struct sbuf s = {NULL, 0, 0};
        if (parse_string_bytes(ps, &s) < 0)
        {
            free(s.data);
            return NULL;
        }
        struct json* j = new_node(ps, JSON_STRING);
        if (j == NULL)
        {
            free(s.data);
            return NULL;
        }
        j->text = s.data;
        j->text_len = s.len;
        return j;
    }
    static const struct
    {
        const char* word;
        enum json_kind kind;
        int boolean;
    } words[] = {{"null", JSON_NULL, 0}, {"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; ++i)
    {
        size_t n = strlen(words[i].word);
        if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, words[i].word, n) == 0)
        {
            ps->p += n;
            struct json* j = new_node(ps, words[i].kind);
            if (j != NULL)
            {
                j->boolean = words[i].boolean;
            }
            return j;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9'))
    {
        const char* start = ps->p;
        ++ps->p;
        while (ps->p < ps->end && (strchr("0123456789.eE+-", *ps->p) != NULL) && *ps->p != '\0')
        {
            ++ps->p;
        }
        struct json* j = new_node(ps, JSON_NUMBER);
        if (j == NULL)
        {
            return NULL;
        }
        struct sbuf s = {NULL, 0, 0};
        if (sbuf_put(&s, start, (size_t)(ps->p - start)) < 0)
        {
            fail(ps, "out of memory");
            free(j);
            return NULL;
        }
        j->text = s.data;
        j->text_len = s.len;
        return j;
    }
    fail(ps, "unexpected character '%c'", c);
    return NULL;
}

struct json*
json_parse(const char* text, size_t len, char* err, size_t err_len)
{
    struct parser ps = {text, text + len, text, err, err_len, 0};
    struct json* j = parse_value(&ps, 0);
    if (j == NULL)
    {
        return NULL;
    }
    skip_ws(&ps);
    if (ps.p != ps.end)
    {
        fail(&ps, "text after the document");
        json_free(j);
        return NULL;
    }
    return j;
}

struct json*
json_read_file(const char* path, char* err, size_t err_len)
{
    FILE* f = fopen(path, "rb");
    if (f == NULL)
    {
        snprintf(err, err_len, "cannot open %s", path);
        return NULL;
    }
    struct sbuf s = {NULL, 0, 0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    {
        if (sbuf_put(&s, chunk, n) < 0)
        {
            fclose(f);
            free(s.data);
            snprintf(err, err_len, "out of memory reading %s", path);
            return NULL;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
    {
        free(s.data);
        snprintf(err, err_len, "cannot read %s", path);
        return NULL;
    }
    char msg[256] = "";
    struct json* j = json_parse(s.data != NULL ? s.data : "", s.len, msg, sizeof msg);
    free(s.data);
    if (j == NULL)
    {
        snprintf(err, err_len, "%s: %s", path, msg);
    }
    return j;
}

void
json_free(struct json* j)
{
    if (j == NULL)
    {
        return;
    }
    for (size_t i = 0; i < j->count; ++i)
    {
        json_free(j->items[i]);
        if (j->keys != NULL)
        {
            free(j->keys[i]);
        }
    }
    free(j->items);
    free(j->keys);
    free(j->text);
    free(j);
}

const struct json*
json_get(const struct json* j, const char* key)
{
    if (j == NULL || j->kind != JSON_OBJECT)
    {
        return NULL;
    }
    for (size_t i = 0; i < j->count; ++i)
    {
        if (strcmp(j->keys[i], key) == 0)
        {
            return j->items[i];
        }
    }
    return NULL;
}

const struct json*
json_at(const struct json* j, size_t i)
{
    if (j == NULL || j->kind != JSON_ARRAY || i >= j->count)
    {
        return NULL;
    }
    return j->items[i];
}

const char*
json_str(const struct json* j)
{
    return j != NULL && j->kind == JSON_STRING ? j->text : NULL;
}
