/* SPDX-License-Identifier: MIT */
/* Unit tests for McuCertificate and McuDtls (real OpenSSL): two endpoints in one process exchange
 * DTLS datagrams through in-memory queues, finish the handshake, and derive mirrored SRTP keys for
 * both profiles (checked by running SRTP across them); a wrong fingerprint fails the handshake on
 * the side that checks it; a lost flight is retransmitted by the timer; close_notify closes. */
#include "transport/dtls.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct _Endpoint Endpoint;
struct _Endpoint {
  McuDtls *dtls;
  GQueue inbox;     /* GBytes datagrams sent to this endpoint */
  Endpoint *other;
  guint drop_next;  /* datagrams to lose on the way out */
  guint sent;
  gsize largest;
};

typedef struct {
  McuCertificate *server_cert;
  McuCertificate *client_cert;
  Endpoint server;
  Endpoint client;
} Fixture;

static void
endpoint_send (const guint8 *data, gsize len, gpointer user_data)
{
  Endpoint *self = user_data;

  self->sent++;
  self->largest = MAX (self->largest, len);
  if (self->drop_next > 0) {
    self->drop_next--;
    return;
  }
  g_queue_push_tail (&self->other->inbox, g_bytes_new (data, len));
}

static void
fixture_setup (Fixture *f, const char *server_profiles, const char *client_profiles)
{
  g_autoptr (GError) error = NULL;

  f->server_cert = mcu_certificate_new_generated (NULL, &error);
  g_assert_no_error (error);
  f->client_cert = mcu_certificate_new_generated ("client", &error);
  g_assert_no_error (error);
  f->server.other = &f->client;
  f->client.other = &f->server;
  f->server.dtls = mcu_dtls_new (f->server_cert, MCU_DTLS_ROLE_SERVER, server_profiles,
                                 endpoint_send, &f->server, &error);
  g_assert_no_error (error);
  f->client.dtls = mcu_dtls_new (f->client_cert, MCU_DTLS_ROLE_CLIENT, client_profiles,
                                 endpoint_send, &f->client, &error);
  g_assert_no_error (error);
}

