/* SPDX-License-Identifier: MIT */
/*
 * DTLS-SRTP over memory: received datagrams go into a memory BIO; what OpenSSL writes goes through a
 * small datagram BIO straight to the send function, one write = one datagram, so record boundaries
 * and the 1200-byte MTU survive (a memory BIO would glue a whole flight together).
 * Received datagrams must be whole records, and protected records at least as long as the cipher's
 * overhead: OpenSSL 3.0 takes a too-short protected record as fatal (found by test-dtls), which
 * would let one forged packet kill the association.
 * The peer is authenticated only by the SDP fingerprint: the verify callback accepts the
 * self-signed chain when, and only when, the leaf digest matches (constant-time compare); the same
 * check runs again when the handshake finishes. Keys come from RFC 5705 "EXTRACTOR-dtls_srtp".
 * Retransmission: the owner asks mcu_dtls_get_timeout_ms () and calls mcu_dtls_handle_timeout ();
 * the first timeout is 400 ms (OpenSSL's 1 s is slow for lossy links), doubling up to 3 s.
 * Threads: one thread per McuDtls (see dtls.h). OpenSSL's error queue is per thread and is cleared
 * before each operation.
 */
#define G_LOG_DOMAIN "mcu-dtls"

#include "dtls.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>

#define DEFAULT_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
#define FIRST_TIMEOUT_US 400000
#define MAX_TIMEOUT_US 3000000
/* The BIO type for our datagram sink; the value only matters to BIO_find_type, which we never use. */
#define DATAGRAM_BIO_TYPE (0x7e | BIO_TYPE_SOURCE_SINK)
#define RECORD_HEADER_LEN 13
#define RECORD_CHANGE_CIPHER_SPEC 20
#define RECORD_HANDSHAKE 22
#define RECORD_APPLICATION_DATA 23
#define AEAD_TAG_LEN 16
#define GCM_EXPLICIT_NONCE_LEN 8
#define CBC_BLOCK_LEN 16

struct _McuDtls {
  SSL *ssl;
  BIO_METHOD *out_method;
  McuDtlsRole role;
  McuDtlsState state;
  McuDtlsSendFunc send;
  gpointer user_data;
  const EVP_MD *remote_md;
  guint8 remote_fp[EVP_MAX_MD_SIZE];
  gsize remote_fp_len;
  char *error;
  McuSrtpKeys keys;
  gboolean closing;  /* mcu_dtls_close () is sending close_notify */
  guint64 malformed; /* datagrams dropped before OpenSSL saw them */
};

G_DEFINE_QUARK (mcu-dtls-error-quark, mcu_dtls_error)

/* Once the keys are out, the only datagrams worth sending are handshake retransmissions (the
 * peer lost our last flight) and our own close_notify. OpenSSL answers some forged records with a
 * fatal alert; forwarding it would make the remote browser tear the call down. */
static gboolean
may_send (McuDtls *dtls, const char *data)
{
  return dtls->state != MCU_DTLS_STATE_CONNECTED || dtls->closing ||
         data[0] == RECORD_CHANGE_CIPHER_SPEC || data[0] == RECORD_HANDSHAKE;
}

static int
datagram_write (BIO *bio, const char *data, int len)
{
  McuDtls *dtls = BIO_get_data (bio);

  if (len > 0 && dtls != NULL && dtls->send != NULL && may_send (dtls, data))
    dtls->send ((const guint8 *) data, (gsize) len, dtls->user_data);
  return len;
}

static long
datagram_ctrl (BIO *bio, int cmd, long num, void *ptr)
{
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_DGRAM_QUERY_MTU:
  case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    return MCU_DTLS_MTU;
  default:
    return 0;
  }
}

static int
datagram_create (BIO *bio)
{
  BIO_set_init (bio, 1);
  return 1;
}

static BIO_METHOD *
datagram_method_new (void)
{
  BIO_METHOD *method = BIO_meth_new (DATAGRAM_BIO_TYPE, "mcu dtls datagram");

  if (method == NULL)
    return NULL;
  BIO_meth_set_write (method, datagram_write);
  BIO_meth_set_ctrl (method, datagram_ctrl);
  BIO_meth_set_create (method, datagram_create);
  return method;
}

static unsigned int
timer_cb (SSL *ssl, unsigned int timer_us)
{
  return timer_us == 0 ? FIRST_TIMEOUT_US : MIN (timer_us * 2, MAX_TIMEOUT_US);
}

