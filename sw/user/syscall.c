// SPDX-License-Identifier: Apache-2.0
/*
 * The syscall-shaped layer: a simulated process is an fd table plus a poll
 * wait queue; each call resolves the fd and dispatches to the file's ops.
 */
#include <errno.h>
#include <stdlib.h>

#include "kernel/file.h"
#include "kernel/kalloc.h"
#include "kernel/kernel.h"
#include "user/px_syscall.h"

struct px_proc {
	struct px_kernel *k;
	struct hal *hal;
	struct px_files files;
	struct px_kproc kp;            /* kp.wq: this process blocks there (poll) */
};

/**
 * px_proc_create - create a simulated process
 * @k: kernel whose device files it opens
 * @out: the process
 *
 * The process joins the kernel's process list (px_kernel_shutdown() signals
 * it there).
 *
 * Return: 0, -ENOMEM, or -ESHUTDOWN once the kernel is shutting down.
 */
int px_proc_create(struct px_kernel *k, struct px_proc **out)
{
	struct px_proc *p;
	int rc;

	if (k->shutting_down)
		return -ESHUTDOWN;
	p = px_kzalloc(k->hal, sizeof(*p), "user.proc_alloc");
	if (!p)
		return -ENOMEM;
	p->k = k;
	p->hal = k->hal;
	px_files_init(&p->files, k->hal);
	p->kp.wq = hal_waitq_create(k->hal);
	if (!p->kp.wq) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = px_kernel_add_proc(k, &p->kp);
	if (rc)
		goto out_destroy_wq;
	*out = p;
	return 0;

out_destroy_wq:
	hal_waitq_destroy(p->kp.wq);
out_free:
	px_kfree(p);
	return rc;
}

/**
 * px_proc_destroy - process exit: close every fd (each file's release runs
 * when its last reference goes), leave the process list, free the process
 * @p: process (NULL is ignored)
 */
void px_proc_destroy(struct px_proc *p)
{
	if (!p)
		return;
	px_files_close_all(&p->files);
	px_kernel_del_proc(p->k, &p->kp);
	hal_waitq_destroy(p->kp.wq);
	px_kfree(p);
}

/**
 * px_proc_kill - send the process a fatal signal (kill -KILL)
 * @p: process
 *
 * Its blocking calls return -EINTR from now on, a call blocked right now
 * is woken. The process still exits by itself (px_proc_destroy).
 */
void px_proc_kill(struct px_proc *p)
{
	px_kproc_kill(&p->kp);
}

/**
 * px_proc_killed - whether a fatal signal is pending for the process
 * @p: process
 *
 * Return: true after px_proc_kill() or a kernel shutdown.
 */
bool px_proc_killed(const struct px_proc *p)
{
	return px_fatal_signal_pending(&p->kp);
}

/**
 * px_proc_hal - the machine a process runs on
 * @p: process
 *
 * Return: its HAL.
 */
struct hal *px_proc_hal(struct px_proc *p)
{
	return p->hal;
}

/**
 * px_open - open(2)
 * @p: process
 * @path: device file path
 * @flags: PX_O_* flags
 *
 * Return: fd or -errno.
 */
int px_open(struct px_proc *p, const char *path, int flags)
{
	struct px_file *f;
	int fd, rc;

	hal_charge(p->hal, HAL_COST_SYSCALL);
	fd = px_get_unused_fd(&p->files);
	if (fd < 0)
		return fd;
	rc = px_kernel_open(p->k, path, (unsigned int)flags, &f);
	if (rc) {
		px_put_unused_fd(&p->files, fd);
		return rc;
	}
	px_fd_install(&p->files, fd, f);
	return fd;
}

/**
 * px_close - close(2)
 * @p: process
 * @fd: fd
 *
 * Return: 0 or -EBADF.
 */
int px_close(struct px_proc *p, int fd)
{
	hal_charge(p->hal, HAL_COST_SYSCALL);
	return px_close_fd(&p->files, fd);
}

/**
 * px_ioctl - ioctl(2)
 * @p: process
 * @fd: fd
 * @cmd: command
 * @arg: argument pointer
 *
 * Return: the command's result or -errno.
 */
int px_ioctl(struct px_proc *p, int fd, unsigned long cmd, void *arg)
{
	struct px_file *f;
	int rc;

	hal_charge(p->hal, HAL_COST_SYSCALL);
	f = px_fget_fd(&p->files, fd);
	if (!f)
		return -EBADF;
	rc = f->f_op->ioctl ? f->f_op->ioctl(f, &p->files, cmd, arg) : -ENOTTY;
	px_fput(f);
	return rc;
}

/*
 * read/write at the file position (pos == NULL) or pread/pwrite at *pos, in
 * the order Linux checks: a negative offset (loff_t) -EINVAL, a bad fd
 * -EBADF, positioned I/O on a file without FMODE_PREAD/PWRITE (a stream)
 * -ESPIPE, then the access mode -EBADF and a missing op -EINVAL.
 */
