/*
 * core/err.c - the tables behind core/err.h.
 */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

struct err_info {
    int status;
    const char *code;
    int wrapped;
    const char *msg;
};

static const struct err_info infos[CMP_E_COUNT] = {[CMP_OK] = {200, "", 0, ""},
#define X(name, status, code, wrapped, msg) [CMP_E##name] = {status, code, wrapped, msg},
                                                   CMP_ERRORS(X)
#undef X
};

static const struct err_info *info(int code)
{
    if (code <= 0 || code >= CMP_E_COUNT)
        return &infos[CMP_EINTERNAL];
    return &infos[code];
}

int cmp_error_set(struct cmp_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err || err->code)
        return code;
    err->code = code;
    err->msg[0] = '\0';
    if (fmt) {
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void cmp_error_clear(struct cmp_error *err)
{
    err->code = 0;
    err->msg[0] = '\0';
    err->retry_after = 0;
}

int cmp_err_status(int code)
{
    return info(code)->status;
}

const char *cmp_err_graph_code(int code)
{
    return info(code)->code;
}

int cmp_err_wrapped(int code)
{
    return info(code)->wrapped;
}

const char *cmp_err_default_msg(int code)
{
    return info(code)->msg;
}

const char *cmp_error_message(const struct cmp_error *err)
{
    if (err->msg[0])
        return err->msg;
    return cmp_err_default_msg(err->code);
}
