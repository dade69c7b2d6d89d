/* Sanitizer settings for unit tests that run GStreamer; include it from
 * exactly one file of the test program (it defines the hooks).
 *
 * GLib allocates a 16 KiB quark block in its library constructor and drops
 * it, by design, once the quark table grows (loading plugins does), which
 * LeakSanitizer then reports after any GStreamer use. Ignore allocations made
 * while shared libraries initialise (_dl_init) and nothing else. GLib has no
 * frame pointers, so seeing _dl_init in an allocation's stack takes the slow
 * unwinder. Both hooks are inert in builds without sanitizers. */
#ifndef TSN_GST_SANITIZER_H
#define TSN_GST_SANITIZER_H

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:_dl_init\n";
}

#endif
