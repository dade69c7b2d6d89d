/* abs-capture-time RTP header extension: wire helpers, time conversions,
 * the GstRTPHeaderExtension subclass and the PTS -> capture-time map. See
 * abs_capture_time.h for the contract. Does not discipline clocks or
 * negotiate SDP. */
#include "abs_capture_time.h"

#include <errno.h>
#include <stdlib.h>

#include <gst/rtp/rtp.h>

#include "bytes.h"
#include "log.h"

#define NS_PER_S  1000000000ULL
#define US_PER_S  1000000LL
#define FRAC_ONE  (1ULL << 32)
#define FRAC_HALF (1ULL << 31)

/* ---- Wire format ---- */

void tsn_act_pack(uint64_t ntp_q32, uint8_t out[8])
{
    tsn_wr32(out, (uint32_t)(ntp_q32 >> 32));
    tsn_wr32(out + 4, (uint32_t)ntp_q32);
}

static uint64_t rd64(const uint8_t *p)
{
    return ((uint64_t)tsn_rd32(p) << 32) | tsn_rd32(p + 4);
}

int tsn_act_parse(const uint8_t *buf, size_t len, uint64_t *ntp_q32, int64_t *offset_q32_or_null)
{
    if (!buf || (len != 8 && len != 16))
        return -EBADMSG;
    *ntp_q32 = rd64(buf);
    if (offset_q32_or_null)
        *offset_q32_or_null = len == 16 ? (int64_t)rd64(buf + 8) : 0;
    return 0;
}

/* ---- Conversions ---- */

/* Seconds since 1900 of an NTP timestamp, resolving the 2036 wrap (RFC 4330
 * §3): the top bit clear means era 1. */
static uint64_t ntp_seconds_1900(uint64_t ntp_q32)
{
    uint64_t s = ntp_q32 >> 32;
    return (s & 0x80000000ULL) ? s : s + FRAC_ONE;
}

/* A sub-second count in units of `per_s` -> a 32-bit fraction, rounded.
 * sub < per_s <= 1e9 < 2^30, so sub << 32 fits in 64 bits; the result is at
 * most 2^32 - 4 for the largest sub, never a carry into the seconds. */
static uint64_t frac_from_sub(uint64_t sub, uint64_t per_s)
{
    return ((sub << 32) + per_s / 2) / per_s;
}

static uint64_t sub_from_frac(uint64_t frac, uint64_t per_s)
{
    return (frac * per_s + FRAC_HALF) >> 32;
}

uint64_t tsn_act_ntp_from_unix_us(int64_t unix_us)
{
    int64_t s = unix_us / US_PER_S, us = unix_us % US_PER_S;
    if (us < 0) {
        us += US_PER_S;
        s--;
    }
    uint64_t ntp_s = (uint64_t)(s + TSN_ACT_NTP_UNIX_DIFF) & 0xFFFFFFFFULL;
    return (ntp_s << 32) | frac_from_sub((uint64_t)us, US_PER_S);
}

int64_t tsn_act_unix_us_from_ntp(uint64_t ntp_q32)
{
    int64_t s = (int64_t)ntp_seconds_1900(ntp_q32) - TSN_ACT_NTP_UNIX_DIFF;
    return s * US_PER_S + (int64_t)sub_from_frac(ntp_q32 & 0xFFFFFFFFULL, US_PER_S);
}

uint64_t tsn_act_ntp_from_gst_ns(uint64_t ns_since_1900)
{
    uint64_t ntp_s = (ns_since_1900 / NS_PER_S) & 0xFFFFFFFFULL;
    return (ntp_s << 32) | frac_from_sub(ns_since_1900 % NS_PER_S, NS_PER_S);
}

uint64_t tsn_act_gst_ns_from_ntp(uint64_t ntp_q32)
{
    return ntp_seconds_1900(ntp_q32) * NS_PER_S + sub_from_frac(ntp_q32 & 0xFFFFFFFFULL, NS_PER_S);
}

