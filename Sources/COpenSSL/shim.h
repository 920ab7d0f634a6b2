// The system's OpenSSL 3 for EventLoopTLS, plus functions in place of the macros Swift cannot
// import (SSL_CTX_set_mode and friends are macros over SSL_CTX_ctrl).
#ifndef EVENTLOOP_COPENSSL_SHIM_H
#define EVENTLOOP_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/evp.h>

static inline long eventloop_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long eventloop_ssl_ctx_release_buffers_mode(void) {
    return SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
}
static inline int eventloop_ssl_ctx_set_versions(SSL_CTX *ctx, int min, int max) {
    return SSL_CTX_set_min_proto_version(ctx, min) == 1 && SSL_CTX_set_max_proto_version(ctx, max) == 1;
}
static inline int eventloop_tls1_2_version(void) { return TLS1_2_VERSION; }
static inline int eventloop_tls1_3_version(void) { return TLS1_3_VERSION; }
static inline void eventloop_ssl_ctx_no_renegotiation(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}
static inline long eventloop_ssl_ctx_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long eventloop_sess_cache_client(void) { return SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE; }
static inline long eventloop_sess_cache_server(void) { return SSL_SESS_CACHE_SERVER; }
static inline long eventloop_ssl_ctx_add1_chain_cert(SSL_CTX *ctx, X509 *cert) { return SSL_CTX_add1_chain_cert(ctx, cert); }
static inline long eventloop_ssl_set_host_name(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }
static inline long eventloop_ssl_ctx_set_servername_callback(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *), void *arg) {
    SSL_CTX_set_tlsext_servername_arg(ctx, arg);
    return SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}
static inline int eventloop_tlsext_err_ok(void) { return SSL_TLSEXT_ERR_OK; }
static inline int eventloop_tlsext_err_noack(void) { return SSL_TLSEXT_ERR_NOACK; }
static inline int eventloop_tlsext_err_alert_fatal(void) { return SSL_TLSEXT_ERR_ALERT_FATAL; }
static inline void eventloop_bio_set_retry_read(BIO *bio) { BIO_set_retry_read(bio); }
static inline void eventloop_bio_set_retry_write(BIO *bio) { BIO_set_retry_write(bio); }
static inline void eventloop_bio_clear_retry_flags(BIO *bio) { BIO_clear_retry_flags(bio); }
static inline int eventloop_bio_ctrl_flush(void) { return BIO_CTRL_FLUSH; }
static inline int eventloop_bio_type_source_sink(void) { return BIO_TYPE_SOURCE_SINK; }
static inline int eventloop_verify_peer_fail(void) { return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT; }
static inline int eventloop_verify_peer(void) { return SSL_VERIFY_PEER; }
static inline int eventloop_reason_unexpected_eof(void) { return SSL_R_UNEXPECTED_EOF_WHILE_READING; }

#endif
