/*
 * http/tls.h - TLS material for the HTTPS listeners.
 *
 * Without a given certificate, first start creates a local CA (DIR/tls/ca.pem, its key
 * DIR/tls/ca-key.pem) and a server certificate it signs for localhost, 127.0.0.1 and ::1
 * (DIR/tls/cert.pem, DIR/tls/key.pem).  Key files are 0600 and the directory 0700.  Later starts
 * reuse them (a server certificate within 30 days of expiry is renewed from the same CA).
 * `ca.pem` is what clients trust.
 */
#ifndef CMP_HTTP_TLS_H
#define CMP_HTTP_TLS_H

#include <openssl/ssl.h>

struct cmp_error;

/*
 * Make sure DIR/tls/ holds a CA and a server certificate; store their paths (malloc'd, caller
 * frees) in *cert_path and *key_path.  CMP_EIO on failure.
 */
int tls_ensure_local(const char *data_dir, char **cert_path, char **key_path,
                     struct cmp_error *err);

/* A server SSL_CTX for `cert_path`/`key_path` (TLS 1.2+, ALPN h2 and http/1.1), or NULL. */
SSL_CTX *tls_server_ctx(const char *cert_path, const char *key_path, struct cmp_error *err);

#endif
