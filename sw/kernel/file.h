/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Simulated files and fd tables (the slice of the Linux VFS prisim needs):
 * a struct px_file with an ops table and a reference count, an fd table per
 * simulated process, and poll wait heads that let one poller block on many
 * files through a single HAL wait queue.
 *
 * Locking: none. The simulation is cooperative; every function here runs to
 * completion without blocking, except what a file's own ops do.
 */
#ifndef PRISIM_SW_KERNEL_FILE_H
#define PRISIM_SW_KERNEL_FILE_H

#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#include "kernel/fs_abi.h"
#include "kernel/idr.h"
#include "prisim/hal.h"
#include "util/list.h"

struct px_file;
struct px_files;
struct px_poll_table;

struct px_file_ops {
	/* *ppos is the file position (read/write) or the explicit offset (pread/pwrite). */
	ssize_t (*read)(struct px_file *f, void *buf, size_t count, uint64_t *ppos);
	ssize_t (*write)(struct px_file *f, const void *buf, size_t count, uint64_t *ppos);
	/* Return the ready mask; register on the file's wait heads when pt != NULL. */
	unsigned int (*poll)(struct px_file *f, struct px_poll_table *pt);
	/* files: the calling process's fd table (for commands that create fds). */
	int (*ioctl)(struct px_file *f, struct px_files *files, unsigned long cmd, void *arg);
	/* Last reference dropped. */
	void (*release)(struct px_file *f);
};

/*
 * f_mode bits (Linux FMODE_PREAD / FMODE_PWRITE): pread()/pwrite() are
 * allowed. A file opened by path gets both (do_dentry_open); an anonymous
 * stream file gets neither, so positioned I/O on it is -ESPIPE.
 */
#define PX_FMODE_PREAD  (1u << 0)
#define PX_FMODE_PWRITE (1u << 1)

struct px_file {
	const struct px_file_ops *f_op;
	void *private_data;
	struct hal *hal;
	unsigned int f_count;
	unsigned int f_flags;
	unsigned int f_mode;           /* PX_FMODE_* */
	uint64_t f_pos;
	char name[32];
};

struct px_file *px_file_alloc(struct hal *h, const char *name, const struct px_file_ops *ops,
			      void *priv, unsigned int flags);
struct px_file *px_anon_inode_getfile(struct hal *h, const char *name,
				      const struct px_file_ops *ops, void *priv,
				      unsigned int flags);
void px_fget(struct px_file *f);
void px_fput(struct px_file *f);

/* ---- fd table ------------------------------------------------------------ */

#define PX_FD_FIRST 3 /* 0..2 are stdin/out/err, never handed out */

struct px_files {
	struct hal *hal;
	struct px_idr fds;     /* fd -> struct px_file *, or the table itself while reserved */
};

void px_files_init(struct px_files *files, struct hal *h);
void px_files_close_all(struct px_files *files);
int px_get_unused_fd(struct px_files *files);
void px_put_unused_fd(struct px_files *files, int fd);
void px_fd_install(struct px_files *files, int fd, struct px_file *f);
struct px_file *px_fget_fd(struct px_files *files, int fd);
int px_close_fd(struct px_files *files, int fd);

/* ---- poll ---------------------------------------------------------------- */

struct px_wait_head {
	struct list_head entries;  /* px_poll_entry.node */
};

struct px_poll_entry {
	struct list_head node;
	struct hal_waitq *wq;
};

struct px_poll_table {
	struct hal_waitq *wq;          /* the poller's wait queue */
	struct px_poll_entry *entries;
	unsigned int nr, max;
};

static inline void px_wait_head_init(struct px_wait_head *head)
{
	INIT_LIST_HEAD(&head->entries);
}

void px_poll_wait(struct px_wait_head *head, struct px_poll_table *pt);
void px_poll_table_unlink(struct px_poll_table *pt);
void px_wake_up(struct px_wait_head *head);

#endif /* PRISIM_SW_KERNEL_FILE_H */
