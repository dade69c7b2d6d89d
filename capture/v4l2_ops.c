/* The real V4L2 device calls behind struct tsn_v4l2_ops: thin wrappers over
 * libc that turn -1 + errno into -errno and retry EINTR. No libv4l, no
 * logging, no state. */
#include "v4l2_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int sys_open(void *ctx, const char *path, int flags)
{
    (void)ctx;
    int fd;
    do
        fd = open(path, flags);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

static int sys_close(void *ctx, int fd)
{
    (void)ctx;
    /* Never retry close: on Linux the fd is released even on EINTR. */
    return close(fd) < 0 ? -errno : 0;
}

static int sys_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
    (void)ctx;
    int r;
    do
        r = ioctl(fd, request, arg);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

static int sys_mmap(void *ctx, int fd, size_t length, off_t offset, void **out)
{
    (void)ctx;
    void *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
    if (p == MAP_FAILED)
        return -errno;
    *out = p;
    return 0;
}

static int sys_munmap(void *ctx, void *addr, size_t length)
{
    (void)ctx;
    return munmap(addr, length) < 0 ? -errno : 0;
}

static int sys_poll(void *ctx, struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
    (void)ctx;
    /* EINTR is returned, not retried: the caller recomputes its timeout. */
    int r = poll(fds, nfds, timeout_ms);
    return r < 0 ? -errno : r;
}

static const struct tsn_v4l2_ops system_ops = {
    .open = sys_open,
    .close = sys_close,
    .ioctl = sys_ioctl,
    .mmap = sys_mmap,
    .munmap = sys_munmap,
    .poll = sys_poll,
    .ctx = NULL,
};

const struct tsn_v4l2_ops *tsn_v4l2_ops_system(void)
{
    return &system_ops;
}
