// SPDX-License-Identifier: Apache-2.0
/*
 * iommufd context, object table and ioctl dispatch (linux-iopf.md §2.1),
 * and the /dev/iommu file.
 */
#include <errno.h>
#include <string.h>

#include "iommufd/iommufd_private.h"
#include "kernel/kalloc.h"
#include "kernel/uaccess.h"

static const struct iommufd_object_ops iommufd_object_ops[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_DEVICE] = { .destroy = iommufd_device_destroy },
	[IOMMUFD_OBJ_HWPT_PAGING] = { .destroy = iommufd_hwpt_paging_destroy },
	[IOMMUFD_OBJ_HWPT_NESTED] = { .destroy = iommufd_hwpt_paging_destroy },
	[IOMMUFD_OBJ_IOAS] = { .destroy = iommufd_ioas_destroy },
	[IOMMUFD_OBJ_FAULT] = { .destroy = iommufd_fault_destroy },
	[IOMMUFD_OBJ_VIOMMU] = { .destroy = iommufd_viommu_destroy },
	[IOMMUFD_OBJ_VEVENTQ] = { .destroy = iommufd_veventq_destroy },
};

/**
 * _iommufd_object_alloc - allocate an object and reserve its id
 * @ictx: context
 * @size: size of the containing struct (its first member is the object)
 * @type: object type
 * @err: returns -ENOMEM on failure
 *
 * The object is invisible to lookups until iommufd_object_finalize(); on any
 * later error the creator must call iommufd_object_abort().
 *
 * Return: the object, or NULL.
 */
struct iommufd_object *_iommufd_object_alloc(struct iommufd_ctx *ictx, size_t size,
					     enum iommufd_object_type type, int *err)
{
	struct iommufd_object *obj;
	int rc;

	obj = px_kzalloc(ictx->hal, size, "iommufd.object_alloc");
	if (!obj) {
		*err = -ENOMEM;
		return NULL;
	}
	obj->type = type;
	obj->users = 1; /* the table's reference */
	obj->ictx = ictx;
	rc = px_idr_alloc(&ictx->objects, ictx->hal, "iommufd.object_id", obj, &obj->id);
	if (rc) {
		px_kfree(obj);
		*err = rc == -ENOSPC ? -ENOSPC : -ENOMEM;
		return NULL;
	}
	obj->in_table = true;
	return obj;
}

/**
 * iommufd_object_finalize - make a fully built object visible
 * @ictx: context
 * @obj: object from iommufd_object_alloc()
 *
 * Only call once creation can no longer fail.
 */
void iommufd_object_finalize(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	(void)ictx;
	obj->finalized = true;
}

/**
 * iommufd_object_abort - undo an object that was never finalized
 * @ictx: context
 * @obj: object
 */
void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	const struct iommufd_object_ops *ops = &iommufd_object_ops[obj->type];

	px_idr_remove(&ictx->objects, obj->id);
	if (ops->abort)
		ops->abort(obj);
	else if (ops->destroy)
		ops->destroy(obj);
	px_kfree(obj);
}

/**
 * iommufd_get_object - look up a finalized object and take a reference
 * @ictx: context
 * @id: object id
 * @type: wanted type, or IOMMUFD_OBJ_ANY
 *
 * Return: the object (release with iommufd_put_object()), or NULL if the id
 * is unknown or of another type (the caller reports ENOENT).
 */
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, uint32_t id,
					  enum iommufd_object_type type)
{
	struct iommufd_object *obj;

	if (hal_should_fail(ictx->hal, "iommufd.get_object"))
		return NULL;
	obj = px_idr_find(&ictx->objects, id);
	if (!obj || !obj->finalized || (type != IOMMUFD_OBJ_ANY && obj->type != type))
		return NULL;
	obj->users++;
	return obj;
}

/**
 * iommufd_put_object - drop a reference; the last one destroys the object
 * @obj: object
 */
void iommufd_put_object(struct iommufd_object *obj)
{
	const struct iommufd_object_ops *ops;

	if (--obj->users)
		return;
	ops = &iommufd_object_ops[obj->type];
	if (ops->destroy)
		ops->destroy(obj);
	px_kfree(obj);
}

/**
 * iommufd_object_remove - drop the table's reference on an object
 * @ictx: context
 * @id: object id
 * @force: remove even if other references exist (destruction is then
 *         deferred to the last iommufd_put_object())
 *
 * Return: 0, -ENOENT, or -EBUSY when !force and the object is still used.
 */
int iommufd_object_remove(struct iommufd_ctx *ictx, uint32_t id, bool force)
{
	struct iommufd_object *obj = px_idr_find(&ictx->objects, id);

	if (!obj || !obj->finalized)
		return -ENOENT;
	if (!force && obj->users != 1)
		return -EBUSY;
	px_idr_remove(&ictx->objects, id);
	obj->finalized = false;
	obj->in_table = false;
	iommufd_put_object(obj);
	return 0;
}

