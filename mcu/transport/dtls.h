/* SPDX-License-Identifier: MIT */
/*
 * McuDtls: one DTLS 1.2 association for DTLS-SRTP (RFC 5763/5764), fed and drained through memory, so
 * it runs over any transport (libnice in McuPeer, a queue in tests). The remote certificate must
 * match the fingerprint from the SDP; on success the SRTP keys are exported for McuSrtp.
 * Threads: not thread-safe; one thread (the peer's media thread) calls everything, and the send
 * function is called synchronously from inside start/handle_datagram/handle_timeout/close.
 */
#pragma once

#include <glib.h>

#include "cert.h"
#include "srtp.h"

G_BEGIN_DECLS

typedef struct _McuDtls McuDtls;

typedef enum {
  MCU_DTLS_ROLE_SERVER, /* a=setup:passive: waits for the ClientHello */
  MCU_DTLS_ROLE_CLIENT, /* a=setup:active: sends the ClientHello */
} McuDtlsRole;

typedef enum {
  MCU_DTLS_STATE_NEW,
  MCU_DTLS_STATE_HANDSHAKING,
  MCU_DTLS_STATE_CONNECTED, /* handshake done, fingerprint matched, SRTP keys available */
  MCU_DTLS_STATE_FAILED,    /* see mcu_dtls_get_error () */
  MCU_DTLS_STATE_CLOSED,    /* close_notify sent or received */
} McuDtlsState;

#define MCU_DTLS_ERROR (mcu_dtls_error_quark ())
GQuark mcu_dtls_error_quark (void);

/* MTU for DTLS records; handshake messages are fragmented to fit. */
#define MCU_DTLS_MTU 1200

/* Called with each outgoing datagram (one or more whole records). @data is only valid during the call. */
typedef void (*McuDtlsSendFunc) (const guint8 *data, gsize len, gpointer user_data);

/* @srtp_profiles: OpenSSL use_srtp list, NULL for "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80".
 * (transfer full) */
McuDtls *mcu_dtls_new (McuCertificate *cert, McuDtlsRole role, const char *srtp_profiles,
                       McuDtlsSendFunc send, gpointer user_data, GError **error);
void mcu_dtls_free (McuDtls *dtls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuDtls, mcu_dtls_free)

/* The a=fingerprint of the remote SDP ("sha-256", "AB:CD:..."). Must be set before the remote
 * certificate arrives; a handshake with a different certificate fails. */
gboolean mcu_dtls_set_remote_fingerprint (McuDtls *dtls, const char *algorithm,
                                          const char *fingerprint, GError **error);

/* Starts the handshake (the client sends its ClientHello; the server waits). */
void mcu_dtls_start (McuDtls *dtls);
/* Feeds one received datagram whose first byte is 20-63. Datagrams that are not whole DTLS records
 * are counted and dropped. After the handshake, only handshake retransmissions and our own
 * close_notify are sent back (no alerts for forged records). Returns the state afterwards. */
McuDtlsState mcu_dtls_handle_datagram (McuDtls *dtls, const guint8 *data, gsize len);
/* Milliseconds until mcu_dtls_handle_timeout () should run (0 = now), -1 when no timer is running. */
gint64 mcu_dtls_get_timeout_ms (McuDtls *dtls);
/* Retransmits the last flight if its timer expired. Returns the state afterwards. */
McuDtlsState mcu_dtls_handle_timeout (McuDtls *dtls);
/* Sends close_notify once (when the handshake had finished) and moves to CLOSED. */
void mcu_dtls_close (McuDtls *dtls);

McuDtlsState mcu_dtls_get_state (McuDtls *dtls);
McuDtlsRole mcu_dtls_get_role (McuDtls *dtls);
/* Why the state is FAILED, or NULL. (transfer none) */
const char *mcu_dtls_get_error (McuDtls *dtls);
/* Any McuDtlsState as a static string. */
const char *mcu_dtls_state_name (McuDtlsState state);
/* Datagrams dropped because they were not whole DTLS records. */
guint64 mcu_dtls_get_malformed (McuDtls *dtls);
/* In CONNECTED: the negotiated profile and the keys for our side (local) and the remote side. */
gboolean mcu_dtls_get_srtp_keys (McuDtls *dtls, McuSrtpKeys *keys);

G_END_DECLS