static gboolean
fingerprint_matches (McuDtls *dtls, X509 *x509)
{
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;

  if (x509 == NULL || dtls->remote_md == NULL || X509_digest (x509, dtls->remote_md, md, &len) != 1)
    return FALSE;
  return len == dtls->remote_fp_len && CRYPTO_memcmp (md, dtls->remote_fp, len) == 0;
}

/* The chain is self-signed, so OpenSSL's own verdict is ignored: only the leaf digest counts. */
static int
verify_cb (int preverify_ok, X509_STORE_CTX *store)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data (store, SSL_get_ex_data_X509_STORE_CTX_idx ());
  McuDtls *dtls = ssl != NULL ? SSL_get_app_data (ssl) : NULL;

  if (dtls == NULL)
    return 0;
  if (X509_STORE_CTX_get_error_depth (store) > 0)
    return 1;
  if (fingerprint_matches (dtls, X509_STORE_CTX_get_current_cert (store))) {
    X509_STORE_CTX_set_error (store, X509_V_OK);
    return 1;
  }
  X509_STORE_CTX_set_error (store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

McuDtls *
mcu_dtls_new (McuCertificate *cert, McuDtlsRole role, const char *srtp_profiles,
              McuDtlsSendFunc send, gpointer user_data, GError **error)
{
  g_autoptr (McuDtls) dtls = g_new0 (McuDtls, 1);
  BIO *in, *out;

  ERR_clear_error ();
  dtls->role = role;
  dtls->send = send;
  dtls->user_data = user_data;
  dtls->ssl = SSL_new (mcu_certificate_get_ssl_ctx (cert));
  dtls->out_method = datagram_method_new ();
  if (dtls->ssl == NULL || dtls->out_method == NULL) {
    g_set_error (error, MCU_DTLS_ERROR, 0, "cannot create the DTLS connection");
    return NULL;
  }
  SSL_set_app_data (dtls->ssl, dtls);
  if (srtp_profiles != NULL && SSL_set_tlsext_use_srtp (dtls->ssl, srtp_profiles) != 0) {
    g_set_error (error, MCU_DTLS_ERROR, 0, "bad SRTP profile list '%s'", srtp_profiles);
    return NULL;
  }
  SSL_set_verify (dtls->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
  in = BIO_new (BIO_s_mem ());
  out = BIO_new (dtls->out_method);
  BIO_set_mem_eof_return (in, -1);
  BIO_set_data (out, dtls);
  SSL_set_bio (dtls->ssl, in, out);
  SSL_set_mtu (dtls->ssl, MCU_DTLS_MTU);
  DTLS_set_timer_cb (dtls->ssl, timer_cb);
  if (role == MCU_DTLS_ROLE_CLIENT)
    SSL_set_connect_state (dtls->ssl);
  else
    SSL_set_accept_state (dtls->ssl);
  return g_steal_pointer (&dtls);
}

void
mcu_dtls_free (McuDtls *dtls)
{
  if (dtls == NULL)
    return;
  SSL_free (dtls->ssl);
  BIO_meth_free (dtls->out_method);
  OPENSSL_cleanse (&dtls->keys, sizeof dtls->keys);
  g_free (dtls->error);
  g_free (dtls);
}

gboolean
mcu_dtls_set_remote_fingerprint (McuDtls *dtls, const char *algorithm, const char *fingerprint,
                                 GError **error)
{
  const EVP_MD *md = mcu_fingerprint_digest (algorithm);
  guint8 parsed[EVP_MAX_MD_SIZE];
  gsize len;

  if (md == NULL) {
    g_set_error (error, MCU_DTLS_ERROR, 0, "unsupported fingerprint algorithm '%s'",
                 algorithm ? algorithm : "");
    return FALSE;
  }
  len = mcu_fingerprint_parse (fingerprint, parsed, sizeof parsed);
  if (len == 0 || len != (gsize) EVP_MD_get_size (md)) {
    g_set_error (error, MCU_DTLS_ERROR, 0, "fingerprint '%s' is not a %s digest (XX:XX:...)",
                 fingerprint ? fingerprint : "", algorithm);
    return FALSE;
  }
  dtls->remote_md = md;
  memcpy (dtls->remote_fp, parsed, len);
  dtls->remote_fp_len = len;
  return TRUE;
}

static void
fail (McuDtls *dtls, const char *what)
{
  char buf[256] = "";
  unsigned long code = ERR_get_error ();

  if (code != 0)
    ERR_error_string_n (code, buf, sizeof buf);
  ERR_clear_error ();
  g_free (dtls->error);
  dtls->error = g_strdup_printf ("%s%s%s", what, code ? ": " : "", buf);
  dtls->state = MCU_DTLS_STATE_FAILED;
}

static gboolean
export_keys (McuDtls *dtls)
{
  const SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile (dtls->ssl);
  McuSrtpProfile id = profile != NULL ? (McuSrtpProfile) profile->id : MCU_SRTP_PROFILE_NONE;
  gsize total = mcu_srtp_profile_key_len (id);
  gsize key_len = 16, salt_len = total - key_len;
  guint8 material[2 * MCU_SRTP_MAX_KEY_LEN];
  const guint8 *client_key = material, *server_key = material + key_len;
  const guint8 *client_salt = material + 2 * key_len, *server_salt = client_salt + salt_len;
  gboolean client = dtls->role == MCU_DTLS_ROLE_CLIENT;

  if (total == 0)
    return FALSE;
  if (SSL_export_keying_material (dtls->ssl, material, 2 * total, EXPORTER_LABEL,
                                  strlen (EXPORTER_LABEL), NULL, 0, 0) != 1)
    return FALSE;
  dtls->keys.profile = id;
  dtls->keys.key_len = total;
  memcpy (dtls->keys.local, client ? client_key : server_key, key_len);
  memcpy (dtls->keys.local + key_len, client ? client_salt : server_salt, salt_len);
  memcpy (dtls->keys.remote, client ? server_key : client_key, key_len);
  memcpy (dtls->keys.remote + key_len, client ? server_salt : client_salt, salt_len);
  OPENSSL_cleanse (material, sizeof material);
  return TRUE;
}

static void
handshake_done (McuDtls *dtls)
{
  X509 *x509 = SSL_get0_peer_certificate (dtls->ssl);

  if (!fingerprint_matches (dtls, x509)) {
    fail (dtls, "remote certificate does not match the SDP fingerprint");
    return;
  }
  if (!export_keys (dtls)) {
    fail (dtls, "no SRTP profile negotiated (use_srtp)");
    return;
  }
  dtls->state = MCU_DTLS_STATE_CONNECTED;
}

static void
drive_handshake (McuDtls *dtls)
{
  int ret = SSL_do_handshake (dtls->ssl);

  if (ret == 1) {
    handshake_done (dtls);
    return;
  }
  switch (SSL_get_error (dtls->ssl, ret)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    ERR_clear_error ();
    return;
  default:
    fail (dtls, SSL_get_verify_result (dtls->ssl) == X509_V_ERR_CERT_REJECTED
                    ? "remote certificate does not match the SDP fingerprint"
                    : "DTLS handshake failed");
  }
}

void
mcu_dtls_start (McuDtls *dtls)
{
  if (dtls->state != MCU_DTLS_STATE_NEW)
    return;
  ERR_clear_error ();
  dtls->state = MCU_DTLS_STATE_HANDSHAKING;
  if (dtls->role == MCU_DTLS_ROLE_CLIENT)
    drive_handshake (dtls);
}

/* After the handshake records are alerts, retransmitted flights or (unsupported) application data:
 * let OpenSSL consume them. Forged or garbled records are dropped by DTLS itself; only a
 * close_notify or a fatal alert from the peer ends the association. */
static void
read_records (McuDtls *dtls)
{
  guint8 buf[MCU_DTLS_MTU + 64];
  int ret;

  while ((ret = SSL_read (dtls->ssl, buf, sizeof buf)) > 0)
    ;
  if (SSL_get_error (dtls->ssl, ret) == SSL_ERROR_ZERO_RETURN ||
      (SSL_get_shutdown (dtls->ssl) & SSL_RECEIVED_SHUTDOWN) != 0)
    dtls->state = MCU_DTLS_STATE_CLOSED;
  ERR_clear_error ();
}

/* A datagram must be whole DTLS 1.x records end to end (RFC 6347 §4.1), and records after epoch 0
 * must be long enough to carry an authentication tag. Anything else is dropped here, before OpenSSL,
 * whose record layer treats some malformed records as fatal. */
static gsize
min_protected_body (McuDtls *dtls)
{
  const SSL_CIPHER *cipher = SSL_get_current_cipher (dtls->ssl);
  int nid = cipher != NULL ? SSL_CIPHER_get_cipher_nid (cipher) : NID_undef;
  const EVP_MD *mac = NULL;

  switch (nid) {
  case NID_undef:
  case NID_chacha20_poly1305:
    return AEAD_TAG_LEN;
  case NID_aes_128_gcm:
  case NID_aes_256_gcm:
  case NID_aes_128_ccm:
  case NID_aes_256_ccm:
    return GCM_EXPLICIT_NONCE_LEN + AEAD_TAG_LEN;
  default: /* CBC, MAC then encrypt: IV, then MAC and at least one padding byte in whole blocks */
    mac = EVP_get_digestbynid (SSL_CIPHER_get_digest_nid (cipher));
    return CBC_BLOCK_LEN + ((mac ? (gsize) EVP_MD_get_size (mac) : 20) / CBC_BLOCK_LEN + 1) *
                               CBC_BLOCK_LEN;
  }
}

static gboolean
records_well_formed (McuDtls *dtls, const guint8 *data, gsize len)
{
  gsize min_body = min_protected_body (dtls);

  while (len > 0) {
    gsize body;
    if (len < RECORD_HEADER_LEN || data[0] < RECORD_CHANGE_CIPHER_SPEC ||
        data[0] > RECORD_APPLICATION_DATA || data[1] != 0xfe)
      return FALSE;
    body = (gsize) data[11] << 8 | data[12];
    if (body > len - RECORD_HEADER_LEN || body == 0)
      return FALSE;
    if ((data[3] != 0 || data[4] != 0) && body < min_body)
      return FALSE;
    data += RECORD_HEADER_LEN + body;
    len -= RECORD_HEADER_LEN + body;
  }
  return TRUE;
}

McuDtlsState
mcu_dtls_handle_datagram (McuDtls *dtls, const guint8 *data, gsize len)
{
  if (dtls->state == MCU_DTLS_STATE_FAILED || dtls->state == MCU_DTLS_STATE_CLOSED ||
      len > G_MAXINT)
    return dtls->state;
  if (!records_well_formed (dtls, data, len)) {
    dtls->malformed++;
    return dtls->state;
  }
  ERR_clear_error ();
  if (dtls->state == MCU_DTLS_STATE_NEW)
    mcu_dtls_start (dtls);
  if (BIO_write (SSL_get_rbio (dtls->ssl), data, (int) len) != (int) len) {
    ERR_clear_error ();
    return dtls->state;
  }
  if (dtls->state == MCU_DTLS_STATE_HANDSHAKING)
    drive_handshake (dtls);
  else
    read_records (dtls);
  /* Whatever OpenSSL did not consume (a truncated record) must not prefix the next datagram. */
  (void) BIO_reset (SSL_get_rbio (dtls->ssl));
  return dtls->state;
}

gint64
mcu_dtls_get_timeout_ms (McuDtls *dtls)
{
  struct timeval tv = { 0 };

  if (dtls->state != MCU_DTLS_STATE_HANDSHAKING || DTLSv1_get_timeout (dtls->ssl, &tv) != 1)
    return -1;
  return (gint64) tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
}

McuDtlsState
mcu_dtls_handle_timeout (McuDtls *dtls)
{
  if (dtls->state != MCU_DTLS_STATE_HANDSHAKING)
    return dtls->state;
  ERR_clear_error ();
  if (DTLSv1_handle_timeout (dtls->ssl) < 0)
    fail (dtls, "DTLS handshake timed out");
  else
    ERR_clear_error ();
  return dtls->state;
}

void
mcu_dtls_close (McuDtls *dtls)
{
  if (dtls->state == MCU_DTLS_STATE_CONNECTED) {
    ERR_clear_error ();
    dtls->closing = TRUE;
    SSL_shutdown (dtls->ssl);
    ERR_clear_error ();
  }
  if (dtls->state != MCU_DTLS_STATE_FAILED)
    dtls->state = MCU_DTLS_STATE_CLOSED;
}

McuDtlsState
mcu_dtls_get_state (McuDtls *dtls)
{
  return dtls->state;
}

McuDtlsRole
mcu_dtls_get_role (McuDtls *dtls)
{
  return dtls->role;
}

const char *
mcu_dtls_get_error (McuDtls *dtls)
{
  return dtls->error;
}

const char *
mcu_dtls_state_name (McuDtlsState state)
{
  static const char *const names[] = { "new", "handshaking", "connected", "failed", "closed" };

  return (guint) state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

guint64
mcu_dtls_get_malformed (McuDtls *dtls)
{
  return dtls->malformed;
}

gboolean
mcu_dtls_get_srtp_keys (McuDtls *dtls, McuSrtpKeys *keys)
{
  if (dtls->state != MCU_DTLS_STATE_CONNECTED)
    return FALSE;
  *keys = dtls->keys;
  return TRUE;
}
