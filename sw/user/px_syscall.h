/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Syscall-shaped interface of a simulated user process: open, close, ioctl,
 * read, write, pread, pwrite and poll on simulated fds, plus page allocation
 * (the process's memory is simulated DRAM, identity-mapped, so the physical
 * address of a page is also its user address for IOMMU_IOAS_MAP).
 *
 * Each call has the shape of the libc wrapper it stands for, without errno:
 * it returns what the syscall returns on success and -errno on failure.
 * A handler written against these calls ports to Linux by replacing px_xxx(p,
 * ...) with xxx(...) and checking errno. Every call charges HAL_COST_SYSCALL
 * to the calling task.
 */
#ifndef PRISIM_SW_USER_PX_SYSCALL_H
#define PRISIM_SW_USER_PX_SYSCALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/fs_abi.h"
#include "prisim/hal.h"
#include "prisim/sw.h"

struct px_proc;

#define PX_PAGE_SIZE 4096u

/*
 * px_proc_create - a new simulated process with an empty fd table, on the
 * kernel's process list.
 * RETURN VALUE: 0 and *out set, -ENOMEM, or -ESHUTDOWN once the kernel is
 * shutting down (px_kernel_shutdown).
 */
int px_proc_create(struct px_kernel *k, struct px_proc **out);
/* px_proc_destroy - process exit: closes every fd, then frees the process. */
void px_proc_destroy(struct px_proc *p);
struct hal *px_proc_hal(struct px_proc *p);
/*
 * px_proc_kill - kill(pid, SIGKILL): from now on the process's blocking
 * calls (px_poll) return -EINTR, and one blocked now is woken. The process
 * must still exit itself with px_proc_destroy(). px_kernel_shutdown() sends
 * this to every process.
 */
void px_proc_kill(struct px_proc *p);
/* RETURN VALUE: true if a fatal signal is pending for the process. */
bool px_proc_killed(const struct px_proc *p);

/* RETURN VALUE: the new fd (lowest free >= 3), or -ENOENT, -EMFILE, -ENOMEM. */
int px_open(struct px_proc *p, const char *path, int flags);
/* RETURN VALUE: 0 or -EBADF. */
int px_close(struct px_proc *p, int fd);
/* RETURN VALUE: the command's result, -EBADF or -ENOTTY. */
int px_ioctl(struct px_proc *p, int fd, unsigned long cmd, void *arg);
/* RETURN VALUE: bytes transferred (possibly 0), or -errno (-EBADF, -EINVAL, ...). */
ssize_t px_read(struct px_proc *p, int fd, void *buf, size_t count);
ssize_t px_write(struct px_proc *p, int fd, const void *buf, size_t count);
/*
 * Positioned I/O. RETURN VALUE: as px_read/px_write; also -ESPIPE on a
 * file that is a stream (the fault fd: Linux gives its anonymous file no
 * FMODE_PREAD/FMODE_PWRITE), -EINVAL if offset is negative as a loff_t.
 */
ssize_t px_pread(struct px_proc *p, int fd, void *buf, size_t count, uint64_t offset);
ssize_t px_pwrite(struct px_proc *p, int fd, const void *buf, size_t count, uint64_t offset);
/*
 * px_poll - wait until one of the fds is ready. timeout_ms < 0 waits forever,
 * 0 does not wait; nfds == 0 just sleeps. Blocks on the HAL; woken when a
 * file signals new data or a fatal signal arrives (px_proc_kill).
 * RETURN VALUE: number of fds with non-zero revents (0 on timeout), or
 * -EINTR (fatal signal pending: at entry, or arrived while waiting), -EFAULT,
 * -ENOMEM (only for more than 8 fds: smaller sets need no allocation).
 */
int px_poll(struct px_proc *p, struct px_pollfd *fds, unsigned int nfds, int timeout_ms);

/*
 * px_alloc_user_page - one zeroed 4 KiB page of process memory.
 * RETURN VALUE: its CPU pointer with *pa (== its user address) set, or NULL.
 */
void *px_alloc_user_page(struct px_proc *p, hal_paddr_t *pa);
void px_free_user_page(struct px_proc *p, void *cpu);

/*
 * px_alloc_data_page - one zeroed 4 KiB page of process memory that the
 * process never reads or writes itself: devices do, through the IOMMU (a page
 * a handler maps for a fault). It has no CPU pointer (hal_page_alloc()).
 * RETURN VALUE: its user address (== its physical address), or 0.
 */
uint64_t px_alloc_data_page(struct px_proc *p);
void px_free_data_page(struct px_proc *p, uint64_t uva);

#endif /* PRISIM_SW_USER_PX_SYSCALL_H */
