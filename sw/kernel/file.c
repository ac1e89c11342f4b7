// SPDX-License-Identifier: Apache-2.0
#include "kernel/file.h"

#include <errno.h>
#include <stdio.h>

#include "kernel/kalloc.h"

static struct px_file *px_file_new(struct hal *h, const char *name,
				   const struct px_file_ops *ops, void *priv, unsigned int flags,
				   unsigned int mode)
{
	struct px_file *f = px_kzalloc(h, sizeof(*f), "file.alloc");

	if (!f)
		return NULL;
	f->f_op = ops;
	f->private_data = priv;
	f->hal = h;
	f->f_count = 1;
	f->f_flags = flags;
	f->f_mode = mode;
	snprintf(f->name, sizeof(f->name), "%s", name);
	return f;
}

/**
 * px_file_alloc - create the file of a device opened by path, with one
 * reference
 * @h: machine
 * @name: name for logs ("/dev/iommu", "/dev/vfio/devices/vfio0", ...)
 * @ops: file operations
 * @priv: private_data
 * @flags: open flags (PX_O_*)
 *
 * Positioned I/O is allowed (PX_FMODE_PREAD | PX_FMODE_PWRITE), as Linux's
 * open of a character device sets it; what it does is up to @ops.
 *
 * Return: the file, or NULL on allocation failure.
 */
struct px_file *px_file_alloc(struct hal *h, const char *name, const struct px_file_ops *ops,
			      void *priv, unsigned int flags)
{
	return px_file_new(h, name, ops, priv, flags, PX_FMODE_PREAD | PX_FMODE_PWRITE);
}

/**
 * px_anon_inode_getfile - create an anonymous stream file, with one reference
 * @h: machine
 * @name: name for logs ("[iommufd-pgfault]", ...)
 * @ops: file operations
 * @priv: private_data
 * @flags: open flags (PX_O_*)
 *
 * As Linux anon_inode_getfile(): no open by path, so neither FMODE_PREAD
 * nor FMODE_PWRITE; pread()/pwrite() on it are -ESPIPE.
 *
 * Return: the file, or NULL on allocation failure.
 */
struct px_file *px_anon_inode_getfile(struct hal *h, const char *name,
				      const struct px_file_ops *ops, void *priv,
				      unsigned int flags)
{
	return px_file_new(h, name, ops, priv, flags, 0);
}

/**
 * px_fget - take a reference on a file
 * @f: file
 */
void px_fget(struct px_file *f)
{
	f->f_count++;
}

/**
 * px_fput - drop a reference; the last one calls ->release and frees the file
 * @f: file
 */
void px_fput(struct px_file *f)
{
	if (!f || --f->f_count)
		return;
	if (f->f_op->release)
		f->f_op->release(f);
	px_kfree(f);
}

/**
 * px_files_init - initialise an empty fd table
 * @files: table
 * @h: machine
 */
void px_files_init(struct px_files *files, struct hal *h)
{
	files->hal = h;
	px_idr_init(&files->fds, PX_FD_FIRST);
}

/**
 * px_files_close_all - close every fd (process exit) and free the table
 * @files: table
 */
void px_files_close_all(struct px_files *files)
{
	uint32_t fd;
	void *p;

	px_idr_for_each(&files->fds, fd, p)
		px_close_fd(files, (int)fd);
	px_idr_destroy(&files->fds);
}

/**
 * px_get_unused_fd - reserve the lowest free fd number
 * @files: table
 *
 * Return: the fd, -ENOMEM, or -EMFILE when fd numbers ran out.
 */
int px_get_unused_fd(struct px_files *files)
{
	uint32_t fd;
	int rc;

	/* The table itself marks a reserved slot: it can never be a file. */
	rc = px_idr_alloc(&files->fds, files->hal, "fd.alloc", files, &fd);
	if (rc)
		return rc == -ENOMEM ? -ENOMEM : -EMFILE;
	if (fd > INT32_MAX) {
		px_idr_remove(&files->fds, fd);
		return -EMFILE;
	}
	return (int)fd;
}

/**
 * px_put_unused_fd - release a reservation that was never installed
 * @files: table
 * @fd: reserved fd
 */
void px_put_unused_fd(struct px_files *files, int fd)
{
	if (fd >= 0 && px_idr_find(&files->fds, (uint32_t)fd) == files)
		px_idr_remove(&files->fds, (uint32_t)fd);
}

/**
 * px_fd_install - publish a file under a reserved fd; the caller's reference
 * moves into the table
 * @files: table
 * @fd: fd returned by px_get_unused_fd()
 * @f: file
 */
void px_fd_install(struct px_files *files, int fd, struct px_file *f)
{
	px_idr_replace(&files->fds, (uint32_t)fd, f);
}

/**
 * px_fget_fd - look up an open fd and take a reference on its file
 * @files: table
 * @fd: fd
 *
 * Return: the file (caller must px_fput() it), or NULL if fd is not open.
 */
struct px_file *px_fget_fd(struct px_files *files, int fd)
{
	struct px_file *f;

	if (fd < 0)
		return NULL;
	f = px_idr_find(&files->fds, (uint32_t)fd);
	if (!f || (void *)f == (void *)files)
		return NULL;
	px_fget(f);
	return f;
}

/**
 * px_close_fd - close an fd (drops the table's reference)
 * @files: table
 * @fd: fd
 *
 * Return: 0 or -EBADF.
 */
int px_close_fd(struct px_files *files, int fd)
{
	void *p;

	if (fd < 0)
		return -EBADF;
	p = px_idr_find(&files->fds, (uint32_t)fd);
	if (!p || p == (void *)files)
		return -EBADF;
	px_idr_remove(&files->fds, (uint32_t)fd);
	px_fput(p);
	return 0;
}

/**
 * px_poll_wait - register the poller of @pt on a wait head
 * @head: the file's wait head
 * @pt: poll table, or NULL when only the mask is wanted
 */
void px_poll_wait(struct px_wait_head *head, struct px_poll_table *pt)
{
	struct px_poll_entry *e;

	if (!pt || pt->nr >= pt->max)
		return;
	e = &pt->entries[pt->nr++];
	e->wq = pt->wq;
	list_add_tail(&e->node, &head->entries);
}

/**
 * px_poll_table_unlink - remove every registration of a poll table
 * @pt: poll table
 */
void px_poll_table_unlink(struct px_poll_table *pt)
{
	unsigned int i;

	for (i = 0; i < pt->nr; i++)
		list_del_init(&pt->entries[i].node);
	pt->nr = 0;
}

/**
 * px_wake_up - wake every poller registered on a wait head
 * @head: wait head
 */
void px_wake_up(struct px_wait_head *head)
{
	struct px_poll_entry *e;

	list_for_each_entry(e, &head->entries, node)
		hal_wake_up(e->wq);
}
