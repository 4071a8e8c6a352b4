/*
 * odata/paging.c - the $skiptoken: a keyset position, authenticated with HMAC-SHA256.
 *
 * Layout before base64url: format (1) | seq (8, big-endian) | key count (1) | keys | MAC (16).
 * A key is a type byte and its payload: null nothing, bool 1 byte, string a 4-byte length and
 * the bytes, datetime and enum 8 bytes.  The MAC covers everything before it and the binding.
 */
#include "odata/paging.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

#define TOKEN_FORMAT 1
#define MAC_LEN 16
#define MAX_TOKEN_BYTES (64 * 1024)

static int invalid(struct cmp_error *err)
{
    return cmp_error_set(err, CMP_EBADQUERY,
                         "The $skiptoken is invalid: it must be used exactly as returned in "
                         "@odata.nextLink, with the same query options and the same caller.");
}

const char *odata_paging_binding(struct arena *a, const char *tenant, const char *version,
                                 const struct odata_query *q)
{
    return arena_sprintf(a,
                         "cmpd-skiptoken\n%s\n%s\nfilter=%s\norderby=%s\nselect=%s\ntop=%lld\n"
                         "count=%d\n",
                         tenant, version, q->filter_text ? q->filter_text : "",
                         q->orderby_text ? q->orderby_text : "",
                         q->select_text ? q->select_text : "", (long long)q->top, q->count);
}

/* The MAC of body || binding (HMAC-SHA256, truncated).  0, or -1 if it cannot be computed. */
static int mac(const unsigned char *key, const unsigned char *body, size_t n, const char *binding,
               unsigned char out[MAC_LEN])
{
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int full_len = 0;
    struct buf msg;

    int rc = -1;

    buf_init(&msg, MAX_TOKEN_BYTES * 2);
    if (!buf_append(&msg, body, n) && !buf_puts(&msg, binding) &&
        HMAC(EVP_sha256(), key, ODATA_PAGING_KEY_LEN, (const unsigned char *)msg.data, msg.len,
             full, &full_len) &&
        full_len >= MAC_LEN) {
        memcpy(out, full, MAC_LEN);
        rc = 0;
    }
    buf_fini(&msg);
    return rc;
}

static int put_u64(struct buf *b, uint64_t v)
{
    unsigned char p[8];
    int i;

    for (i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    return buf_append(b, p, 8);
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static int put_value(struct buf *b, const struct odata_value *v)
{
    unsigned char t = (unsigned char)v->type;
    int rc = buf_append(b, &t, 1);

    if (rc)
        return rc;
    switch (v->type) {
    case ODATA_V_NULL:
        return 0;
    case ODATA_V_BOOL:
        t = v->u.b ? 1 : 0;
        return buf_append(b, &t, 1);
    case ODATA_V_STRING: {
        unsigned char len[4] = {(unsigned char)(v->u.s.n >> 24), (unsigned char)(v->u.s.n >> 16),
                                (unsigned char)(v->u.s.n >> 8), (unsigned char)v->u.s.n};
        rc = buf_append(b, len, 4);
        return rc ? rc : buf_append(b, v->u.s.p, v->u.s.n);
    }
    case ODATA_V_DATETIME:
        return put_u64(b, (uint64_t)v->u.ticks);
    case ODATA_V_ENUM:
        return put_u64(b, (uint64_t)v->u.i);
    }
    return CMP_EINTERNAL;
}

int odata_skiptoken_make(struct arena *a, const unsigned char key[ODATA_PAGING_KEY_LEN],
                         const char *binding, const struct odata_position *pos, char **out,
                         struct cmp_error *err)
{
    struct buf b;
    unsigned char tag[MAC_LEN];
    unsigned char head[2] = {TOKEN_FORMAT, (unsigned char)pos->key_count};
    size_t i;
    int rc;

    if (pos->key_count > ODATA_MAX_ORDERBY)
        return cmp_error_set(err, CMP_EINTERNAL, NULL);
    buf_init(&b, MAX_TOKEN_BYTES);
    rc = buf_append(&b, head, 1);
    if (!rc)
        rc = put_u64(&b, (uint64_t)pos->seq);
    if (!rc)
        rc = buf_append(&b, head + 1, 1);
    for (i = 0; !rc && i < pos->key_count; i++)
        rc = put_value(&b, &pos->keys[i]);
    if (!rc)
        rc = mac(key, (const unsigned char *)b.data, b.len, binding, tag) ? CMP_EINTERNAL : 0;
    if (!rc)
        rc = buf_append(&b, tag, MAC_LEN);
    if (!rc) {
        *out = str_base64url_encode(a, (const unsigned char *)b.data, b.len);
        rc = *out ? 0 : CMP_ENOMEM;
    }
    buf_fini(&b);
    return rc ? cmp_error_set(err, rc, NULL) : 0;
}

/* Read one key at *at of `body` (n bytes).  0, or -1 when malformed. */
static int get_value(struct arena *a, const unsigned char *body, size_t n, size_t *at,
                     struct odata_value *v)
{
    size_t i = *at;
    size_t len;

    if (i >= n)
        return -1;
    memset(v, 0, sizeof *v);
    v->type = (enum odata_vtype)body[i++];
    switch (body[i - 1]) {
    case ODATA_V_NULL:
        break;
    case ODATA_V_BOOL:
        if (i >= n || body[i] > 1)
            return -1;
        v->u.b = body[i++] == 1;
        break;
    case ODATA_V_STRING:
        if (n - i < 4)
            return -1;
        len = (size_t)body[i] << 24 | (size_t)body[i + 1] << 16 | (size_t)body[i + 2] << 8 |
              body[i + 3];
        i += 4;
        if (len > n - i)
            return -1;
        v->u.s.p = arena_strndup(a, (const char *)body + i, len);
        v->u.s.n = len;
        if (!v->u.s.p)
            return -1;
        i += len;
        break;
    case ODATA_V_DATETIME:
    case ODATA_V_ENUM:
        if (n - i < 8)
            return -1;
        if (v->type == ODATA_V_DATETIME)
            v->u.ticks = (int64_t)get_u64(body + i);
        else
            v->u.i = (int64_t)get_u64(body + i);
        i += 8;
        break;
    default:
        return -1;
    }
    *at = i;
    return 0;
}

int odata_skiptoken_read(struct arena *a, const unsigned char key[ODATA_PAGING_KEY_LEN],
                         const char *binding, const char *token, size_t n,
                         struct odata_position *out, struct cmp_error *err)
{
    unsigned char *raw;
    size_t raw_len;
    size_t body_len;
    size_t at = 10;
    unsigned char tag[MAC_LEN];
    size_t i;

    if (n == 0 || n > MAX_TOKEN_BYTES || str_base64url_decode(a, token, n, &raw, &raw_len) ||
        raw_len < 10 + MAC_LEN)
        return invalid(err);
    body_len = raw_len - MAC_LEN;
    /* Authenticate before reading anything else out of the token. */
    if (mac(key, raw, body_len, binding, tag) || CRYPTO_memcmp(tag, raw + body_len, MAC_LEN) != 0 ||
        raw[0] != TOKEN_FORMAT || raw[9] > ODATA_MAX_ORDERBY)
        return invalid(err);
    memset(out, 0, sizeof *out);
    out->seq = (int64_t)get_u64(raw + 1);
    out->key_count = raw[9];
    for (i = 0; i < out->key_count; i++)
        if (get_value(a, raw, body_len, &at, &out->keys[i]))
            return invalid(err);
    if (at != body_len || out->seq < 0)
        return invalid(err);
    return 0;
}
