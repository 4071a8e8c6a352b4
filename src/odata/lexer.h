/*
 * odata/lexer.h - the tokens of an OData $filter expression (module-internal).
 *
 * The lexer turns the percent-decoded $filter text into tokens one at a time: names (also
 * qualified, e.g. microsoft.graph.groupAssignmentTarget), typed literals (a name directly followed
 * by a quoted string: microsoft.graph.deviceManagementPartnerTenantState'enabled'), string
 * literals with '' escapes, numbers, unquoted DateTimeOffset literals, true/false/null, the
 * punctuation ( ) , / : and the keywords eq ne gt ge lt le and or not in.  Keywords are
 * lowercase, as in the OData ABNF.  Every token carries its character offset (counted in code
 * points, 0-based, like ODataLib's positions) for messages.
 */
#ifndef CMP_ODATA_LEXER_H
#define CMP_ODATA_LEXER_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct cmp_error;

enum odata__tok {
    ODATA__T_EOF,
    ODATA__T_IDENT,    /* a name, maybe qualified: text/len */
    ODATA__T_TYPED,    /* name'value': text/len is the type name, str/str_len the value */
    ODATA__T_STRING,   /* 'value': str/str_len, unescaped */
    ODATA__T_NUMBER,   /* text/len, e.g. -1.5e3 */
    ODATA__T_DATETIME, /* text/len, ticks */
    ODATA__T_TRUE,
    ODATA__T_FALSE,
    ODATA__T_NULL,
    ODATA__T_LPAREN,
    ODATA__T_RPAREN,
    ODATA__T_COMMA,
    ODATA__T_SLASH,
    ODATA__T_COLON,
    ODATA__T_EQ,
    ODATA__T_NE,
    ODATA__T_GT,
    ODATA__T_GE,
    ODATA__T_LT,
    ODATA__T_LE,
    ODATA__T_AND,
    ODATA__T_OR,
    ODATA__T_NOT,
    ODATA__T_IN
};

struct odata__token {
    enum odata__tok kind;
    size_t pos;       /* character offset of the first character */
    const char *text; /* borrowed from the source: the whole token (the type name for TYPED) */
    size_t len;
    const char *str; /* STRING, TYPED: the unescaped value, NUL-terminated, arena-owned */
    size_t str_len;
    int64_t ticks; /* DATETIME */
};

struct odata__lexer {
    const char *src;
    size_t len;
    size_t off; /* byte offset of the next character */
    size_t pos; /* its character offset */
    struct arena *a;
};

/* Start lexing `src` (`len` bytes, valid UTF-8 without NUL; the caller checks). */
void odata__lex_init(struct odata__lexer *lx, struct arena *a, const char *src, size_t len);

/* The next token into *out.  0, or CMP_EBADQUERY / CMP_ENOMEM with `err` filled. */
int odata__lex_next(struct odata__lexer *lx, struct odata__token *out, struct cmp_error *err);

/* A short description of a token for messages: "'eq'", "string literal 'x'", "end of input". */
const char *odata__lex_describe(const struct odata__token *t, char *buf, size_t size);

/*
 * Record CMP_EBADQUERY with "Invalid filter clause: <message> at position <pos>." and return it.
 */
int odata__lex_fail(struct cmp_error *err, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Copy at most ODATA__QUOTE_MAX bytes of `s` into `buf` (which has ODATA__QUOTE_MAX + 4 bytes),
 * cut on a UTF-8 character boundary and marked "..." when cut, for quoting user text in messages.
 */
#define ODATA__QUOTE_MAX 80
const char *odata__lex_quote(char *buf, const char *s, size_t n);

#endif
