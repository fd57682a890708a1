/* SPDX-License-Identifier: MIT */
/*
 * ICE candidate lines for McuPeer: parsing the remote's (from the SDP offer or a trickle PATCH) and
 * writing ours. Strict: every mandatory field must be present and in range; extension attributes
 * we do not use (generation, ufrag, network-id, network-cost) are skipped. Any thread.
 */
#define G_LOG_DOMAIN "mcu-ice"

#include "ice.h"

#include "peer.h"

#include <string.h>

static const char *const type_names[] = { "host", "srflx", "prflx", "relay" };

const char *
mcu_ice_candidate_type_name (NiceCandidateType type)
{
  return (guint) type < G_N_ELEMENTS (type_names) ? type_names[type] : "unknown";
}

const char *
mcu_ice_component_state_name (NiceComponentState state)
{
  static const char *const names[] = { "disconnected", "gathering", "connecting",
                                       "connected", "ready", "failed" };

  return (guint) state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

static gboolean
parse_uint (const char *text, guint64 max, guint64 *out)
{
  return text != NULL && g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL);
}

static gboolean
invalid (GError **error, const char *line, const char *what)
{
  g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_INVALID, "bad candidate '%.200s': %s", line,
               what);
  return FALSE;
}

static gboolean
parse_type (const char *text, NiceCandidateType *type)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (type_names); i++) {
    if (g_ascii_strcasecmp (text, type_names[i]) == 0) {
      *type = (NiceCandidateType) i;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
parse_tcptype (const char *text, NiceCandidateTransport *transport)
{
  static const struct {
    const char *name;
    NiceCandidateTransport transport;
  } table[] = { { "active", NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE },
                { "passive", NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE },
                { "so", NICE_CANDIDATE_TRANSPORT_TCP_SO } };

  for (gsize i = 0; text != NULL && i < G_N_ELEMENTS (table); i++) {
    if (g_ascii_strcasecmp (text, table[i].name) == 0) {
      *transport = table[i].transport;
      return TRUE;
    }
  }
  return FALSE;
}

/* An IP literal (v4 or v6) into @addr with @port. */
static gboolean
set_address (NiceAddress *addr, const char *text, guint64 port)
{
  nice_address_init (addr);
  if (text == NULL || !nice_address_set_from_string (addr, text))
    return FALSE;
  nice_address_set_port (addr, (guint) port);
  return TRUE;
}

static gboolean
foundation_ok (const char *text)
{
  gsize len = strlen (text);

  if (len == 0 || len >= NICE_CANDIDATE_MAX_FOUNDATION)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      return FALSE;
  return TRUE;
}

typedef struct {
  const char *raddr;
  guint64 rport;
  gboolean has_rport;
  const char *tcptype;
} Extensions;

/* The name/value pairs after "typ TYPE". */
static gboolean
parse_extensions (char **tokens, Extensions *ext)
{
  for (guint i = 0; tokens[i] != NULL; i += 2) {
    if (tokens[i + 1] == NULL)
      return FALSE;
    if (g_str_equal (tokens[i], "raddr"))
      ext->raddr = tokens[i + 1];
    else if (g_str_equal (tokens[i], "rport")) {
      if (!parse_uint (tokens[i + 1], 65535, &ext->rport))
        return FALSE;
      ext->has_rport = TRUE;
    } else if (g_str_equal (tokens[i], "tcptype"))
      ext->tcptype = tokens[i + 1];
  }
  return TRUE;
}

static const char *
strip_prefix (const char *line)
{
  if (g_str_has_prefix (line, "a="))
    line += 2;
  return g_str_has_prefix (line, "candidate:") ? line + strlen ("candidate:") : NULL;
}

NiceCandidate *
mcu_ice_candidate_parse (const char *line, guint stream_id, GError **error)
{
  const char *body = line ? strip_prefix (line) : NULL;
  g_auto (GStrv) tokens = NULL;
  guint64 component, priority, port;
  NiceCandidateType type;
  NiceCandidateTransport transport = NICE_CANDIDATE_TRANSPORT_UDP;
  Extensions ext = { 0 };
  NiceCandidate *candidate;

  if (body == NULL)
    return invalid (error, line ? line : "", "does not start with candidate:"), NULL;
  g_autofree char *copy = g_strstrip (g_strdup (body));
  tokens = g_strsplit (copy, " ", -1);
  if (g_strv_length (tokens) < 8 || !g_str_equal (tokens[6], "typ"))
    return invalid (error, line, "expected FOUNDATION COMPONENT TRANSPORT PRIORITY ADDRESS PORT typ TYPE"), NULL;
  if (!foundation_ok (tokens[0]))
    return invalid (error, line, "bad foundation"), NULL;
  if (!parse_uint (tokens[1], 256, &component) || component == 0 ||
      !parse_uint (tokens[3], G_MAXUINT32, &priority) || !parse_uint (tokens[5], 65535, &port))
    return invalid (error, line, "bad component, priority or port"), NULL;
  if (!parse_type (tokens[7], &type) || !parse_extensions (tokens + 8, &ext))
    return invalid (error, line, "bad type or extension attributes"), NULL;
  if (g_ascii_strcasecmp (tokens[2], "tcp") == 0) {
    if (!parse_tcptype (ext.tcptype, &transport))
      return invalid (error, line, "TCP candidate without a valid tcptype"), NULL;
  } else if (g_ascii_strcasecmp (tokens[2], "udp") != 0) {
    return invalid (error, line, "transport is neither udp nor tcp"), NULL;
  }
  if (component != 1) {
    g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_UNSUPPORTED,
                 "candidate for component %u ignored: rtcp-mux is used", (guint) component);
    return NULL;
  }
  candidate = nice_candidate_new (type);
  if (!set_address (&candidate->addr, tokens[4], port) || port == 0 ||
      (ext.raddr != NULL && !set_address (&candidate->base_addr, ext.raddr, ext.rport))) {
    nice_candidate_free (candidate);
    if (g_str_has_suffix (tokens[4], ".local")) {
      g_set_error (error, MCU_PEER_ERROR, MCU_PEER_ERROR_UNSUPPORTED,
                   "mDNS candidate '%s' cannot be resolved here", tokens[4]);
      return NULL;
    }
    return invalid (error, line, "address is not an IP literal, or port is 0"), NULL;
  }
  candidate->transport = transport;
  candidate->component_id = 1;
  candidate->stream_id = stream_id;
  candidate->priority = (guint32) priority;
  g_strlcpy (candidate->foundation, tokens[0], NICE_CANDIDATE_MAX_FOUNDATION);
  return candidate;
}

static const char *
tcptype_name (NiceCandidateTransport transport)
{
  switch (transport) {
  case NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE:
    return "active";
  case NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE:
    return "passive";
  case NICE_CANDIDATE_TRANSPORT_TCP_SO:
    return "so";
  case NICE_CANDIDATE_TRANSPORT_UDP:
  default:
    return NULL;
  }
}

static char *
format_candidate (const NiceCandidate *candidate, const char *address, const char *foundation_suffix)
{
  char addr[NICE_ADDRESS_STRING_LEN], base[NICE_ADDRESS_STRING_LEN];
  const char *tcptype = tcptype_name (candidate->transport);
  GString *line = g_string_new (NULL);
  guint port = nice_address_get_port (&candidate->addr);

  nice_address_to_string (&candidate->addr, addr);
  g_string_append_printf (line, "candidate:%s%s %u %s %u %s %u typ %s", candidate->foundation,
                          foundation_suffix, candidate->component_id, tcptype ? "tcp" : "udp",
                          candidate->priority, address ? address : addr,
                          tcptype && candidate->transport == NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE ? 9 : port,
                          mcu_ice_candidate_type_name (candidate->type));
  if (candidate->type != NICE_CANDIDATE_TYPE_HOST && nice_address_is_valid (&candidate->base_addr)) {
    nice_address_to_string (&candidate->base_addr, base);
    g_string_append_printf (line, " raddr %s rport %u", base,
                            nice_address_get_port (&candidate->base_addr));
  }
  if (tcptype != NULL)
    g_string_append_printf (line, " tcptype %s", tcptype);
  return g_string_free (line, FALSE);
}

char *
mcu_ice_candidate_to_string (const NiceCandidate *candidate)
{
  return format_candidate (candidate, NULL, "");
}

char *
mcu_ice_candidate_to_string_with_address (const NiceCandidate *candidate, const char *address)
{
  return format_candidate (candidate, address, "n");
}
