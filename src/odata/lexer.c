/*
 * odata/lexer.c - tokens of an OData $filter expression (see lexer.h).
 *
 * Whitespace is space or tab (OData BWS).  A run that starts with a digit, or with '-' and a
 * digit, is read whole (up to a space, a parenthesis or a comma) and must then be a number or a
 * DateTimeOffset, so "12ab" or "2026-13-01T00:00:00Z" fail at the literal rather than later.
 * Characters outside names, literals and the punctuation above are refused where they stand.
 */
#include "odata/lexer.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/time.h"

int odata__lex_fail(struct cmp_error *err, size_t pos, const char *fmt, ...)
{
    char what[CMP_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* "Invalid filter clause: Expression expected at position 14." (ODataLib's capitals) */
    if (what[0] >= 'a' && what[0] <= 'z')
        what[0] = (char)(what[0] - 'a' + 'A');
    return cmp_error_set(err, CMP_EBADQUERY, "Invalid filter clause: %s at position %zu.", what,
                         pos);
}

/* Bytes of the UTF-8 sequence that starts with `c` (1 for anything that is not a lead byte). */
static size_t utf8_len(unsigned char c)
{
    if (c >= 0xf0 && c < 0xf8)
        return 4;
    if (c >= 0xe0)
        return c < 0xf0 ? 3 : 1;
    if (c >= 0xc0)
        return 2;
    return 1;
}

const char *odata__lex_quote(char *buf, const char *s, size_t n)
{
    size_t k = 0;

    while (k < n) {
        size_t step = utf8_len((unsigned char)s[k]);
        if (step > n - k || k + step > ODATA__QUOTE_MAX)
            break;
        k += step;
    }
    memcpy(buf, s, k);
    if (k < n) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

void odata__lex_init(struct odata__lexer *lx, struct arena *a, const char *src, size_t len)
{
    lx->src = src;
    lx->len = len;
    lx->off = 0;
    lx->pos = 0;
    lx->a = a;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || is_digit(c);
}

/* Move over `n` bytes, counting characters (continuation bytes do not start one). */
static void advance(struct odata__lexer *lx, size_t n)
{
    size_t end = lx->off + n;

    for (; lx->off < end; lx->off++)
        if (((unsigned char)lx->src[lx->off] & 0xc0) != 0x80)
            lx->pos++;
}

static char peek(const struct odata__lexer *lx, size_t ahead)
{
    return lx->off + ahead < lx->len ? lx->src[lx->off + ahead] : '\0';
}

/* ---- literals ---- */

/* A quoted string at lx->off: unescape '' into an arena copy. */
static int lex_quoted(struct odata__lexer *lx, struct odata__token *t, size_t start_pos,
                      struct cmp_error *err)
{
    const char *s = lx->src;
    size_t i = lx->off + 1;
    size_t o = 0;
    char *out = arena_alloc(lx->a, lx->len - lx->off);

    if (!out)
        return cmp_error_set(err, CMP_ENOMEM, NULL);
    for (;;) {
        if (i >= lx->len)
            return odata__lex_fail(err, start_pos, "unterminated string literal");
        if (s[i] == '\'') {
            if (i + 1 < lx->len && s[i + 1] == '\'') {
                out[o++] = '\'';
                i += 2;
                continue;
            }
            break;
        }
        out[o++] = s[i++];
    }
    out[o] = '\0';
    t->str = out;
    t->str_len = o;
    advance(lx, i + 1 - lx->off);
    return 0;
}

/* Move *i over a run of digits of s[..n); false when there is none. */
static bool digits(const char *s, size_t n, size_t *i)
{
    size_t start = *i;

    while (*i < n && is_digit(s[*i]))
        (*i)++;
    return *i > start;
}

/* Does `s` (n bytes) match -?d+(.d+)?([eE][+-]?d+)? ? */
static bool is_number(const char *s, size_t n)
{
    size_t i = 0;

    if (i < n && s[i] == '-')
        i++;
    if (!digits(s, n, &i))
        return false;
    if (i < n && s[i] == '.') {
        i++;
        if (!digits(s, n, &i))
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (!digits(s, n, &i))
            return false;
    }
    return i == n;
}

/* yyyy-mm-dd at the start of `s`? */
static bool looks_like_date(const char *s, size_t n)
{
    return n >= 10 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
           s[4] == '-' && is_digit(s[5]) && is_digit(s[6]) && s[7] == '-' && is_digit(s[8]) &&
           is_digit(s[9]);
}

/* A decoded '+' is a space: "…T08:15:00 01:00" most likely lost its '+' to the URL encoding. */
static bool lost_plus(const struct odata__lexer *lx, size_t end)
{
    const char *s = lx->src;

    return end + 6 <= lx->len && s[end] == ' ' && is_digit(s[end + 1]) && is_digit(s[end + 2]) &&
           s[end + 3] == ':' && is_digit(s[end + 4]) && is_digit(s[end + 5]);
}

/* A number or a DateTimeOffset: the run of literal characters at lx->off. */
static int lex_number(struct odata__lexer *lx, struct odata__token *t, struct cmp_error *err)
{
    const char *s = lx->src + lx->off;
    size_t n = 1;
    char q[ODATA__QUOTE_MAX + 4];

    while (lx->off + n < lx->len && (is_name_char(s[n]) || (s[n] && strchr(".:+-", s[n]))))
        n++;
    t->text = s;
    t->len = n;
    if (is_number(s, n)) {
        t->kind = ODATA__T_NUMBER;
    } else if (looks_like_date(s, n)) {
        if (time_parse_datetimeoffset(s, n, &t->ticks))
            return odata__lex_fail(
                err, t->pos,
                "invalid DateTimeOffset literal '%s' (expected a date, a time and an offset, "
                "e.g. 2026-11-01T08:15:00Z%s)",
                odata__lex_quote(q, s, n),
                lost_plus(lx, lx->off + n) ? "; a '+' in a URL must be sent as %2B" : "");
        t->kind = ODATA__T_DATETIME;
    } else {
        return odata__lex_fail(err, t->pos, "invalid literal '%s'", odata__lex_quote(q, s, n));
    }
    advance(lx, n);
    return 0;
}

/* ---- names and keywords ---- */

static const struct {
    const char *word;
    enum odata__tok kind;
} keywords[] = {
    {"eq", ODATA__T_EQ},       {"ne", ODATA__T_NE},     {"gt", ODATA__T_GT},
    {"ge", ODATA__T_GE},       {"lt", ODATA__T_LT},     {"le", ODATA__T_LE},
    {"and", ODATA__T_AND},     {"or", ODATA__T_OR},     {"not", ODATA__T_NOT},
    {"in", ODATA__T_IN},       {"true", ODATA__T_TRUE}, {"null", ODATA__T_NULL},
    {"false", ODATA__T_FALSE},
};

/* A name, a qualified name (segments joined by '.'), a keyword, or a typed literal. */
static int lex_name(struct odata__lexer *lx, struct odata__token *t, struct cmp_error *err)
{
    const char *s = lx->src + lx->off;
    size_t avail = lx->len - lx->off;
    size_t n = 1;
    bool qualified = false;
    size_t i;

    for (;;) {
        while (n < avail && is_name_char(s[n]))
            n++;
        if (n + 1 < avail && s[n] == '.' && is_name_start(s[n + 1])) {
            qualified = true;
            n++;
            continue;
        }
        break;
    }
    t->kind = ODATA__T_IDENT;
    t->text = s;
    t->len = n;
    if (!qualified) {
        for (i = 0; i < sizeof keywords / sizeof *keywords; i++) {
            if (strlen(keywords[i].word) == n && memcmp(keywords[i].word, s, n) == 0) {
                t->kind = keywords[i].kind;
                advance(lx, n);
                return 0;
            }
        }
    }
    advance(lx, n);
    if (peek(lx, 0) == '\'') {
        t->kind = ODATA__T_TYPED;
        return lex_quoted(lx, t, t->pos, err);
    }
    return 0;
}

/* ---- the token loop ---- */

static int unexpected(const struct odata__lexer *lx, size_t pos, struct cmp_error *err)
{
    unsigned char c = (unsigned char)lx->src[lx->off];
    size_t n = utf8_len(c);

    if (c < 0x20 || c == 0x7f)
        return odata__lex_fail(err, pos, "syntax error: unexpected character U+%04X", c);
    if (n > lx->len - lx->off)
        n = 1;
    return odata__lex_fail(err, pos, "syntax error: unexpected character '%.*s'", (int)n,
                           lx->src + lx->off);
}

int odata__lex_next(struct odata__lexer *lx, struct odata__token *t, struct cmp_error *err)
{
    static const char punct[] = "(),/:";
    static const enum odata__tok punct_kind[] = {ODATA__T_LPAREN, ODATA__T_RPAREN, ODATA__T_COMMA,
                                                 ODATA__T_SLASH, ODATA__T_COLON};
    const char *p;
    char c;

    while (lx->off < lx->len && (lx->src[lx->off] == ' ' || lx->src[lx->off] == '\t'))
        advance(lx, 1);
    memset(t, 0, sizeof *t);
    t->pos = lx->pos;
    t->text = lx->src + lx->off;
    if (lx->off >= lx->len) {
        t->kind = ODATA__T_EOF;
        return 0;
    }
    c = lx->src[lx->off];
    if (is_name_start(c))
        return lex_name(lx, t, err);
    if (c == '\'') {
        t->kind = ODATA__T_STRING;
        return lex_quoted(lx, t, t->pos, err);
    }
    if (is_digit(c) || (c == '-' && is_digit(peek(lx, 1))))
        return lex_number(lx, t, err);
    p = c ? strchr(punct, c) : NULL;
    if (!p)
        return unexpected(lx, t->pos, err);
    t->kind = punct_kind[p - punct];
    t->len = 1;
    advance(lx, 1);
    return 0;
}

const char *odata__lex_describe(const struct odata__token *t, char *buf, size_t size)
{
    char q[ODATA__QUOTE_MAX + 4];

    switch (t->kind) {
    case ODATA__T_EOF:
        snprintf(buf, size, "end of input");
        break;
    case ODATA__T_STRING:
        snprintf(buf, size, "string literal '%s'", odata__lex_quote(q, t->str, t->str_len));
        break;
    case ODATA__T_TYPED:
        snprintf(buf, size, "literal %s'...'", odata__lex_quote(q, t->text, t->len));
        break;
    default:
        snprintf(buf, size, "'%s'", odata__lex_quote(q, t->text, t->len));
        break;
    }
    return buf;
}
