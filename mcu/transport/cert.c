/* SPDX-License-Identifier: MIT */
/*
 * McuCertificate: the DTLS certificate of the server and the shared SSL_CTX built on it.
 * WebRTC peers do not use a PKI: each side sends a self-signed certificate and the other checks its
 * digest against the a=fingerprint of the SDP (RFC 8827), so one key and certificate serve every
 * peer. ECDSA P-256 because Chromium and webrtcbin both accept it and it keeps the handshake small.
 * Threads: built on one thread, then read-only; the SSL_CTX is only used to create SSL objects, which
 * OpenSSL allows from several threads at once.
 */
#define G_LOG_DOMAIN "mcu-cert"

#include "cert.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <string.h>

#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

struct _McuCertificate {
  X509 *x509;
  EVP_PKEY *key;
  SSL_CTX *ctx;
  char *fingerprint;
};

G_DEFINE_QUARK (mcu-cert-error-quark, mcu_cert_error)

/* Appends OpenSSL's first queued error to @what and clears the queue. */
static void
set_ssl_error (GError **error, const char *what)
{
  char buf[256] = "unknown error";
  unsigned long code = ERR_get_error ();

  if (code != 0)
    ERR_error_string_n (code, buf, sizeof buf);
  ERR_clear_error ();
  g_set_error (error, MCU_CERT_ERROR, 0, "%s: %s", what, buf);
}

const EVP_MD *
mcu_fingerprint_digest (const char *algorithm)
{
  static const struct {
    const char *name;
    const EVP_MD *(*md) (void);
  } table[] = {
    { "sha-256", EVP_sha256 }, { "sha-1", EVP_sha1 }, { "sha-384", EVP_sha384 },
    { "sha-512", EVP_sha512 },
  };

  for (gsize i = 0; algorithm != NULL && i < G_N_ELEMENTS (table); i++)
    if (g_ascii_strcasecmp (algorithm, table[i].name) == 0)
      return table[i].md ();
  return NULL;
}

gsize
mcu_fingerprint_parse (const char *text, guint8 *out, gsize out_size)
{
  gsize n = 0;

  if (text == NULL)
    return 0;
  for (const char *p = text; *p != '\0'; p += 2) {
    int hi = g_ascii_xdigit_value (p[0]);
    int lo = hi < 0 ? -1 : g_ascii_xdigit_value (p[1]);
    if (lo < 0 || n == out_size)
      return 0;
    out[n++] = (guint8) (hi << 4 | lo);
    if (p[2] == ':' && p[3] != '\0')
      p++;
    else if (p[2] != '\0')
      return 0;
  }
  return n;
}

static char *
format_fingerprint (X509 *x509)
{
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  GString *text = g_string_new (NULL);

  if (X509_digest (x509, EVP_sha256 (), md, &len) != 1)
    len = 0;
  for (unsigned int i = 0; i < len; i++)
    g_string_append_printf (text, "%s%02X", i ? ":" : "", md[i]);
  return g_string_free (text, FALSE);
}

static SSL_CTX *
create_ssl_ctx (X509 *x509, EVP_PKEY *key, GError **error)
{
  SSL_CTX *ctx = SSL_CTX_new (DTLS_method ());

  if (ctx == NULL) {
    set_ssl_error (error, "SSL_CTX_new");
    return NULL;
  }
  SSL_CTX_set_min_proto_version (ctx, DTLS1_2_VERSION);
  SSL_CTX_set_max_proto_version (ctx, DTLS1_2_VERSION);
  SSL_CTX_set_options (ctx, SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode (ctx, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_use_certificate (ctx, x509) != 1 || SSL_CTX_use_PrivateKey (ctx, key) != 1 ||
      SSL_CTX_check_private_key (ctx) != 1) {
    set_ssl_error (error, "certificate and key do not go together");
    SSL_CTX_free (ctx);
    return NULL;
  }
  /* SSL_CTX_set_tlsext_use_srtp returns 0 on success. */
  if (SSL_CTX_set_tlsext_use_srtp (ctx, SRTP_PROFILES) != 0) {
    set_ssl_error (error, "use_srtp");
    SSL_CTX_free (ctx);
    return NULL;
  }
  return ctx;
}

/* Takes @x509 and @key. */
static McuCertificate *
certificate_new_take (X509 *x509, EVP_PKEY *key, GError **error)
{
  SSL_CTX *ctx = create_ssl_ctx (x509, key, error);
  McuCertificate *cert;

  if (ctx == NULL) {
    X509_free (x509);
    EVP_PKEY_free (key);
    return NULL;
  }
  cert = g_atomic_rc_box_new0 (McuCertificate);
  cert->x509 = x509;
  cert->key = key;
  cert->ctx = ctx;
  cert->fingerprint = format_fingerprint (x509);
  return cert;
}

static gboolean
fill_certificate (X509 *x509, EVP_PKEY *key, const char *common_name)
{
  guint8 serial[8];
  BIGNUM *bn;
  X509_NAME *name = X509_get_subject_name (x509);
  gboolean ok;

  if (RAND_bytes (serial, sizeof serial) != 1)
    return FALSE;
  serial[0] &= 0x7f; /* positive */
  bn = BN_bin2bn (serial, sizeof serial, NULL);
  ok = bn != NULL && BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (x509)) != NULL;
  BN_free (bn);
  ok = ok && X509_set_version (x509, 2) == 1 &&
       X509_gmtime_adj (X509_getm_notBefore (x509), -24 * 3600) != NULL &&
       X509_gmtime_adj (X509_getm_notAfter (x509), 365L * 24 * 3600) != NULL &&
       X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) common_name,
                                   -1, -1, 0) == 1 &&
       X509_set_issuer_name (x509, name) == 1 && X509_set_pubkey (x509, key) == 1 &&
       X509_sign (x509, key, EVP_sha256 ()) > 0;
  return ok;
}