uint64_t tsn_act_gst_ns_from_unix_us(int64_t unix_us)
{
    return (uint64_t)(unix_us + TSN_ACT_NTP_UNIX_DIFF * US_PER_S) * 1000ULL;
}

int64_t tsn_act_unix_us_from_gst_ns(uint64_t ns_since_1900)
{
    return (int64_t)((ns_since_1900 + 500) / 1000) - TSN_ACT_NTP_UNIX_DIFF * US_PER_S;
}

/* ---- Buffer metas ---- */

static GstStaticCaps ntp_caps = GST_STATIC_CAPS(TSN_ACT_REF_CAPS);

static GstReferenceTimestampMeta *find_meta(GstBuffer *buf)
{
    GstCaps *caps = gst_static_caps_get(&ntp_caps);
    GstReferenceTimestampMeta *meta = gst_buffer_get_reference_timestamp_meta(buf, caps);
    gst_caps_unref(caps);
    return meta;
}

int64_t tsn_act_buffer_capture_unix_us(GstBuffer *buf)
{
    GstReferenceTimestampMeta *meta = buf ? find_meta(buf) : NULL;
    if (!meta || !GST_CLOCK_TIME_IS_VALID(meta->timestamp))
        return -1;
    return tsn_act_unix_us_from_gst_ns(meta->timestamp);
}

/* Updates the existing meta rather than adding a second one: the
 * depayloader may read several packets' extensions into one output buffer,
 * and the first meta is the one readers find. */
static void set_meta_ns(GstBuffer *buf, uint64_t ns)
{
    GstReferenceTimestampMeta *meta = find_meta(buf);
    if (meta) {
        meta->timestamp = ns;
        return;
    }
    GstCaps *caps = gst_static_caps_get(&ntp_caps);
    gst_buffer_add_reference_timestamp_meta(buf, caps, ns, GST_CLOCK_TIME_NONE);
    gst_caps_unref(caps);
}

void tsn_act_buffer_set_capture_unix_us(GstBuffer *buf, int64_t unix_us)
{
    g_return_if_fail(buf && gst_buffer_is_writable(buf));
    if (unix_us < 0)
        return;
    set_meta_ns(buf, tsn_act_gst_ns_from_unix_us(unix_us));
}

/* ---- The GstRTPHeaderExtension subclass ----
 * No instance state: the value comes from each input buffer's meta. */

static gint malformed_count; /* atomic; only statistics */

guint tsn_act_malformed_count(void)
{
    return (guint)g_atomic_int_get(&malformed_count);
}

static GstRTPHeaderExtensionFlags act_supported_flags(GstRTPHeaderExtension *ext)
{
    return GST_RTP_HEADER_EXTENSION_ONE_BYTE | GST_RTP_HEADER_EXTENSION_TWO_BYTE;
}

static gsize act_max_size(GstRTPHeaderExtension *ext, const GstBuffer *input_meta)
{
    return TSN_ACT_SIZE_BYTES;
}

static gssize act_write(GstRTPHeaderExtension *ext, const GstBuffer *input_meta,
                        GstRTPHeaderExtensionFlags write_flags, GstBuffer *output, guint8 *data,
                        gsize size)
{
    /* The getter does not modify the buffer; the API just lacks const. */
    GstReferenceTimestampMeta *meta = input_meta ? find_meta((GstBuffer *)input_meta) : NULL;
    if (!meta || !GST_CLOCK_TIME_IS_VALID(meta->timestamp))
        return 0;
    if (size < TSN_ACT_SIZE_BYTES)
        return -1;
    tsn_act_pack(tsn_act_ntp_from_gst_ns(meta->timestamp), data);
    return TSN_ACT_SIZE_BYTES;
}

static gboolean act_read(GstRTPHeaderExtension *ext, GstRTPHeaderExtensionFlags read_flags,
                         const guint8 *data, gsize size, GstBuffer *buffer)
{
    uint64_t ntp_q32;
    if (tsn_act_parse(data, size, &ntp_q32, NULL) != 0) {
        g_atomic_int_inc(&malformed_count);
        tsn_debug("[abs-capture-time] ignored a %zu-byte element", (size_t)size);
        return TRUE; /* see the header: FALSE would wedge the depayloader */
    }
    set_meta_ns(buffer, tsn_act_gst_ns_from_ntp(ntp_q32));
    return TRUE;
}

