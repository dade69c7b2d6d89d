/* The V4L2 device seam: the six system calls that the V4L2 source makes on
 * a video device (open, close, ioctl, mmap, munmap, poll), as a table of
 * function pointers. tsn_v4l2_ops_system() gives the real ones (plain libc,
 * no libv4l); a test gives its own table to script a fake device, since a
 * test machine need not have any /dev/video node.
 *
 * Unlike libc, every call returns 0 (or a count, an fd) on success and a
 * negative errno on failure, never -1 + errno: a fake device needs no
 * thread-local errno and a caller cannot read a stale one. The ops do not
 * retry anything but EINTR and do not log. */
#ifndef TSN_V4L2_OPS_H
#define TSN_V4L2_OPS_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

struct tsn_v4l2_ops {
    /* Opens path with open(2) flags; returns an fd (>= 0) or -errno. */
    int (*open)(void *ctx, const char *path, int flags);
    /* Closes an fd from open; returns 0 or -errno (the fd is gone either way). */
    int (*close)(void *ctx, int fd);
    /* One V4L2 ioctl (VIDIOC_*) on fd with its argument struct; 0 or -errno. */
    int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
    /* Maps length bytes of the device's buffer memory at offset, shared and
     * read-write (as VIDIOC_QUERYBUF tells); stores the address in *out. */
    int (*mmap)(void *ctx, int fd, size_t length, off_t offset, void **out);
    int (*munmap)(void *ctx, void *addr, size_t length);
    /* poll(2) over fds, which may mix device fds with ordinary ones (the
     * source's stop eventfd): returns the number of ready entries or -errno. */
    int (*poll)(void *ctx, struct pollfd *fds, nfds_t nfds, int timeout_ms);
    void *ctx; /* passed to every call; NULL for the system ops */
};

/* The real system calls. The table is static and immutable (transfer none). */
const struct tsn_v4l2_ops *tsn_v4l2_ops_system(void);

#endif