static ssize_t px_do_rw(struct px_proc *p, int fd, void *buf, size_t count, uint64_t *pos,
			bool write)
{
	struct px_file *f;
	unsigned int acc;
	ssize_t rc;

	hal_charge(p->hal, HAL_COST_SYSCALL);
	if (pos && (int64_t)*pos < 0)
		return -EINVAL;
	f = px_fget_fd(&p->files, fd);
	if (!f)
		return -EBADF;
	if (pos && !(f->f_mode & (write ? PX_FMODE_PWRITE : PX_FMODE_PREAD))) {
		rc = -ESPIPE;
		goto out_put;
	}
	acc = f->f_flags & PX_O_ACCMODE;
	if ((write && acc == PX_O_RDONLY) || (!write && acc == PX_O_WRONLY)) {
		rc = -EBADF;
		goto out_put;
	}
	if (!pos)
		pos = &f->f_pos;
	if (write)
		rc = f->f_op->write ? f->f_op->write(f, buf, count, pos) : -EINVAL;
	else
		rc = f->f_op->read ? f->f_op->read(f, buf, count, pos) : -EINVAL;
out_put:
	px_fput(f);
	return rc;
}

/**
 * px_read - read(2) at the file position
 * @p: process
 * @fd: fd
 * @buf: destination
 * @count: bytes
 *
 * Return: bytes read or -errno.
 */
ssize_t px_read(struct px_proc *p, int fd, void *buf, size_t count)
{
	return px_do_rw(p, fd, buf, count, NULL, false);
}

/**
 * px_write - write(2) at the file position
 * @p: process
 * @fd: fd
 * @buf: source
 * @count: bytes
 *
 * Return: bytes written or -errno.
 */
ssize_t px_write(struct px_proc *p, int fd, const void *buf, size_t count)
{
	return px_do_rw(p, fd, (void *)buf, count, NULL, true);
}

/**
 * px_pread - pread(2)
 * @p: process
 * @fd: fd
 * @buf: destination
 * @count: bytes
 * @offset: file offset (VFIO: the region's offset, from
 *          VFIO_DEVICE_GET_REGION_INFO, plus the offset inside it)
 *
 * Return: bytes read or -errno (-ESPIPE on a stream such as the fault fd,
 * -EINVAL for an offset that is negative as a loff_t).
 */
ssize_t px_pread(struct px_proc *p, int fd, void *buf, size_t count, uint64_t offset)
{
	return px_do_rw(p, fd, buf, count, &offset, false);
}

/**
 * px_pwrite - pwrite(2)
 * @p: process
 * @fd: fd
 * @buf: source
 * @count: bytes
 * @offset: file offset
 *
 * Return: bytes written or -errno (-ESPIPE on a stream such as the fault
 * fd, -EINVAL for an offset that is negative as a loff_t).
 */
ssize_t px_pwrite(struct px_proc *p, int fd, const void *buf, size_t count, uint64_t offset)
{
	return px_do_rw(p, fd, (void *)buf, count, &offset, true);
}

/*
 * poll() sets of up to this many fds use on-stack arrays (256 bytes, like
 * POLL_STACK_ALLOC); larger ones allocate them ("user.poll_alloc").
 */
#define PX_POLL_STACK_FDS 8u

struct px_poll_ctx {
	struct px_proc *p;
	struct px_file **files;
	struct px_pollfd *fds;
	unsigned int nfds;
	int ready;
};

/* One pass over the fds; registers on wait heads when pt != NULL. */
static int px_do_pollfds(struct px_poll_ctx *ctx, struct px_poll_table *pt)
{
	const unsigned int always = PX_POLLERR | PX_POLLHUP | PX_POLLNVAL;
	unsigned int i, mask;
	int ready = 0;

	for (i = 0; i < ctx->nfds; i++) {
		struct px_pollfd *pfd = &ctx->fds[i];
		struct px_file *f = ctx->files[i];

		pfd->revents = 0;
		if (pfd->fd < 0)
			continue;
		if (!f)
			mask = PX_POLLNVAL;
		else if (f->f_op->poll)
			mask = f->f_op->poll(f, pt);
		else
			mask = PX_POLLIN | PX_POLLOUT | PX_POLLRDNORM | PX_POLLWRNORM;
		pfd->revents = (short)(mask & ((unsigned int)(unsigned short)pfd->events | always));
		if (pfd->revents)
			ready++;
	}
	return ready;
}

/* Wake-up condition: an fd is ready, or a fatal signal arrived. */
static bool px_poll_cond(void *arg)
{
	struct px_poll_ctx *ctx = arg;

	if (px_fatal_signal_pending(&ctx->p->kp))
		return true;
	ctx->ready = px_do_pollfds(ctx, NULL);
	return ctx->ready > 0;
}