static void act_class_init(gpointer klass, gpointer class_data)
{
    GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
    GstRTPHeaderExtensionClass *ext_class = GST_RTP_HEADER_EXTENSION_CLASS(klass);

    ext_class->get_supported_flags = act_supported_flags;
    ext_class->get_max_size = act_max_size;
    ext_class->write = act_write;
    ext_class->read = act_read;
    gst_element_class_set_static_metadata(
        element_class, "Absolute capture time", GST_RTP_HDREXT_ELEMENT_CLASS,
        "Frame capture wall-clock time (abs-capture-time)", "Telesono");
    gst_rtp_header_extension_class_set_uri(ext_class, TSN_ACT_URI);
}

static GType act_get_type(void)
{
    static gsize type_id;
    if (g_once_init_enter(&type_id)) {
        GType t = g_type_register_static_simple(GST_TYPE_RTP_HEADER_EXTENSION, "TsnAbsCaptureTime",
                                                sizeof(GstRTPHeaderExtensionClass), act_class_init,
                                                sizeof(GstRTPHeaderExtension), NULL, 0);
        g_once_init_leave(&type_id, t);
    }
    return (GType)type_id;
}

gboolean tsn_abs_capture_time_register(void)
{
    static gsize done; /* 1 = failed, 2 = registered */
    if (g_once_init_enter(&done)) {
        gboolean ok =
            gst_element_register(NULL, TSN_ACT_ELEMENT_NAME, GST_RANK_MARGINAL, act_get_type());
        if (!ok)
            tsn_err("[abs-capture-time] cannot register element %s", TSN_ACT_ELEMENT_NAME);
        g_once_init_leave(&done, ok ? 2 : 1);
    }
    return done == 2;
}

/* ---- PTS -> capture time map ---- */

struct act_entry {
    GstClockTime pts;
    int64_t capture_us;
};

struct tsn_act_map {
    GMutex lock; /* protects ring and next */
    struct act_entry ring[TSN_ACT_MAP_SIZE];
    unsigned next; /* slot the next record goes to */
};

struct tsn_act_map *tsn_act_map_new(void)
{
    struct tsn_act_map *map = calloc(1, sizeof *map);
    if (!map)
        return NULL;
    g_mutex_init(&map->lock);
    for (unsigned i = 0; i < TSN_ACT_MAP_SIZE; i++)
        map->ring[i].pts = GST_CLOCK_TIME_NONE;
    return map;
}

void tsn_act_map_free(struct tsn_act_map *map)
{
    if (!map)
        return;
    g_mutex_clear(&map->lock);
    free(map);
}

void tsn_act_map_record(struct tsn_act_map *map, GstClockTime pts, int64_t capture_us)
{
    if (!GST_CLOCK_TIME_IS_VALID(pts) || capture_us < 0)
        return;
    g_mutex_lock(&map->lock);
    map->ring[map->next] = (struct act_entry){pts, capture_us};
    map->next = (map->next + 1) % TSN_ACT_MAP_SIZE;
    g_mutex_unlock(&map->lock);
}

int64_t tsn_act_map_lookup(struct tsn_act_map *map, GstClockTime pts)
{
    int64_t found = -1;
    if (!GST_CLOCK_TIME_IS_VALID(pts))
        return -1;
    g_mutex_lock(&map->lock);
    /* Newest first: a frame is usually looked up soon after it is recorded. */
    for (unsigned n = 1; n <= TSN_ACT_MAP_SIZE; n++) {
        const struct act_entry *e =
            &map->ring[(map->next + TSN_ACT_MAP_SIZE - n) % TSN_ACT_MAP_SIZE];
        if (e->pts == pts) {
            found = e->capture_us;
            break;
        }
    }
    g_mutex_unlock(&map->lock);
    return found;
}