McuCertificate *
mcu_certificate_new_generated (const char *common_name, GError **error)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  X509 *x509 = X509_new ();

  if (key == NULL || x509 == NULL ||
      !fill_certificate (x509, key, common_name != NULL ? common_name : "mcu")) {
    set_ssl_error (error, "cannot make an ECDSA P-256 certificate");
    X509_free (x509);
    EVP_PKEY_free (key);
    return NULL;
  }
  return certificate_new_take (x509, key, error);
}

McuCertificate *
mcu_certificate_new_from_pem (const char *cert_pem, const char *key_pem, GError **error)
{
  BIO *cert_bio = BIO_new_mem_buf (cert_pem, -1);
  BIO *key_bio = BIO_new_mem_buf (key_pem, -1);
  X509 *x509 = cert_bio ? PEM_read_bio_X509 (cert_bio, NULL, NULL, NULL) : NULL;
  EVP_PKEY *key = key_bio ? PEM_read_bio_PrivateKey (key_bio, NULL, NULL, NULL) : NULL;

  BIO_free (cert_bio);
  BIO_free (key_bio);
  if (x509 == NULL || key == NULL) {
    set_ssl_error (error, x509 == NULL ? "no PEM certificate" : "no PEM private key");
    X509_free (x509);
    EVP_PKEY_free (key);
    return NULL;
  }
  return certificate_new_take (x509, key, error);
}

McuCertificate *
mcu_certificate_new_from_files (const char *cert_path, const char *key_path, GError **error)
{
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  g_autoptr (GError) local = NULL;
  McuCertificate *cert;

  if (!g_file_get_contents (cert_path, &cert_pem, NULL, error) ||
      !g_file_get_contents (key_path, &key_pem, NULL, error))
    return NULL;
  cert = mcu_certificate_new_from_pem (cert_pem, key_pem, &local);
  if (cert == NULL)
    g_set_error (error, MCU_CERT_ERROR, 0, "%s / %s: %s", cert_path, key_path, local->message);
  return cert;
}

McuCertificate *
mcu_certificate_ref (McuCertificate *cert)
{
  return g_atomic_rc_box_acquire (cert);
}

static void
certificate_clear (gpointer data)
{
  McuCertificate *cert = data;

  SSL_CTX_free (cert->ctx);
  X509_free (cert->x509);
  EVP_PKEY_free (cert->key);
  g_free (cert->fingerprint);
}

void
mcu_certificate_unref (McuCertificate *cert)
{
  if (cert != NULL)
    g_atomic_rc_box_release_full (cert, certificate_clear);
}

const char *
mcu_certificate_get_fingerprint (McuCertificate *cert)
{
  return cert->fingerprint;
}

static char *
bio_to_string (BIO *bio)
{
  char *data = NULL;
  long len = BIO_get_mem_data (bio, &data);

  return g_strndup (data, len > 0 ? (gsize) len : 0);
}

char *
mcu_certificate_to_pem (McuCertificate *cert, char **key_pem)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *pem;

  PEM_write_bio_X509 (bio, cert->x509);
  pem = bio_to_string (bio);
  BIO_free (bio);
  if (key_pem != NULL) {
    bio = BIO_new (BIO_s_mem ());
    PEM_write_bio_PrivateKey (bio, cert->key, NULL, NULL, 0, NULL, NULL);
    *key_pem = bio_to_string (bio);
    BIO_free (bio);
  }
  return pem;
}

SSL_CTX *
mcu_certificate_get_ssl_ctx (McuCertificate *cert)
{
  return cert->ctx;
}