static void
set_fingerprints (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (mcu_dtls_set_remote_fingerprint (
      f->server.dtls, "sha-256", mcu_certificate_get_fingerprint (f->client_cert), &error));
  g_assert_true (mcu_dtls_set_remote_fingerprint (
      f->client.dtls, "SHA-256", mcu_certificate_get_fingerprint (f->server_cert), &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f)
{
  g_queue_clear_full (&f->server.inbox, (GDestroyNotify) g_bytes_unref);
  g_queue_clear_full (&f->client.inbox, (GDestroyNotify) g_bytes_unref);
  mcu_dtls_free (f->server.dtls);
  mcu_dtls_free (f->client.dtls);
  mcu_certificate_unref (f->server_cert);
  mcu_certificate_unref (f->client_cert);
}

/* Delivers queued datagrams until both queues are empty; returns how many were delivered. */
static guint
pump (Fixture *f)
{
  guint n = 0;
  GBytes *bytes;

  for (;;) {
    Endpoint *to = !g_queue_is_empty (&f->server.inbox) ? &f->server
                   : !g_queue_is_empty (&f->client.inbox) ? &f->client : NULL;
    if (to == NULL)
      return n;
    bytes = g_queue_pop_head (&to->inbox);
    gsize len;
    const guint8 *data = g_bytes_get_data (bytes, &len);
    mcu_dtls_handle_datagram (to->dtls, data, len);
    g_bytes_unref (bytes);
    n++;
  }
}

/* One protected RTP packet each way with the exported keys proves both sides agree on them. */
static void
check_srtp_between (McuDtls *a, McuDtls *b)
{
  McuSrtpKeys ka, kb;
  g_autoptr (GError) error = NULL;
  guint8 buf[100 + MCU_SRTP_TRAILER_SPACE] = { 0x80, 96, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 'h', 'i' };

  g_assert_true (mcu_dtls_get_srtp_keys (a, &ka));
  g_assert_true (mcu_dtls_get_srtp_keys (b, &kb));
  g_assert_cmpmem (ka.local, ka.key_len, kb.remote, kb.key_len);
  g_assert_cmpmem (ka.remote, ka.key_len, kb.local, kb.key_len);
  g_assert_cmpint (memcmp (ka.local, ka.remote, ka.key_len), !=, 0);
  g_autoptr (McuSrtp) sa = mcu_srtp_new (&ka, &error);
  g_assert_no_error (error);
  g_autoptr (McuSrtp) sb = mcu_srtp_new (&kb, &error);
  g_assert_no_error (error);
  int n = mcu_srtp_protect_rtp (sa, buf, 14, sizeof buf);
  g_assert_cmpint (n, >, 14);
  g_assert_cmpint (mcu_srtp_unprotect_rtp (sb, buf, n), ==, 14);
  g_assert_cmpint (buf[12], ==, 'h');
  n = mcu_srtp_protect_rtp (sb, buf, 14, sizeof buf);
  g_assert_cmpint (mcu_srtp_unprotect_rtp (sa, buf, n), ==, 14);
}

static void
check_handshake (const char *server_profiles, const char *client_profiles, McuSrtpProfile expect)
{
  Fixture f = { 0 };
  McuSrtpKeys keys;

  fixture_setup (&f, server_profiles, client_profiles);
  set_fingerprints (&f);
  mcu_dtls_start (f.server.dtls);
  g_assert_cmpuint (f.server.sent, ==, 0); /* the server waits for the ClientHello */
  mcu_dtls_start (f.client.dtls);
  g_assert_cmpuint (f.client.sent, >=, 1);
  g_assert_false (mcu_dtls_get_srtp_keys (f.client.dtls, &keys));
  g_assert_cmpuint (pump (&f), >=, 4);
  g_assert_cmpint (mcu_dtls_get_state (f.server.dtls), ==, MCU_DTLS_STATE_CONNECTED);
  g_assert_cmpint (mcu_dtls_get_state (f.client.dtls), ==, MCU_DTLS_STATE_CONNECTED);
  g_assert_cmpuint (f.server.largest, <=, MCU_DTLS_MTU);
  g_assert_true (mcu_dtls_get_srtp_keys (f.server.dtls, &keys));
  g_assert_cmpint (keys.profile, ==, expect);
  g_assert_cmpuint (keys.key_len, ==, mcu_srtp_profile_key_len (expect));
  g_assert_cmpint (mcu_dtls_get_timeout_ms (f.client.dtls), ==, -1);
  check_srtp_between (f.server.dtls, f.client.dtls);
  g_assert_null (mcu_dtls_get_error (f.server.dtls));
  fixture_teardown (&f);
}

static void
test_handshake_gcm (void)
{
  check_handshake (NULL, NULL, MCU_SRTP_PROFILE_AEAD_AES_128_GCM);
}

static void
test_handshake_cm (void)
{
  /* What an older webrtcbin offers: only the CM profiles. */
  check_handshake (NULL, "SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32",
                   MCU_SRTP_PROFILE_AES128_CM_SHA1_80);
}

static void
test_handshake_cm_server_pref (void)
{
  check_handshake ("SRTP_AES128_CM_SHA1_80", NULL, MCU_SRTP_PROFILE_AES128_CM_SHA1_80);
}

static void
test_no_common_profile (void)
{
  Fixture f = { 0 };

  fixture_setup (&f, "SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM");
  set_fingerprints (&f);
  mcu_dtls_start (f.client.dtls);
  pump (&f);
  g_assert_cmpint (mcu_dtls_get_state (f.server.dtls), !=, MCU_DTLS_STATE_CONNECTED);
  g_assert_cmpint (mcu_dtls_get_state (f.client.dtls), ==, MCU_DTLS_STATE_FAILED);
  fixture_teardown (&f);
}

/* @wrong_side: 0 = the server expects another certificate, 1 = the client does. */
static void
check_wrong_fingerprint (int wrong_side)
{
  Fixture f = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (McuCertificate) stranger = mcu_certificate_new_generated ("stranger", &error);
  McuDtls *checker;

  fixture_setup (&f, NULL, NULL);
  set_fingerprints (&f);
  checker = wrong_side == 0 ? f.server.dtls : f.client.dtls;
  g_assert_true (mcu_dtls_set_remote_fingerprint (
      checker, "sha-256", mcu_certificate_get_fingerprint (stranger), &error));
  mcu_dtls_start (f.client.dtls);
  pump (&f);
  g_assert_cmpint (mcu_dtls_get_state (checker), ==, MCU_DTLS_STATE_FAILED);
  g_assert_nonnull (strstr (mcu_dtls_get_error (checker), "fingerprint"));
  /* The other side never gets keys either: it is told by an alert or stays handshaking. */
  g_assert_cmpint (mcu_dtls_get_state (f.server.dtls), !=, MCU_DTLS_STATE_CONNECTED);
  g_assert_cmpint (mcu_dtls_get_state (f.client.dtls), !=, MCU_DTLS_STATE_CONNECTED);
  fixture_teardown (&f);
}

static void
test_wrong_fingerprint_server (void)
{
  check_wrong_fingerprint (0);
}

static void
test_wrong_fingerprint_client (void)
{
  check_wrong_fingerprint (1);
}

static void
test_no_fingerprint (void)
{
  Fixture f = { 0 };

  fixture_setup (&f, NULL, NULL); /* nobody was told what to expect */
  mcu_dtls_start (f.client.dtls);
  pump (&f);
  g_assert_cmpint (mcu_dtls_get_state (f.server.dtls), ==, MCU_DTLS_STATE_FAILED);
  g_assert_cmpint (mcu_dtls_get_state (f.client.dtls), !=, MCU_DTLS_STATE_CONNECTED);
  fixture_teardown (&f);
}

static void
test_bad_fingerprint_text (void)
{
  Fixture f = { 0 };
  static const struct {
    const char *algorithm, *fingerprint;
  } bad[] = {
    { "md5", "AB:CD" },
    { NULL, "AB" },
    { "sha-256", "AB:CD" },                  /* too short for SHA-256 */
    { "sha-256", "" },
    { "sha-256", NULL },
    { "sha-1", "ZZ:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00" },
    { "sha-1", "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:" },
    { "sha-1", "0:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00" },
  };

  fixture_setup (&f, NULL, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_false (mcu_dtls_set_remote_fingerprint (f.server.dtls, bad[i].algorithm,
                                                     bad[i].fingerprint, &error));
    g_assert_error (error, MCU_DTLS_ERROR, 0);
  }
  g_assert_true (mcu_dtls_set_remote_fingerprint (
      f.server.dtls, "sha-1", "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33", NULL));
  fixture_teardown (&f);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Waits on a main loop until the DTLS timer is due (the timer is the event), then fires it. */
static void
run_timer (McuDtls *dtls)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  gint64 ms = mcu_dtls_get_timeout_ms (dtls);

  g_assert_cmpint (ms, >=, 0);
  g_assert_cmpint (ms, <=, 400);
  g_timeout_add ((guint) ms + 1, quit_loop, loop);
  g_main_loop_run (loop);
  g_assert_cmpint (mcu_dtls_get_timeout_ms (dtls), ==, 0);
  mcu_dtls_handle_timeout (dtls);
}

static void
test_retransmission (void)
{
  Fixture f = { 0 };

  fixture_setup (&f, NULL, NULL);
  set_fingerprints (&f);
  f.client.drop_next = 1; /* the first ClientHello is lost */
  mcu_dtls_start (f.client.dtls);
  g_assert_cmpuint (pump (&f), ==, 0);
  g_assert_cmpint (mcu_dtls_get_state (f.client.dtls), ==, MCU_DTLS_STATE_HANDSHAKING);
  run_timer (f.client.dtls);
  g_assert_cmpuint (f.client.sent, ==, 2);
  pump (&f);
  g_assert_cmpint (mcu_dtls_get_state (f.server.dtls), ==, MCU_DTLS_STATE_CONNECTED);
  g_assert_cmpint (mcu_dtls_get_state (f.client.dtls), ==, MCU_DTLS_STATE_CONNECTED);
  fixture_teardown (&f);
}

static void
test_garbage_and_close (void)
{
  Fixture f = { 0 };
  guint8 junk[300];

  fixture_setup (&f, NULL, NULL);
  set_fingerprints (&f);
  mcu_dtls_start (f.client.dtls);
  pump (&f);
  g_assert_cmpint (mcu_dtls_get_state (f.server.dtls), ==, MCU_DTLS_STATE_CONNECTED);
  /* Records that look like DTLS (content types 20-23, epoch 1) but are not: dropped, still up. */
  guint sent_before = f.server.sent;
  for (int i = 0; i < 200; i++) {
    gsize len = 1 + (gsize) g_random_int_range (0, sizeof junk);
    for (gsize j = 0; j < sizeof junk; j++)
      junk[j] = (guint8) g_random_int ();
    junk[0] = (guint8) (20 + i % 4);
    junk[1] = 0xfe, junk[2] = 0xfd, junk[3] = 0, junk[4] = (guint8) (i / 4 % 3);
    if (i % 2 == 0 && len > 13) { /* well-formed record framing, garbage inside */
      junk[11] = (guint8) ((len - 13) >> 8), junk[12] = (guint8) (len - 13);
    }
    mcu_dtls_handle_datagram (f.server.dtls, junk, len);
  }
  g_assert_cmpuint (mcu_dtls_get_malformed (f.server.dtls), >=, 90);
  g_assert_cmpint (mcu_dtls_get_state (f.server.dtls), ==, MCU_DTLS_STATE_CONNECTED);
  /* No alert went back to the (innocent) peer. */
  g_assert_cmpuint (f.server.sent, ==, sent_before);
  g_assert_cmpuint (pump (&f), ==, 0);
  mcu_dtls_close (f.client.dtls);
  g_assert_cmpint (mcu_dtls_get_state (f.client.dtls), ==, MCU_DTLS_STATE_CLOSED);
  g_assert_cmpuint (pump (&f), >=, 1);
  g_assert_cmpint (mcu_dtls_get_state (f.server.dtls), ==, MCU_DTLS_STATE_CLOSED);
  g_assert_cmpstr (mcu_dtls_state_name (MCU_DTLS_STATE_CLOSED), ==, "closed");
  fixture_teardown (&f);
}

static void
test_certificate (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuCertificate) cert = mcu_certificate_new_generated (NULL, &error);
  g_autofree char *key_pem = NULL;
  g_autofree char *pem = NULL;
  const char *fp;

  g_assert_no_error (error);
  fp = mcu_certificate_get_fingerprint (cert);
  g_assert_cmpuint (strlen (fp), ==, 32 * 3 - 1);
  for (int i = 0; i < 32 * 3 - 1; i++)
    g_assert_true (i % 3 == 2 ? fp[i] == ':' : g_ascii_isxdigit (fp[i]) && !g_ascii_islower (fp[i]));
  pem = mcu_certificate_to_pem (cert, &key_pem);
  g_assert_true (g_str_has_prefix (pem, "-----BEGIN CERTIFICATE-----"));
  g_assert_nonnull (strstr (key_pem, "PRIVATE KEY"));

  g_autoptr (McuCertificate) again = mcu_certificate_new_from_pem (pem, key_pem, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mcu_certificate_get_fingerprint (again), ==, fp);

  /* Files: good, missing, and a key that belongs to another certificate. */
  g_autofree char *dir = g_dir_make_tmp ("test-dtls-XXXXXX", &error);
  g_autofree char *cert_path = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (dir, "key.pem", NULL);
  g_assert_true (g_file_set_contents (cert_path, pem, -1, NULL));
  g_assert_true (g_file_set_contents (key_path, key_pem, -1, NULL));
  g_autoptr (McuCertificate) loaded = mcu_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mcu_certificate_get_fingerprint (loaded), ==, fp);
  g_autoptr (McuCertificate) other = mcu_certificate_new_generated (NULL, NULL);
  g_autofree char *other_key = NULL;
  g_autofree char *other_pem = mcu_certificate_to_pem (other, &other_key);
  g_assert_cmpstr (other_pem, !=, pem);
  g_assert_cmpstr (mcu_certificate_get_fingerprint (other), !=, fp);
  g_assert_null (mcu_certificate_new_from_pem (pem, other_key, &error));
  g_assert_error (error, MCU_CERT_ERROR, 0);
  g_clear_error (&error);
  g_assert_null (mcu_certificate_new_from_pem ("nonsense", key_pem, &error));
  g_assert_error (error, MCU_CERT_ERROR, 0);
  g_clear_error (&error);
  g_assert_null (mcu_certificate_new_from_files (cert_path, "/nonexistent/key.pem", &error));
  g_assert_nonnull (error);
  g_unlink (cert_path);
  g_unlink (key_path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dtls/certificate", test_certificate);
  g_test_add_func ("/dtls/handshake/gcm", test_handshake_gcm);
  g_test_add_func ("/dtls/handshake/cm-sha1-80", test_handshake_cm);
  g_test_add_func ("/dtls/handshake/cm-server-preference", test_handshake_cm_server_pref);
  g_test_add_func ("/dtls/handshake/no-common-profile", test_no_common_profile);
  g_test_add_func ("/dtls/fingerprint/wrong-at-server", test_wrong_fingerprint_server);
  g_test_add_func ("/dtls/fingerprint/wrong-at-client", test_wrong_fingerprint_client);
  g_test_add_func ("/dtls/fingerprint/missing", test_no_fingerprint);
  g_test_add_func ("/dtls/fingerprint/bad-text", test_bad_fingerprint_text);
  g_test_add_func ("/dtls/retransmission", test_retransmission);
  g_test_add_func ("/dtls/garbage-then-close", test_garbage_and_close);
  return g_test_run ();
}
