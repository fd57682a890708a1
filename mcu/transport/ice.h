/* SPDX-License-Identifier: MIT */
/*
 * ICE candidate lines (RFC 8839 §5.1) to and from libnice's NiceCandidate. libnice's own SDP
 * parser only knows upper-case "UDP" and leaves fields unset on short lines, so the transport
 * parses candidates itself and rejects anything incomplete.
 * Internal to mcu/transport (used by peer.c and its tests). Pure functions; any thread.
 */
#pragma once

#include <glib.h>
#include <nice/agent.h>

G_BEGIN_DECLS

/* Parses "candidate:..." (an "a=" prefix is allowed). The result has @stream_id set.
 * Errors are in MCU_PEER_ERROR: INVALID for malformed lines, UNSUPPORTED for mDNS (".local") or
 * FQDN addresses. (transfer full) */
NiceCandidate *mcu_ice_candidate_parse (const char *line, guint stream_id, GError **error);
/* "candidate:FOUNDATION COMPONENT udp|tcp PRIORITY ADDRESS PORT typ TYPE [raddr A rport P]
 * [tcptype T]" without "a=". (transfer full) */
char *mcu_ice_candidate_to_string (const NiceCandidate *candidate);
/* The same with @address in place of the candidate's address, and a foundation of its own (for
 * a 1:1 NAT public address). (transfer full) */
char *mcu_ice_candidate_to_string_with_address (const NiceCandidate *candidate,
                                                const char *address);

/* Static names for stats. */
const char *mcu_ice_candidate_type_name (NiceCandidateType type);
const char *mcu_ice_component_state_name (NiceComponentState state);

G_END_DECLS