static bool px_signal_cond(void *arg)
{
	return px_fatal_signal_pending(arg);
}

static uint64_t px_poll_timeout_ps(int timeout_ms)
{
	return timeout_ms < 0 ? HAL_WAIT_FOREVER : (uint64_t)timeout_ms * 1000000000ull;
}

/* poll(NULL, 0, t): sleep for t (forever if t < 0) unless a fatal signal comes. */
static int px_poll_sleep(struct px_proc *p, int timeout_ms)
{
	if (timeout_ms)
		hal_wait_event(p->kp.wq, px_signal_cond, &p->kp, px_poll_timeout_ps(timeout_ms));
	return px_fatal_signal_pending(&p->kp) ? -EINTR : 0;
}

/**
 * px_poll - poll(2)
 * @p: process
 * @fds: array of struct px_pollfd
 * @nfds: its length
 * @timeout_ms: < 0 forever, 0 no wait, else milliseconds of simulated time
 *
 * Charges HAL_COST_WAKEUP when the task was blocked and woken. A fatal
 * signal (px_proc_kill, kernel shutdown) makes it return -EINTR: at once
 * when one is pending at entry, else as soon as it arrives; fds that are
 * ready then are not reported (the process is going away).
 *
 * Return: number of ready fds (0 on timeout) or -errno.
 */
int px_poll(struct px_proc *p, struct px_pollfd *fds, unsigned int nfds, int timeout_ms)
{
	struct px_poll_entry stack_entries[PX_POLL_STACK_FDS];
	struct px_file *stack_files[PX_POLL_STACK_FDS];
	struct px_poll_table pt = { .wq = p->kp.wq };
	struct px_poll_ctx ctx = { .p = p, .fds = fds, .nfds = nfds };
	unsigned int i;
	int rc = 0;

	hal_charge(p->hal, HAL_COST_SYSCALL);
	if (px_fatal_signal_pending(&p->kp))
		return -EINTR;
	if (!nfds)
		return px_poll_sleep(p, timeout_ms);
	if (!fds)
		return -EFAULT;
	if (nfds <= PX_POLL_STACK_FDS) {
		ctx.files = stack_files;
		pt.entries = stack_entries;
	} else {
		ctx.files = px_kzalloc(p->hal, nfds * sizeof(*ctx.files), "user.poll_alloc");
		pt.entries = px_kzalloc(p->hal, nfds * sizeof(*pt.entries), "user.poll_alloc");
		if (!ctx.files || !pt.entries) {
			rc = -ENOMEM;
			goto out_free;
		}
	}
	pt.max = nfds;
	for (i = 0; i < nfds; i++)
		ctx.files[i] = px_fget_fd(&p->files, fds[i].fd);

	ctx.ready = px_do_pollfds(&ctx, &pt);
	if (!ctx.ready && timeout_ms) {
		if (!hal_wait_event(p->kp.wq, px_poll_cond, &ctx, px_poll_timeout_ps(timeout_ms)))
			hal_charge(p->hal, HAL_COST_WAKEUP);
	}
	rc = px_fatal_signal_pending(&p->kp) ? -EINTR : ctx.ready;

	px_poll_table_unlink(&pt);
	for (i = 0; i < nfds; i++)
		px_fput(ctx.files[i]);
out_free:
	if (nfds > PX_POLL_STACK_FDS) {
		px_kfree(pt.entries);
		px_kfree(ctx.files);
	}
	return rc;
}

/**
 * px_alloc_user_page - mmap one zeroed page
 * @p: process
 * @pa: returns its physical (== user) address
 *
 * Return: CPU pointer, or NULL when simulated memory is exhausted.
 */
void *px_alloc_user_page(struct px_proc *p, hal_paddr_t *pa)
{
	hal_charge(p->hal, HAL_COST_SYSCALL);
	return hal_dma_alloc(p->hal, PX_PAGE_SIZE, PX_PAGE_SIZE, pa);
}

/**
 * px_free_user_page - munmap a page from px_alloc_user_page()
 * @p: process
 * @cpu: its CPU pointer (NULL is ignored)
 */
void px_free_user_page(struct px_proc *p, void *cpu)
{
	if (cpu)
		hal_dma_free(p->hal, cpu, PX_PAGE_SIZE);
}

/**
 * px_alloc_data_page - mmap one zeroed page only devices access
 * @p: process
 *
 * Return: its user (== physical) address, or 0 when simulated memory is
 * exhausted.
 */
uint64_t px_alloc_data_page(struct px_proc *p)
{
	hal_charge(p->hal, HAL_COST_SYSCALL);
	return hal_page_alloc(p->hal);
}

/**
 * px_free_data_page - munmap a page from px_alloc_data_page()
 * @p: process
 * @uva: its user address (0 is ignored)
 */
void px_free_data_page(struct px_proc *p, uint64_t uva)
{
	if (uva)
		hal_page_free(p->hal, uva);
}