/**
 * iommufd_ucmd_respond - copy the command struct back to the user buffer
 * @ucmd: command
 * @cmd_len: kernel size of the struct
 *
 * Return: 0 or -EFAULT.
 */
int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len)
{
	size_t n = ucmd->user_size < cmd_len ? ucmd->user_size : cmd_len;

	return px_copy_to_user(ucmd->ictx->hal, ucmd->ubuffer, ucmd->cmd, n);
}

/**
 * iommufd_eventq_open - the file of an event queue object (fault, vEVENTQ)
 * @ucmd: the allocating command
 * @obj: the object the file reads
 * @name: anon inode name
 * @fops: its file operations; their release calls iommufd_eventq_release()
 * @priv: the file's private data
 * @filep: out: the file
 *
 * As Linux's iommufd_eventq_init(): reserves an fd and makes the file, which
 * holds a reference on @obj and on the context. The caller installs the fd
 * once the command's result is copied out, or on failure puts the file and
 * the fd.
 *
 * Return: the fd number or -errno (-EMFILE, -ENOMEM).
 */
int iommufd_eventq_open(struct iommufd_ucmd *ucmd, struct iommufd_object *obj, const char *name,
			const struct px_file_ops *fops, void *priv, struct px_file **filep)
{
	int fdno = px_get_unused_fd(ucmd->files);

	if (fdno < 0)
		return fdno;
	*filep = px_anon_inode_getfile(ucmd->ictx->hal, name, fops, priv, PX_O_RDWR | PX_O_CLOEXEC);
	if (!*filep) {
		px_put_unused_fd(ucmd->files, fdno);
		return -ENOMEM;
	}
	iommufd_ref_object(obj);
	iommufd_ctx_get(ucmd->ictx);
	return fdno;
}

/* The release of an event queue's file: drops what iommufd_eventq_open() took. */
void iommufd_eventq_release(struct iommufd_object *obj)
{
	struct iommufd_ctx *ictx = obj->ictx;

	iommufd_put_object(obj);
	iommufd_ctx_put(ictx);
}

static int iommufd_destroy(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return iommufd_object_remove(ucmd->ictx, cmd->id, false);
}

union ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_ioas_alloc ioas_alloc;
	struct iommu_ioas_map ioas_map;
	struct iommu_ioas_unmap ioas_unmap;
	struct iommu_hwpt_alloc hwpt_alloc;
	struct iommu_fault_alloc fault_alloc;
	struct iommu_viommu_alloc viommu_alloc;
	struct iommu_veventq_alloc veventq_alloc;
};

struct iommufd_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned long ioctl_num;
	int (*execute)(struct iommufd_ucmd *ucmd);
};

#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#define IOCTL_OP(_ioctl, _fn, _struct, _last)                              \
	[PX_IOC_NR(_ioctl) - IOMMUFD_CMD_BASE] = {                         \
		.size = sizeof(_struct),                                    \
		.min_size = offsetofend(_struct, _last),                    \
		.ioctl_num = _ioctl,                                        \
		.execute = _fn,                                             \
	}

static const struct iommufd_ioctl_op iommufd_ioctl_ops[] = {
	IOCTL_OP(IOMMU_DESTROY, iommufd_destroy, struct iommu_destroy, id),
	IOCTL_OP(IOMMU_IOAS_ALLOC, iommufd_ioas_alloc_ioctl, struct iommu_ioas_alloc,
		 out_ioas_id),
	IOCTL_OP(IOMMU_IOAS_MAP, iommufd_ioas_map, struct iommu_ioas_map, iova),
	IOCTL_OP(IOMMU_IOAS_UNMAP, iommufd_ioas_unmap, struct iommu_ioas_unmap, length),
	IOCTL_OP(IOMMU_HWPT_ALLOC, iommufd_hwpt_alloc, struct iommu_hwpt_alloc, __reserved),
	IOCTL_OP(IOMMU_HWPT_INVALIDATE, iommufd_hwpt_invalidate, struct iommu_hwpt_invalidate,
		 __reserved),
	IOCTL_OP(IOMMU_FAULT_QUEUE_ALLOC, iommufd_fault_alloc, struct iommu_fault_alloc,
		 out_fault_fd),
	IOCTL_OP(IOMMU_VIOMMU_ALLOC, iommufd_viommu_alloc_ioctl, struct iommu_viommu_alloc,
		 out_viommu_id),
	IOCTL_OP(IOMMU_VEVENTQ_ALLOC, iommufd_veventq_alloc, struct iommu_veventq_alloc,
		 out_veventq_fd),
};

