/*
 * core/status.h - the reason phrases of the HTTP status codes cmpd and cmpctl meet (RFC 9110 15),
 * one table for the server's status lines and the client's error messages.
 */
#ifndef CMP_CORE_STATUS_H
#define CMP_CORE_STATUS_H

/* The reason phrase of `status` ("Not Found"), or NULL for a code not in the table. */
const char *status_reason(long status);

#endif
