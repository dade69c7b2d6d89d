/* Where unit tests find the real ultrasound clips (tests/data/ultrasound):
 * $TSN_CLIPS when set, else the source tree's directory, which CMake passes
 * as TSN_CLIPS_DIR. Header-only; include it from one file per program. */
#ifndef TSN_TEST_CLIPS_H
#define TSN_TEST_CLIPS_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char clips_dir[PATH_MAX + 64];

/* Fills clips_dir; 0, or -ENOENT when the bone clip is not there (the test
 * must then fail, not skip). */
static int find_clips(void)
{
    const char *env = getenv("TSN_CLIPS");
    snprintf(clips_dir, sizeof clips_dir, "%s", env && *env ? env : TSN_CLIPS_DIR);
    char p[PATH_MAX + 128];
    snprintf(p, sizeof p, "%s/BoneUltrasound_L14_ffv1.mkv", clips_dir);
    return access(p, R_OK) == 0 ? 0 : -ENOENT;
}

#endif