/* copy_struct_from_user(): zero-extend a short struct, reject unknown non-zero tail. */
static int iommufd_copy_struct(struct hal *h, void *dst, size_t ksize, const void *src,
			       size_t usize)
{
	const unsigned char *tail;
	unsigned char *tmp;
	size_t i;
	int rc;

	memset(dst, 0, ksize);
	if (usize <= ksize)
		return px_copy_from_user(h, dst, src, usize);
	rc = px_copy_from_user(h, dst, src, ksize);
	if (rc)
		return rc;
	tmp = px_kzalloc(h, usize - ksize, "iommufd.ucmd_tail");
	if (!tmp)
		return -ENOMEM;
	rc = px_copy_from_user(h, tmp, (const unsigned char *)src + ksize, usize - ksize);
	tail = tmp;
	for (i = 0; !rc && i < usize - ksize; i++)
		if (tail[i])
			rc = -E2BIG;
	px_kfree(tmp);
	return rc;
}

static int iommufd_fops_ioctl(struct px_file *f, struct px_files *files, unsigned long cmd,
			      void *arg)
{
	struct iommufd_ctx *ictx = f->private_data;
	const struct iommufd_ioctl_op *op;
	struct iommufd_ucmd ucmd = { .ictx = ictx, .files = files, .ubuffer = arg };
	union ucmd_buffer buf;
	unsigned int nr = PX_IOC_NR(cmd);
	int rc;

	if (PX_IOC_TYPE(cmd) != IOMMUFD_TYPE || nr < IOMMUFD_CMD_BASE ||
	    nr - IOMMUFD_CMD_BASE >= sizeof(iommufd_ioctl_ops) / sizeof(iommufd_ioctl_ops[0]))
		return -ENOTTY;
	op = &iommufd_ioctl_ops[nr - IOMMUFD_CMD_BASE];
	if (!op->execute || op->ioctl_num != cmd)
		return -ENOTTY;

	rc = px_copy_from_user(ictx->hal, &ucmd.user_size, arg, sizeof(ucmd.user_size));
	if (rc)
		return rc;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	rc = iommufd_copy_struct(ictx->hal, &buf, op->size, arg, ucmd.user_size);
	if (rc)
		return rc;
	ucmd.cmd = &buf;
	return op->execute(&ucmd);
}

/**
 * iommufd_ctx_get - take a reference on a context
 * @ictx: context
 */
void iommufd_ctx_get(struct iommufd_ctx *ictx)
{
	ictx->refs++;
}

/* Destroy objects leaf first: an object is destroyable once only the table uses it. */
static void iommufd_ctx_release(struct iommufd_ctx *ictx)
{
	struct iommufd_object *obj;
	bool progress = true;
	uint32_t id;

	ictx->releasing = true;
	while (progress) {
		progress = false;
		px_idr_for_each(&ictx->objects, id, obj) {
			if (obj->finalized && obj->users == 1) {
				iommufd_object_remove(ictx, id, false);
				progress = true;
			}
		}
	}
	px_idr_for_each(&ictx->objects, id, obj)
		hal_log(ictx->hal, HAL_LOG_ERROR,
			"iommufd: object %u (type %d) still has %u users at release\n", id,
			obj->type, obj->users);
	px_idr_destroy(&ictx->objects);
	px_kfree(ictx);
}

/**
 * iommufd_ctx_put - drop a reference; the last one destroys every object
 * @ictx: context
 */
void iommufd_ctx_put(struct iommufd_ctx *ictx)
{
	if (--ictx->refs == 0)
		iommufd_ctx_release(ictx);
}

static void iommufd_fops_release(struct px_file *f)
{
	iommufd_ctx_put(f->private_data);
}

static const struct px_file_ops iommufd_fops = {
	.ioctl = iommufd_fops_ioctl,
	.release = iommufd_fops_release,
};

/**
 * iommufd_ctx_from_file - the iommufd context behind a file
 * @f: any file
 *
 * Return: the context with a reference taken, or NULL if @f is not /dev/iommu.
 */
struct iommufd_ctx *iommufd_ctx_from_file(struct px_file *f)
{
	if (!f || f->f_op != &iommufd_fops)
		return NULL;
	iommufd_ctx_get(f->private_data);
	return f->private_data;
}

/**
 * iommufd_fops_open - open /dev/iommu: a new, empty context
 * @h: machine
 * @flags: open flags
 * @out: the new file (one reference)
 *
 * Return: 0 or -ENOMEM.
 */
int iommufd_fops_open(struct hal *h, unsigned int flags, struct px_file **out)
{
	struct iommufd_ctx *ictx;
	struct px_file *f;

	ictx = px_kzalloc(h, sizeof(*ictx), "iommufd.ctx_alloc");
	if (!ictx)
		return -ENOMEM;
	ictx->hal = h;
	ictx->refs = 1; /* the file's */
	px_idr_init(&ictx->objects, 1);
	iommufd_fault_stats_register(ictx);
	iommufd_vevent_stats_register(ictx);
	f = px_file_alloc(h, "/dev/iommu", &iommufd_fops, ictx, flags);
	if (!f)
		goto out_free_ctx;
	*out = f;
	return 0;

out_free_ctx:
	px_kfree(ictx);
	return -ENOMEM;
}
