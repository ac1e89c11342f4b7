/* SPDX-License-Identifier: Apache-2.0 */
/*
 * File-system ABI constants shared by the simulated kernel and the
 * syscall-shaped user layer: open() flags and poll() events, Linux values.
 */
#ifndef PRISIM_SW_KERNEL_FS_ABI_H
#define PRISIM_SW_KERNEL_FS_ABI_H

/* poll() events */
#define PX_POLLIN     0x0001
#define PX_POLLPRI    0x0002
#define PX_POLLOUT    0x0004
#define PX_POLLERR    0x0008
#define PX_POLLHUP    0x0010
#define PX_POLLNVAL   0x0020
#define PX_POLLRDNORM 0x0040
#define PX_POLLWRNORM 0x0100

/* open() flags */
#define PX_O_RDONLY   00
#define PX_O_WRONLY   01
#define PX_O_RDWR     02
#define PX_O_ACCMODE  03
#define PX_O_NONBLOCK 04000
#define PX_O_CLOEXEC  02000000

/* struct pollfd */
struct px_pollfd {
	int fd;
	short events;
	short revents;
};

#endif /* PRISIM_SW_KERNEL_FS_ABI_H */
