/* SPDX-License-Identifier: MIT */
/*
 * McuCertificate: the server's DTLS identity, an ECDSA P-256 self-signed certificate (made at start or
 * loaded from PEM), and the OpenSSL DTLS context built around it. One per process, shared by every peer.
 * Threads: create on any thread; afterwards read-only, so any thread may use it. Refcounted (atomic).
 */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

G_BEGIN_DECLS

typedef struct _McuCertificate McuCertificate;

#define MCU_CERT_ERROR (mcu_cert_error_quark ())
GQuark mcu_cert_error_quark (void);

/* A fresh ECDSA P-256 key and self-signed certificate (CN @common_name, or "mcu" when NULL), valid
 * from a day ago for a year. (transfer full) */
McuCertificate *mcu_certificate_new_generated (const char *common_name, GError **error);
/* Certificate and private key from PEM files (may be the same file). The key must match. (transfer full) */
McuCertificate *mcu_certificate_new_from_files (const char *cert_path, const char *key_path,
                                                GError **error);
/* The same from PEM text in memory. (transfer full) */
McuCertificate *mcu_certificate_new_from_pem (const char *cert_pem, const char *key_pem,
                                              GError **error);

McuCertificate *mcu_certificate_ref (McuCertificate *cert);
void mcu_certificate_unref (McuCertificate *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuCertificate, mcu_certificate_unref)

/* SHA-256 fingerprint as "AB:CD:..." for a=fingerprint:sha-256. (transfer none) */
const char *mcu_certificate_get_fingerprint (McuCertificate *cert);
/* Both PEM encodings, for saving a generated certificate so it survives restarts. (transfer full) */
char *mcu_certificate_to_pem (McuCertificate *cert, char **key_pem);

/* For dtls.c: the shared DTLS 1.2 context (certificate, key, use_srtp, peer certificate requested;
 * per-connection fingerprint checks are installed by McuDtls). (transfer none) */
SSL_CTX *mcu_certificate_get_ssl_ctx (McuCertificate *cert);

/* Fingerprint helpers shared with dtls.c. @algorithm is the SDP name ("sha-256", "sha-1", "sha-384",
 * "sha-512"); the result is the digest type or NULL when unsupported. */
const EVP_MD *mcu_fingerprint_digest (const char *algorithm);
/* Parses "AB:CD:..." (any case) into @out; returns the byte count or 0 when malformed. */
gsize mcu_fingerprint_parse (const char *text, guint8 *out, gsize out_size);

G_END_DECLS
