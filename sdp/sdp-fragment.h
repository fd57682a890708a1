/* SPDX-License-Identifier: MIT */
/*
 * Trickle-ICE SDP fragments (RFC 8840, application/trickle-ice-sdpfrag) as carried by WHIP PATCH
 * (RFC 9725 §4.3): new candidates, end-of-candidates, and ICE restarts (new ufrag/pwd).
 *
 * Threads: pure functions; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *mid;          /* a=mid of the m= section the candidate was under; NULL at session level */
  guint mline_index;  /* index of that m= section in the fragment (0 if at session level) */
  char *candidate;    /* "candidate:..." (no "a=") */
} McuSdpFragmentCandidate;

typedef struct {
  char *ice_ufrag, *ice_pwd;          /* NULL if absent; a new ufrag means an ICE restart */
  gboolean ice_trickle, ice2;         /* a=ice-options */
  McuSdpFragmentCandidate *candidates;
  guint n_candidates;
  gboolean end_of_candidates;
} McuSdpFragment;

/* Parses a fragment: only a=, m= and c= lines (no v=/o=/s= needed). At most 1000 candidates and
 * 64 KiB. Errors are MCU_SDP_ERROR naming the line. @out: (transfer full). */
gboolean mcu_sdp_fragment_parse (const char *text, gssize len, McuSdpFragment **out, GError **error);
void mcu_sdp_fragment_free (McuSdpFragment *fragment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuSdpFragment, mcu_sdp_fragment_free)

/* Writes the fragment for a PATCH 200 answer to an ICE restart (RFC 9725 §4.3.2): session-level
 * ice-ufrag/ice-pwd, then "m=audio 9 UDP/TLS/RTP/SAVPF 0" with a=mid:@mid (the BUNDLE tag) carrying
 * @candidates ("candidate:..." values, may be NULL) and a=end-of-candidates if asked. CRLF endings.
 * (transfer full) */
char *mcu_sdp_fragment_write (const char *ice_ufrag, const char *ice_pwd, const char *mid,
                              const char *const *candidates, gboolean end_of_candidates);

G_END_DECLS
