/*
 * core/err.h - the one error vocabulary of cmpd.
 *
 * Every fallible function returns 0 or a CMP_E* code.  Each code carries its HTTP status, its Graph
 * `error.code`, whether Graph sends its message wrapped in Intune's JSON-in-a-string form
 * (graph-conventions.md 2.3) and a default message.  The detail for one failure travels in a
 * struct cmp_error owned by the request; only graph/errors.c turns it into a response body.
 */
#ifndef CMP_CORE_ERR_H
#define CMP_CORE_ERR_H

#include <stddef.h>

/*   name          status  Graph code                   wrapped  default message */
#define CMP_ERRORS(X)                                                                              \
    X(BADBODY, 400, "BadRequest", 1, "The request body is invalid.")                               \
    X(BADQUERY, 400, "BadRequest", 0, "Invalid OData query option.")                               \
    X(BADSEGMENT, 400, "BadRequest", 0, "Resource not found for the segment.")                     \
    X(BADKEY, 400, "BadRequest", 0, "The key is invalid.")                                         \
    X(UNLICENSED, 400, "BadRequest", 0, "Request not applicable to target tenant.")                \
    X(BADREQUEST, 400, "BadRequest", 0, "The request is invalid.")                                 \
    X(UNAUTHENTICATED, 401, "InvalidAuthenticationToken", 0, "Access token is empty.")             \
    X(FORBIDDEN, 403, "Forbidden", 1, "Application is not authorized to perform this operation.")  \
    X(NOTFOUND, 404, "ResourceNotFound", 1, "Resource not found.")                                 \
    X(BADVERSION, 404, "ResourceNotFound", 0, "Invalid version.")                                  \
    X(NOROUTE, 404, "ResourceNotFound", 0, "Resource not found.")                                  \
    X(METHOD, 405, "MethodNotAllowed", 0,                                                          \
      "Specified HTTP method is not allowed for the request target.")                              \
    X(NOTACCEPTABLE, 406, "NotAcceptable", 0, "The requested media type is not supported.")        \
    X(LENGTHREQUIRED, 411, "LengthRequired", 0, "A Content-Length header is required.")            \
    X(TOOLARGE, 413, "RequestEntityTooLarge", 0, "The request body is too large.")                 \
    X(URITOOLONG, 414, "RequestUriTooLong", 0, "The request URL is too long.")                     \
    X(MEDIATYPE, 415, "UnsupportedMediaType", 0,                                                   \
      "The request body must be sent with Content-Type: application/json.")                        \
    X(FAILEDDEPENDENCY, 424, "FailedDependency", 0,                                                \
      "The request depends on a request of the batch that failed.")                                \
    X(THROTTLED, 429, "TooManyRequests", 0, "Too many requests.")                                  \
    X(HEADERSTOOLARGE, 431, "RequestHeaderFieldsTooLarge", 0,                                      \
      "The request headers are too large.")                                                        \
    X(INTERNAL, 500, "InternalError", 1, "An internal server error has occurred")                  \
    X(NOMEM, 500, "InternalError", 1, "An internal server error has occurred")                     \
    X(STORE, 500, "InternalError", 1, "An internal server error has occurred")                     \
    X(UNAVAILABLE, 503, "ServiceUnavailable", 0, "The service is unavailable.")                    \
    X(IO, 500, "InternalError", 1, "An internal server error has occurred")

enum cmp_err {
    CMP_OK = 0,
#define X(name, status, code, wrapped, msg) CMP_E##name,
    CMP_ERRORS(X)
#undef X
        CMP_E_COUNT
};

#define CMP_ERROR_MSG_MAX 512

/* Detail of one failure: the code and a message for the client (never library internals). */
struct cmp_error {
    int code;                    /* CMP_E*, or 0 while nothing failed */
    char msg[CMP_ERROR_MSG_MAX]; /* client-facing text; empty means the code's default */
    int retry_after;             /* seconds for 429/503, 0 otherwise */
};

/*
 * Record `code` with a printf-style message in `err` (which may be NULL) and return `code`.
 * A NULL `fmt` keeps the code's default message.  The first failure recorded wins: a caller that
 * reports again with a vaguer code does not overwrite the detail found deeper down.
 */
int cmp_error_set(struct cmp_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Forget any recorded failure. */
void cmp_error_clear(struct cmp_error *err);

/* The HTTP status of `code` (500 for an unknown code). */
int cmp_err_status(int code);

/* The Graph `error.code` string of `code`. */
const char *cmp_err_graph_code(int code);

/* Nonzero when Graph sends this code's message in Intune's wrapped form. */
int cmp_err_wrapped(int code);

/* The default message of `code`. */
const char *cmp_err_default_msg(int code);

/* The message to send for `err`: its own text, or the code's default. */
const char *cmp_error_message(const struct cmp_error *err);

#endif
