// SPDX-License-Identifier: Apache-2.0
/*
 * Description: iommufd objects and ioctls (linux-iopf.md §2.1 - §2.3,
 * checklist §8 "uAPI / objects"): FAULT_QUEUE_ALLOC and HWPT_ALLOC argument
 * checks, ids, EBUSY rules of IOMMU_DESTROY, VF with PRI, IOAS_MAP into every
 * domain, the VFIO cdev (bind with its token and argsz rules, region info,
 * attach, region access), IOAS_UNMAP, fd table rules, and that closing everything
 * destroys every object.
 */
#include "test_util.h"

#include "prisim/hw/pxdev.h"

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	world_init(w, 2);
	*state = w;
	return 0;
}

static int open_iommufd(struct world *w)
{
	w->iommufd = px_open(w->p, "/dev/iommu", PX_O_RDWR);
	return w->iommufd;
}

static void test_fault_queue_alloc_args(void **state)
{
	struct world *w = *state;
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	struct {
		struct iommu_fault_alloc a;
		uint32_t extra[2];
	} big = { .a.size = sizeof(big) };
	struct iommu_hwpt_pgfault msg;

	assert_int_equal(3, open_iommufd(w));
	cmd.flags = 1;
	assert_int_equal(-EOPNOTSUPP, px_ioctl(w->p, w->iommufd, IOMMU_FAULT_QUEUE_ALLOC, &cmd));
	cmd.flags = 0;
	cmd.size = 12;
	assert_int_equal(-EINVAL, px_ioctl(w->p, w->iommufd, IOMMU_FAULT_QUEUE_ALLOC, &cmd));
	big.extra[1] = 1;
	assert_int_equal(-E2BIG, px_ioctl(w->p, w->iommufd, IOMMU_FAULT_QUEUE_ALLOC, &big));
	big.extra[1] = 0;
	/* Zero bytes past the known struct are fine. */
	assert_int_equal(0, px_ioctl(w->p, w->iommufd, IOMMU_FAULT_QUEUE_ALLOC, &big));
	assert_int_equal(1, big.a.out_fault_id);
	assert_int_equal(4, big.a.out_fault_fd);
	assert_int_equal(0, px_read(w->p, (int)big.a.out_fault_fd, &msg, sizeof(msg)));
	assert_int_equal(-EFAULT, px_ioctl(w->p, w->iommufd, IOMMU_FAULT_QUEUE_ALLOC, NULL));

	/* A failed copy-out installs no fd and leaves no object. */
	fake_hal_fail_filter(w->h, "uaccess.copy_to_user");
	fake_hal_fail_nth(w->h, 1);
	cmd.size = sizeof(cmd);
	assert_int_equal(-EFAULT, px_ioctl(w->p, w->iommufd, IOMMU_FAULT_QUEUE_ALLOC, &cmd));
	fake_hal_fail_nth(w->h, 0);
	assert_int_equal(-EBADF, px_close(w->p, 5));
	assert_int_equal(-ENOENT, t_destroy(w, 2));
	assert_int_equal(0, px_ioctl(w->p, w->iommufd, IOMMU_FAULT_QUEUE_ALLOC, &cmd));
	assert_int_equal(2, cmd.out_fault_id);
	assert_int_equal(5, cmd.out_fault_fd);
}

static void test_ioctl_general_rules(void **state)
{
	struct world *w = *state;
	struct iommu_destroy d = { .size = sizeof(d) };
	uint32_t ioas;

	assert_true(open_iommufd(w) >= 3);
	assert_int_equal(-ENOTTY, px_ioctl(w->p, w->iommufd, PX_IO(IOMMUFD_TYPE, 0x8a), &d));
	assert_int_equal(-ENOTTY, px_ioctl(w->p, w->iommufd, PX_IO('x', 0x80), &d));
	assert_int_equal(-ENOTTY, px_ioctl(w->p, w->iommufd, PX_IO(IOMMUFD_TYPE, 0x7f), &d));
	assert_int_equal(-EBADF, px_ioctl(w->p, 42, IOMMU_DESTROY, &d));
	/* Ids start at 1; 0 and unknown ids are ENOENT. */
	assert_int_equal(0, t_ioas_alloc(w, &ioas));
	assert_int_equal(1, ioas);
	assert_int_equal(-ENOENT, t_destroy(w, 0));
	assert_int_equal(-ENOENT, t_destroy(w, 77));
	d.size = 4;
	assert_int_equal(-EINVAL, px_ioctl(w->p, w->iommufd, IOMMU_DESTROY, &d));
	struct iommu_ioas_alloc ia = { .size = sizeof(ia), .flags = 1 };
	assert_int_equal(-EOPNOTSUPP, px_ioctl(w->p, w->iommufd, IOMMU_IOAS_ALLOC, &ia));
	assert_int_equal(0, t_destroy(w, ioas));
	assert_int_equal(-ENOENT, t_destroy(w, ioas));
	/* /dev/iommu has no read(); opened by path, it is not a stream: pread EINVAL too. */
	assert_int_equal(-EINVAL, px_read(w->p, w->iommufd, &d, sizeof(d)));
	assert_int_equal(-EINVAL, px_pread(w->p, w->iommufd, &d, sizeof(d), 0));
	assert_int_equal(-EINVAL, px_pwrite(w->p, w->iommufd, &d, sizeof(d), 0));
	assert_int_equal(-ENOENT, px_open(w->p, "/dev/nothing", PX_O_RDWR));
}

static void test_hwpt_alloc_args(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_alloc cmd;
	uint32_t hwpt, hwpt2, dev = 0;
	unsigned int domains;

	assert_int_equal(0, world_open_iommufd(w));
	w->vfio_fd[0] = px_open(w->p, "/dev/vfio/devices/vfio0", PX_O_RDWR);
	assert_int_equal(0, t_bind(w, w->vfio_fd[0], &dev));
	domains = w->m->domains_live;

	assert_int_equal(-EOPNOTSUPP, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID | 1u << 31, dev,
						   w->ioas_id, w->fault_id, NULL));
	assert_int_equal(-EOPNOTSUPP,
			 t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_NEST_PARENT,
				      dev, w->ioas_id, w->fault_id, NULL));
	assert_int_equal(-EOPNOTSUPP, t_hwpt_alloc(w, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev,
						   w->ioas_id, 0, NULL));
	assert_int_equal(-ENOENT, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, dev, w->ioas_id,
					       UINT32_MAX, NULL));
	/* A wrong-type fault_id is ENOENT too, and the aborted HWPT leaves nothing. */
	assert_int_equal(-ENOENT, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, dev, w->ioas_id,
					       w->ioas_id, NULL));
	assert_int_equal(domains, w->m->domains_live);
	assert_int_equal(-ENOENT, t_hwpt_alloc(w, 0, 99, w->ioas_id, 0, NULL));
	/* An unknown pt_id is EINVAL, as in Linux (not ENOENT): nothing is created. */
	assert_int_equal(-EINVAL, t_hwpt_alloc(w, 0, dev, 99, 0, NULL));
	assert_int_equal(-EINVAL, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, dev, 0,
					       w->fault_id, NULL));
	assert_int_equal(domains, w->m->domains_live);
	assert_int_equal(-EINVAL, t_hwpt_alloc(w, 0, dev, w->fault_id, 0, NULL));

	cmd = (struct iommu_hwpt_alloc){ .size = sizeof(cmd), .dev_id = dev, .pt_id = w->ioas_id };
	cmd.__reserved = 1;
	assert_int_equal(-EOPNOTSUPP, px_ioctl(w->p, w->iommufd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.__reserved = 0;
	cmd.data_len = 4;
	assert_int_equal(-EINVAL, px_ioctl(w->p, w->iommufd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.data_len = 0;
	cmd.data_type = IOMMU_HWPT_DATA_VTD_S1;
	assert_int_equal(-EINVAL, px_ioctl(w->p, w->iommufd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.data_type = 0;
	cmd.size = 20;
	assert_int_equal(-EINVAL, px_ioctl(w->p, w->iommufd, IOMMU_HWPT_ALLOC, &cmd));

	/* __reserved2 is not checked. */
	cmd = (struct iommu_hwpt_alloc){
		.size = sizeof(cmd), .flags = IOMMU_HWPT_FAULT_ID_VALID, .dev_id = dev,
		.pt_id = w->ioas_id, .fault_id = w->fault_id, .__reserved2 = 0xdead,
	};
	assert_int_equal(0, px_ioctl(w->p, w->iommufd, IOMMU_HWPT_ALLOC, &cmd));
	hwpt = cmd.out_hwpt_id;
	/* The aborted allocations consumed no id: ioas 1, fault 2, device 3, hwpt 4. */
	assert_int_equal(4, hwpt);
	assert_int_equal(domains + 1, w->m->domains_live);
	/* The minimum size (24) works, fields past it read as zero. */
	cmd = (struct iommu_hwpt_alloc){ .size = 24, .dev_id = dev, .pt_id = w->ioas_id,
					 .fault_id = 0xffff };
	assert_int_equal(0, px_ioctl(w->p, w->iommufd, IOMMU_HWPT_ALLOC, &cmd));
	hwpt2 = cmd.out_hwpt_id;
	/* A HWPT as pt_id asks for a nested HWPT: without driver data, EOPNOTSUPP. */
	assert_int_equal(-EOPNOTSUPP, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, dev, hwpt,
						   w->fault_id, NULL));
	assert_int_equal(0, t_destroy(w, hwpt2));
	assert_int_equal(0, t_destroy(w, hwpt));
	assert_int_equal(domains, w->m->domains_live);
}

/* IOMMU_HWPT_ALLOC of a nested HWPT on @parent with @data (NULL: none). */
static int t_nested_alloc(struct world *w, uint32_t flags, uint32_t dev, uint32_t parent,
			  uint32_t data_type, const void *data, uint32_t len, uint32_t *out)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = flags, .dev_id = dev, .pt_id = parent,
		.data_type = data_type, .data_len = len, .data_uptr = (uint64_t)(uintptr_t)data,
		.fault_id = w->fault_id,
	};
	int rc = px_ioctl(w->p, w->iommufd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc && out)
		*out = cmd.out_hwpt_id;
	return rc;
}

/*
 * Nested HWPTs (docs/uapi.md, Nested HWPTs): every refusal in Linux's order
 * leaves nothing behind; a nested HWPT holds its parent, is fault-capable
 * with FAULT_ID_VALID (attaching it enables IOPF), and the objects go in
 * reference order.
 */
static void test_hwpt_nested(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_riscv_iommu u = { .dc_tc = 1 };
	uint32_t dev = 0, parent = 0, plain = 0, nested = 0, next = 0;
	unsigned int domains, enables;

	assert_int_equal(0, world_open_iommufd(w));
	w->vfio_fd[0] = px_open(w->p, "/dev/vfio/devices/vfio0", PX_O_RDWR);
	assert_int_equal(0, t_bind(w, w->vfio_fd[0], &dev));
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_ALLOC_NEST_PARENT, dev, w->ioas_id, 0,
					 &parent));
	assert_int_equal(0, t_hwpt_alloc(w, 0, dev, w->ioas_id, 0, &plain));
	domains = w->m->domains_live;

	/* flags a nested HWPT does not take, or no driver data: EOPNOTSUPP */
	assert_int_equal(-EOPNOTSUPP, t_nested_alloc(w, IOMMU_HWPT_ALLOC_NEST_PARENT, dev, parent,
						     IOMMU_HWPT_DATA_RISCV_IOMMU, &u, sizeof(u),
						     NULL));
	assert_int_equal(-EOPNOTSUPP, t_nested_alloc(w, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev,
						     parent, IOMMU_HWPT_DATA_RISCV_IOMMU, &u,
						     sizeof(u), NULL));
	assert_int_equal(-EOPNOTSUPP, t_nested_alloc(w, 0, dev, parent, IOMMU_HWPT_DATA_NONE, NULL,
						     0, NULL));
	/* a paging HWPT that is not a nesting parent; data larger than any type */
	assert_int_equal(-EINVAL, t_nested_alloc(w, 0, dev, plain, IOMMU_HWPT_DATA_RISCV_IOMMU, &u,
						 sizeof(u), NULL));
	assert_int_equal(-EINVAL, t_nested_alloc(w, 0, dev, parent, IOMMU_HWPT_DATA_RISCV_IOMMU, &u,
						 65, NULL));
	/* data that cannot be read */
	assert_int_equal(-EFAULT, t_nested_alloc(w, 0, dev, parent, IOMMU_HWPT_DATA_RISCV_IOMMU,
						 NULL, sizeof(u), NULL));
	/* the driver's refusals: another type, another size, V = 0 */
	assert_int_equal(-EOPNOTSUPP, t_nested_alloc(w, 0, dev, parent, IOMMU_HWPT_DATA_ARM_SMMUV3,
						     &u, sizeof(u), NULL));
	assert_int_equal(-EINVAL, t_nested_alloc(w, 0, dev, parent, IOMMU_HWPT_DATA_RISCV_IOMMU, &u,
						 16, NULL));
	u.dc_tc = 0;
	assert_int_equal(-EINVAL, t_nested_alloc(w, 0, dev, parent, IOMMU_HWPT_DATA_RISCV_IOMMU, &u,
						 sizeof(u), NULL));
	u.dc_tc = 1;
	/* a bad fault_id: the nested HWPT is aborted */
	w->fault_id += 100;
	assert_int_equal(-ENOENT, t_nested_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, dev, parent,
						 IOMMU_HWPT_DATA_RISCV_IOMMU, &u, sizeof(u), NULL));
	w->fault_id -= 100;
	assert_int_equal(domains, w->m->domains_live);

	assert_int_equal(0, t_nested_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, dev, parent,
					   IOMMU_HWPT_DATA_RISCV_IOMMU, &u, sizeof(u), &nested));
	/* no id was consumed by the refusals */
	assert_int_equal(plain + 1, nested);
	assert_int_equal(domains + 1, w->m->domains_live);
	/* attaching it enables IOPF: it is fault-capable */
	enables = w->m->enable_iopf_calls;
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], nested));
	assert_int_equal(enables + 1, w->m->enable_iopf_calls);
	assert_true(w->dev[0]->pri_enabled);
	/* a nested HWPT is no parent for another one */
	assert_int_equal(-EINVAL, t_nested_alloc(w, 0, dev, nested, IOMMU_HWPT_DATA_RISCV_IOMMU,
						 &u, sizeof(u), NULL));
	assert_int_equal(-EBUSY, t_destroy(w, parent));   /* the nested HWPT holds it */
	assert_int_equal(-EBUSY, t_destroy(w, nested));   /* attached */
	/* replace by the parent itself: IOPF off again */
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], parent));
	assert_false(w->dev[0]->pri_enabled);
	assert_int_equal(0, t_detach(w, w->vfio_fd[0]));
	assert_int_equal(0, t_destroy(w, nested));
	assert_int_equal(0, t_destroy(w, parent));
	assert_int_equal(0, t_destroy(w, plain));
	assert_int_equal(0, w->m->domains_live);
	/* the next object takes the lowest free id again */
	assert_int_equal(0, t_hwpt_alloc(w, 0, dev, w->ioas_id, 0, &next));
	assert_int_equal(parent, next);
	assert_int_equal(0, t_destroy(w, next));
}

static int t_invalidate(struct world *w, uint32_t hwpt, uint32_t type, const void *data,
			uint32_t entry_len, uint32_t *entry_num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd), .hwpt_id = hwpt, .data_uptr = (uint64_t)(uintptr_t)data,
		.data_type = type, .entry_len = entry_len, .entry_num = *entry_num,
	};
	int rc = px_ioctl(w->p, w->iommufd, IOMMU_HWPT_INVALIDATE, &cmd);

	*entry_num = cmd.entry_num;
	return rc;
}

/*
 * IOMMU_HWPT_INVALIDATE (docs/uapi.md): Linux's checks in order, entry_num
 * written back with the entries handled on success and on every error.
 */
static void test_hwpt_invalidate(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_riscv_iommu u = { .dc_tc = 1 };
	struct iommu_hwpt_riscv_iommu_invalidate inv[3] = {
		{ .cmd = { 0x1, 0 } }, { .cmd = { 0x1, 0x400 } }, { .cmd = { 0x1, 0 } },
	};
	uint64_t wide[3] = { 0x1, 0, 0 };
	struct iommu_hwpt_invalidate cmd;
	uint32_t dev = 0, parent = 0, nested = 0, n;
	const uint32_t T = IOMMU_HWPT_INVALIDATE_DATA_RISCV_IOMMU;

	assert_int_equal(0, world_open_iommufd(w));
	w->vfio_fd[0] = px_open(w->p, "/dev/vfio/devices/vfio0", PX_O_RDWR);
	assert_int_equal(0, t_bind(w, w->vfio_fd[0], &dev));
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_ALLOC_NEST_PARENT, dev, w->ioas_id, 0,
					 &parent));
	assert_int_equal(0, t_nested_alloc(w, 0, dev, parent, IOMMU_HWPT_DATA_RISCV_IOMMU, &u,
					   sizeof(u), &nested));

	/* __reserved: EOPNOTSUPP, entry_num 0 written back */
	cmd = (struct iommu_hwpt_invalidate){ .size = sizeof(cmd), .hwpt_id = nested,
					      .data_uptr = (uint64_t)(uintptr_t)inv,
					      .data_type = T, .entry_len = 16, .entry_num = 3,
					      .__reserved = 1 };
	assert_int_equal(-EOPNOTSUPP, px_ioctl(w->p, w->iommufd, IOMMU_HWPT_INVALIDATE, &cmd));
	assert_int_equal(0, cmd.entry_num);
	/* entries without data or entry length; an unknown id; not a nested HWPT */
	n = 3;
	assert_int_equal(-EINVAL, t_invalidate(w, nested, T, NULL, 16, &n));
	assert_int_equal(0, n);
	n = 3;
	assert_int_equal(-EINVAL, t_invalidate(w, nested, T, inv, 0, &n));
	n = 3;
	assert_int_equal(-ENOENT, t_invalidate(w, 99, T, inv, 16, &n));
	n = 3;
	assert_int_equal(-EINVAL, t_invalidate(w, parent, T, inv, 16, &n));
	assert_int_equal(-EINVAL, t_invalidate(w, w->ioas_id, T, inv, 16, &n));
	assert_int_equal(0, w->m->inval_entries);
	/* no entries: nothing to do */
	n = 0;
	assert_int_equal(0, t_invalidate(w, nested, T, NULL, 0, &n));
	assert_int_equal(0, n);
	/* all three handled */
	n = 3;
	assert_int_equal(0, t_invalidate(w, nested, T, inv, 16, &n));
	assert_int_equal(3, n);
	assert_int_equal(3, w->m->inval_entries);
	/* a refused entry: the ones before it count, it does not */
	inv[1].cmd[0] = MOCK_INVAL_BAD;
	n = 3;
	assert_int_equal(-EINVAL, t_invalidate(w, nested, T, inv, 16, &n));
	assert_int_equal(1, n);
	/* another data type; an entry shorter than the struct */
	n = 3;
	assert_int_equal(-EINVAL, t_invalidate(w, nested, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, inv,
					       16, &n));
	assert_int_equal(0, n);
	n = 1;
	assert_int_equal(-EINVAL, t_invalidate(w, nested, T, inv, 8, &n));
	/* a longer entry: zero past the struct is fine, anything else E2BIG */
	n = 1;
	assert_int_equal(0, t_invalidate(w, nested, T, wide, 24, &n));
	assert_int_equal(1, n);
	wide[2] = 1;
	n = 1;
	assert_int_equal(-E2BIG, t_invalidate(w, nested, T, wide, 24, &n));
	assert_int_equal(0, n);
	assert_int_equal(5, w->m->inval_entries);
	assert_int_equal(0, t_destroy(w, nested));
	assert_int_equal(0, t_destroy(w, parent));
}

/*
 * Every operation that names an object by id, after that object was
 * destroyed: the same errno as an id that never existed (ENOENT, or
 * EINVAL for HWPT_ALLOC's pt_id as in Linux), nothing created, and the
 * freed id handed out again next.
 */
static void test_ops_on_destroyed_objects(void **state)
{
	struct world *w = *state;
	struct iommu_hwpt_riscv_iommu u = { .dc_tc = 1 };
	struct iommu_hwpt_riscv_iommu_invalidate inv = { .cmd = { 1, 0 } };
	struct iommu_viommu_alloc va;
	struct iommu_veventq_alloc ea;
	uint32_t dev = 0, fault = 0, ioas = 0, parent = 0, nested = 0, viommu = 0, id = 0, n;
	unsigned int domains;
	int fd = -1;

	assert_int_equal(0, world_open_iommufd(w));
	w->vfio_fd[0] = px_open(w->p, "/dev/vfio/devices/vfio0", PX_O_RDWR);
	assert_int_equal(0, t_bind(w, w->vfio_fd[0], &dev));
	domains = w->m->domains_live;

	/* a fault object: its fd closed, then destroyed; HWPT_ALLOC names it */
	assert_int_equal(0, t_fault_alloc(w, &fault, &fd));
	assert_int_equal(0, px_close(w->p, fd));
	assert_int_equal(0, t_destroy(w, fault));
	assert_int_equal(-ENOENT, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, dev, w->ioas_id, fault,
					       NULL));
	assert_int_equal(-ENOENT, t_destroy(w, fault));
	/* an IOAS: MAP on it, a HWPT on it */
	assert_int_equal(0, t_ioas_alloc(w, &ioas));
	assert_int_equal(ioas, fault); /* the lowest free id again */
	assert_int_equal(0, t_destroy(w, ioas));
	assert_int_equal(-ENOENT, t_ioas_map(w, ioas, 0x100000, 0x100000, 4096,
					     IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE));
	assert_int_equal(-EINVAL, t_hwpt_alloc(w, 0, dev, ioas, 0, NULL));
	/* a nesting parent: a vIOMMU on it, a nested HWPT on it, an attach to it */
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_ALLOC_NEST_PARENT, dev, w->ioas_id, 0,
					 &parent));
	assert_int_equal(0, t_destroy(w, parent));
	va = (struct iommu_viommu_alloc){ .size = sizeof(va), .type = MOCK_VIOMMU_TYPE,
					  .dev_id = dev, .hwpt_id = parent };
	assert_int_equal(-ENOENT, px_ioctl(w->p, w->iommufd, IOMMU_VIOMMU_ALLOC, &va));
	assert_int_equal(-EINVAL, t_nested_alloc(w, 0, dev, parent, IOMMU_HWPT_DATA_RISCV_IOMMU,
						 &u, sizeof(u), NULL));
	assert_int_equal(-ENOENT, t_attach(w, w->vfio_fd[0], parent));
	/* a vIOMMU: a vEVENTQ on it */
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_ALLOC_NEST_PARENT, dev, w->ioas_id, 0,
					 &parent));
	va.hwpt_id = parent;
	assert_int_equal(0, px_ioctl(w->p, w->iommufd, IOMMU_VIOMMU_ALLOC, &va));
	viommu = va.out_viommu_id;
	assert_int_equal(0, t_destroy(w, viommu));
	ea = (struct iommu_veventq_alloc){ .size = sizeof(ea), .viommu_id = viommu,
					   .type = MOCK_VIOMMU_TYPE, .veventq_depth = 4 };
	assert_int_equal(-ENOENT, px_ioctl(w->p, w->iommufd, IOMMU_VEVENTQ_ALLOC, &ea));
	/* a nested HWPT: invalidate it, attach it */
	assert_int_equal(0, t_nested_alloc(w, 0, dev, parent, IOMMU_HWPT_DATA_RISCV_IOMMU, &u,
					   sizeof(u), &nested));
	assert_int_equal(0, t_destroy(w, nested));
	n = 1;
	assert_int_equal(-ENOENT, t_invalidate(w, nested, IOMMU_HWPT_INVALIDATE_DATA_RISCV_IOMMU,
					       &inv, sizeof(inv), &n));
	assert_int_equal(0, n);
	assert_int_equal(-ENOENT, t_attach(w, w->vfio_fd[0], nested));
	assert_int_equal(0, t_destroy(w, parent));
	/* nothing was left behind, and the freed ids come back lowest first */
	assert_int_equal(domains, w->m->domains_live);
	assert_int_equal(0, w->m->inval_entries);
	assert_int_equal(0, t_ioas_alloc(w, &id));
	assert_int_equal(fault, id);
	assert_int_equal(0, t_destroy(w, id));
}

static void test_destroy_ebusy(void **state)
{
	struct world *w = *state;
	uint32_t h0, h1, h2;

	assert_int_equal(0, world_open_iommufd(w));
	assert_int_equal(0, world_attach_dev(w, 0, true));
	h0 = w->hwpt_id[0];
	/* One fault object shared by several HWPTs. */
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, w->dev_id[0], w->ioas_id,
					 w->fault_id, &h1));
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, w->dev_id[0], w->ioas_id,
					 w->fault_id, &h2));
	assert_int_equal(-EBUSY, t_destroy(w, w->fault_id));     /* fd open, HWPT refs */
	assert_int_equal(0, px_close(w->p, w->fault_fd));
	assert_int_equal(-EBUSY, t_destroy(w, w->fault_id));     /* HWPT refs */
	assert_int_equal(-EBUSY, t_destroy(w, h0));              /* attached */
	assert_int_equal(-EBUSY, t_destroy(w, w->ioas_id));      /* HWPTs use it */
	assert_int_equal(-EBUSY, t_destroy(w, w->dev_id[0]));    /* bound by VFIO */
	assert_int_equal(0, t_destroy(w, h1));
	assert_int_equal(0, t_destroy(w, h2));
	assert_int_equal(-EBUSY, t_destroy(w, w->fault_id));
	assert_int_equal(0, t_detach(w, w->vfio_fd[0]));
	assert_int_equal(0, t_destroy(w, h0));
	assert_int_equal(0, t_destroy(w, w->fault_id));
	assert_int_equal(0, t_destroy(w, w->ioas_id));
	assert_int_equal(0, w->m->domains_live);
}

static void test_vf_with_pri(void **state)
{
	struct world *w = *state;

	assert_int_equal(0, world_open_iommufd(w));
	w->dev[1]->is_virtfn = true;
	assert_true(w->dev[1]->pri_supported);
	/* PRI of a VF is the PF's: no fault-capable attach. */
	assert_int_equal(-EINVAL, world_attach_dev(w, 1, true));
	assert_null(w->dev[1]->fault_param);
	assert_int_equal(0, w->m->enable_iopf_calls);
	/* A non-faultable HWPT is fine. */
	assert_int_equal(0, t_hwpt_alloc(w, 0, w->dev_id[1], w->ioas_id, 0, &w->hwpt_id[1]));
	assert_int_equal(0, t_attach(w, w->vfio_fd[1], w->hwpt_id[1]));
	/* A VF without PRI may use a fault-capable HWPT. */
	w->dev[0]->is_virtfn = true;
	w->dev[0]->pri_supported = false;
	assert_int_equal(0, world_attach_dev(w, 0, true));
}

static void test_attach_enables_iopf(void **state)
{
	struct world *w = *state;

	assert_int_equal(0, world_open_iommufd(w));
	assert_int_equal(0, world_attach_dev(w, 0, true));
	assert_int_equal(1, w->m->enable_iopf_calls);
	assert_non_null(w->dev[0]->fault_param);
	assert_true(w->dev[0]->pri_enabled);
	/* Attach to the same HWPT again: a no-op. */
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], w->hwpt_id[0]));
	assert_int_equal(1, w->m->attach_calls);
	/* Non-faultable device: no IOPF. */
	assert_int_equal(0, world_attach_dev(w, 1, false));
	assert_null(w->dev[1]->fault_param);
	assert_int_equal(1, w->m->enable_iopf_calls);
	/* Enable failure fails the attach and leaves the device detached. */
	assert_int_equal(0, t_detach(w, w->vfio_fd[0]));
	assert_int_equal(1, w->m->disable_iopf_calls);
	w->m->enable_iopf_err = -EIO;
	assert_int_equal(-EIO, t_attach(w, w->vfio_fd[0], w->hwpt_id[0]));
	assert_null(w->dev[0]->domain);
	/* Attach failure in the driver undoes the IOPF enable. */
	w->m->attach_err = -ENOSPC;
	assert_int_equal(-ENOSPC, t_attach(w, w->vfio_fd[0], w->hwpt_id[0]));
	assert_null(w->dev[0]->fault_param);
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], w->hwpt_id[0]));
	/* Attach to an IOAS (automatic domain) is not implemented. */
	assert_int_equal(-EOPNOTSUPP, t_attach(w, w->vfio_fd[1], w->ioas_id));
	assert_int_equal(-ENOENT, t_attach(w, w->vfio_fd[1], 99));
	assert_int_equal(-EINVAL, t_attach(w, w->vfio_fd[1], w->fault_id));
}

static void test_ioas_map(void **state)
{
	struct world *w = *state;
	const uint32_t rw = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			    IOMMU_IOAS_MAP_WRITEABLE;
	struct mock_domain *d0, *d1, *d2;
	struct iommu_ioas_map cmd;
	const struct mock_map *m;
	hal_paddr_t pa;
	uint32_t h2;

	assert_int_equal(0, world_setup(w));
	assert_non_null(px_alloc_user_page(w->p, &pa));
	d0 = to_mock_domain(w->dev[0]->domain);
	d1 = to_mock_domain(w->dev[1]->domain);

	assert_int_equal(0, t_ioas_map(w, w->ioas_id, 0x100000, pa, 4096, rw));
	/* Mapped into every domain of the IOAS, and synced. */
	m = mock_find_map(d0, 0x100000);
	assert_non_null(m);
	assert_int_equal(pa, m->pa);
	assert_int_equal(IOMMU_READ | IOMMU_WRITE, m->prot);
	assert_non_null(mock_find_map(d1, 0x100000));
	assert_int_equal(1, d0->sync_calls);
	assert_int_equal(2, fake_hal_charges(w->h, HAL_COST_MAP_PAGE));

	assert_int_equal(-EEXIST, t_ioas_map(w, w->ioas_id, 0x100000, pa, 4096, rw));
	assert_int_equal(-EOPNOTSUPP, t_ioas_map(w, w->ioas_id, 0x200000, pa, 4096, rw | 8));
	assert_int_equal(-EOPNOTSUPP, t_ioas_map(w, w->ioas_id, 0x200000, pa, 4096,
						 IOMMU_IOAS_MAP_READABLE));
	assert_int_equal(-EINVAL, t_ioas_map(w, w->ioas_id, 0x200000, pa, 4096,
					     IOMMU_IOAS_MAP_FIXED_IOVA));
	assert_int_equal(-EINVAL, t_ioas_map(w, w->ioas_id, 0x200800, pa, 4096, rw));
	assert_int_equal(-EINVAL, t_ioas_map(w, w->ioas_id, 0x200000, pa, 0, rw));
	assert_int_equal(-EOVERFLOW, t_ioas_map(w, w->ioas_id, UINT64_MAX - 4095, pa, 8192, rw));
	assert_int_equal(-ENOENT, t_ioas_map(w, 99, 0x200000, pa, 4096, rw));
	assert_int_equal(-EFAULT, t_ioas_map(w, w->ioas_id, 0x200000, 0x1000, 4096, rw));
	cmd = (struct iommu_ioas_map){ .size = sizeof(cmd), .flags = rw, .ioas_id = w->ioas_id,
				       .__reserved = 1, .user_va = pa, .length = 4096,
				       .iova = 0x200000 };
	assert_int_equal(-EOPNOTSUPP, px_ioctl(w->p, w->iommufd, IOMMU_IOAS_MAP, &cmd));
	/* Adjacent ranges are not overlaps. */
	assert_int_equal(0, t_ioas_map(w, w->ioas_id, 0x101000, pa, 4096, rw));
	assert_int_equal(0, t_ioas_map(w, w->ioas_id, 0x0ff000, pa, 4096, rw));

	/* A driver failure in one domain leaves no mapping anywhere. */
	fake_hal_fail_filter(w->h, "mock.map_pages");
	fake_hal_fail_nth(w->h, 2);
	assert_int_equal(-ENOMEM, t_ioas_map(w, w->ioas_id, 0x300000, pa, 4096, rw));
	fake_hal_fail_nth(w->h, 0);
	assert_null(mock_find_map(d0, 0x300000));
	assert_null(mock_find_map(d1, 0x300000));
	assert_int_equal(0, t_ioas_map(w, w->ioas_id, 0x300000, pa, 4096, rw));

	/* A new HWPT is filled with the existing areas. */
	assert_int_equal(0, t_hwpt_alloc(w, 0, w->dev_id[0], w->ioas_id, 0, &h2));
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], h2));
	d2 = to_mock_domain(w->dev[0]->domain);
	assert_ptr_not_equal(d0, d2);
	assert_int_equal(4, d2->nr_maps);
	assert_non_null(mock_find_map(d2, 0x0ff000));
}

static int t_ioas_unmap(struct world *w, uint32_t ioas, uint64_t iova, uint64_t length,
		       uint64_t *unmapped)
{
	struct iommu_ioas_unmap cmd = { .size = sizeof(cmd), .ioas_id = ioas, .iova = iova,
					.length = length };
	int rc = px_ioctl(w->p, w->iommufd, IOMMU_IOAS_UNMAP, &cmd);

	if (unmapped)
		*unmapped = cmd.length;
	return rc;
}

/*
 * IOMMU_IOAS_UNMAP (iopt_unmap_iova): whole areas inside the range, from
 * every domain; a range cutting an area or holding none is -ENOENT and
 * changes nothing; 0 / UINT64_MAX unmaps everything.
 */
static void test_ioas_unmap(void **state)
{
	struct world *w = *state;
	const uint32_t rw = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			    IOMMU_IOAS_MAP_WRITEABLE;
	struct mock_domain *d0, *d1;
	uint64_t n = 0;
	hal_paddr_t pa;

	assert_int_equal(0, world_setup(w));
	assert_non_null(px_alloc_user_page(w->p, &pa));
	d0 = to_mock_domain(w->dev[0]->domain);
	d1 = to_mock_domain(w->dev[1]->domain);
	assert_int_equal(0, t_ioas_map(w, w->ioas_id, 0x100000, pa, 4096, rw));
	assert_int_equal(0, t_ioas_map(w, w->ioas_id, 0x101000, pa, 4096, rw));
	assert_int_equal(0, t_ioas_map(w, w->ioas_id, 0x200000, pa, 8192, rw));
	assert_int_equal(0, t_ioas_map(w, w->ioas_id, 0x300000, pa, 4096, rw));

	assert_int_equal(-EINVAL, t_ioas_unmap(w, w->ioas_id, 0x100000, 0, NULL));
	assert_int_equal(-EOVERFLOW, t_ioas_unmap(w, w->ioas_id, UINT64_MAX - 4095, 8192, NULL));
	assert_int_equal(-ENOENT, t_ioas_unmap(w, 99, 0x100000, 4096, NULL));
	/* Cutting an area (either end), or a range with no area: nothing changes. */
	assert_int_equal(-ENOENT, t_ioas_unmap(w, w->ioas_id, 0x200000, 4096, NULL));
	assert_int_equal(-ENOENT, t_ioas_unmap(w, w->ioas_id, 0x201000, 4096, NULL));
	assert_int_equal(-ENOENT, t_ioas_unmap(w, w->ioas_id, 0x100000, 0x101000, NULL));
	assert_int_equal(-ENOENT, t_ioas_unmap(w, w->ioas_id, 0x400000, 4096, NULL));
	assert_int_equal(4, d0->nr_maps);
	assert_int_equal(4, d1->nr_maps);
	assert_non_null(mock_find_map(d0, 0x200000));

	/* Two whole areas in one call: gone from both domains; the rest stay. */
	assert_int_equal(0, t_ioas_unmap(w, w->ioas_id, 0x100000, 0x2000, &n));
	assert_int_equal(0x2000, n);
	assert_null(mock_find_map(d0, 0x100000));
	assert_null(mock_find_map(d1, 0x101000));
	assert_non_null(mock_find_map(d1, 0x300000));
	/* The range is free again. */
	assert_int_equal(0, t_ioas_map(w, w->ioas_id, 0x100000, pa, 4096, rw));
	/* Everything. */
	assert_int_equal(0, t_ioas_unmap(w, w->ioas_id, 0, UINT64_MAX, &n));
	assert_int_equal(0x1000 + 0x2000 + 0x1000, n);
	assert_int_equal(0, d0->nr_maps);
	assert_int_equal(0, d1->nr_maps);
	assert_int_equal(-ENOENT, t_ioas_unmap(w, w->ioas_id, 0, UINT64_MAX, NULL));
}

/*
 * VFIO_DEVICE_BIND_IOMMUFD as of Linux 6.17/6.18: 24 bytes with
 * token_uuid_ptr, argsz 16 still accepted, a longer struct read with
 * copy_struct_from_user(), and VFIO_DEVICE_BIND_FLAG_TOKEN: the token is read
 * (EFAULT if it cannot be) and refused (EINVAL), no device here having a VF
 * token to match. Every refusal leaves the file unbound.
 */
static void test_vfio_bind_token_and_argsz(void **state)
{
	struct world *w = *state;
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct {
		struct vfio_device_bind_iommufd b;
		uint32_t tail[2];
	} big = { .b.argsz = sizeof(big) };
	const unsigned char uuid[16] = { 0x12, 0x34 };
	int fd, fd1;

	assert_int_equal(0, world_open_iommufd(w));
	fd = px_open(w->p, "/dev/vfio/devices/vfio0", PX_O_RDWR);
	fd1 = px_open(w->p, "/dev/vfio/devices/vfio1", PX_O_RDWR);
	assert_true(fd >= 3 && fd1 > fd);
	bind.iommufd = w->iommufd;
	big.b.iommufd = w->iommufd;

	/* The token flag without a token pointer: the UUID cannot be read. */
	bind.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	assert_int_equal(-EFAULT, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	/* A readable token: no device here has a VF token to match. */
	bind.token_uuid_ptr = (uint64_t)(uintptr_t)uuid;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	/* Without the flag, token_uuid_ptr is ignored, whatever it holds. */
	bind.flags = 0;
	bind.token_uuid_ptr = 0xdeadbeef;
	/* A struct longer than 24 bytes: its tail must be zero. */
	big.tail[1] = 1;
	assert_int_equal(-E2BIG, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &big));
	/* Unknown flags are EINVAL even with a token pointer. */
	bind.flags = ~VFIO_DEVICE_BIND_FLAG_TOKEN;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.flags = 0;
	assert_null(w->dev[0]->fault_param);
	assert_int_equal(-EINVAL, t_attach(w, fd, 1));

	assert_int_equal(0, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	assert_int_equal(3, bind.out_devid);
	/* The Linux <= 6.16 struct (argsz 16): token_uuid_ptr reads as 0. */
	bind = (struct vfio_device_bind_iommufd){ .argsz = 16, .iommufd = w->iommufd,
						  .token_uuid_ptr = 0xdeadbeef };
	assert_int_equal(0, px_ioctl(w->p, fd1, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	assert_int_equal(4, bind.out_devid);
	/* Bound twice: EINVAL, with or without a token. */
	bind.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	big.tail[1] = 0;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &big));
	assert_int_equal(0, px_close(w->p, fd1));
	/* A zero tail is accepted (device ids are lowest-free: 4 again). */
	fd1 = px_open(w->p, "/dev/vfio/devices/vfio1", PX_O_RDWR);
	assert_int_equal(0, px_ioctl(w->p, fd1, VFIO_DEVICE_BIND_IOMMUFD, &big));
	assert_int_equal(4, big.b.out_devid);
}

/*
 * VFIO_DEVICE_GET_REGION_INFO as vfio-pci answers it: refused before the
 * bind, argsz below 32 EINVAL, BAR0 and config space read-write with their
 * sizes, absent BARs and ROM size 0 without flags, no VGA, nothing past
 * VFIO_PCI_NUM_REGIONS; only 32 bytes are written back.
 */
static void test_vfio_region_info(void **state)
{
	struct world *w = *state;
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	struct {
		struct vfio_region_info i;
		uint32_t tail[2];
	} big;
	struct vfio_region_info info, bar0, cfg;
	uint32_t idx, val;
	int fd;

	assert_int_equal(0, world_open_iommufd(w));
	fd = px_open(w->p, "/dev/vfio/devices/vfio0", PX_O_RDWR);
	assert_int_equal(-EINVAL, t_region_info(w, fd, VFIO_PCI_BAR0_REGION_INDEX, &info));
	assert_int_equal(sizeof(info), info.argsz);
	assert_int_equal(0, info.size);
	assert_int_equal(0, t_bind(w, fd, NULL));

	assert_int_equal(0, t_region_info(w, fd, VFIO_PCI_BAR0_REGION_INDEX, &bar0));
	assert_int_equal(rw, bar0.flags);
	assert_int_equal(PXDEV_BAR0_SIZE, bar0.size);
	assert_int_equal(0, t_region_info(w, fd, VFIO_PCI_CONFIG_REGION_INDEX, &cfg));
	assert_int_equal(rw, cfg.flags);
	assert_int_equal(4096, cfg.size);
	assert_true(cfg.offset >= bar0.offset + bar0.size);
	/* The offsets reach the regions. */
	assert_int_equal(4, px_pread(w->p, fd, &val, 4, bar0.offset + PXDEV_ID));
	assert_int_equal(PXDEV_ID_VALUE, val);
	assert_int_equal(4, px_pread(w->p, fd, &val, 4, cfg.offset + PXDEV_CFG_PRI));
	assert_int_equal(0x00010013, val);

	/* Regions the device does not implement: size 0, no flags, no access. */
	for (idx = VFIO_PCI_BAR1_REGION_INDEX; idx <= VFIO_PCI_ROM_REGION_INDEX; idx++) {
		memset(&info, 0xa5, sizeof(info));
		info.argsz = sizeof(info);
		info.index = idx;
		assert_int_equal(0, px_ioctl(w->p, fd, VFIO_DEVICE_GET_REGION_INFO, &info));
		assert_int_equal(idx, info.index);
		assert_int_equal(0, info.size);
		assert_int_equal(0, info.flags);
		assert_int_not_equal(bar0.offset, info.offset);
		assert_int_not_equal(cfg.offset, info.offset);
		assert_int_equal(-EINVAL, px_pread(w->p, fd, &val, 4, info.offset));
	}
	assert_int_equal(-EINVAL, t_region_info(w, fd, VFIO_PCI_VGA_REGION_INDEX, &info));
	assert_int_equal(-EINVAL, t_region_info(w, fd, VFIO_PCI_NUM_REGIONS, &info));
	assert_int_equal(-EINVAL, t_region_info(w, fd, UINT32_MAX, &info));

	/* argsz below 32: EINVAL, nothing written back. */
	info = (struct vfio_region_info){ .argsz = 31, .index = VFIO_PCI_BAR0_REGION_INDEX };
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_GET_REGION_INFO, &info));
	assert_int_equal(0, info.size);
	assert_int_equal(-EFAULT, px_ioctl(w->p, fd, VFIO_DEVICE_GET_REGION_INFO, NULL));
	/* A larger argsz: the 32 known bytes are answered, the rest untouched. */
	memset(&big, 0x5a, sizeof(big));
	big.i.argsz = sizeof(big);
	big.i.index = VFIO_PCI_BAR0_REGION_INDEX;
	assert_int_equal(0, px_ioctl(w->p, fd, VFIO_DEVICE_GET_REGION_INFO, &big));
	assert_int_equal(sizeof(big), big.i.argsz);
	assert_int_equal(bar0.offset, big.i.offset);
	assert_int_equal(PXDEV_BAR0_SIZE, big.i.size);
	assert_int_equal(0x5a5a5a5a, big.tail[0]);
	assert_int_equal(0, px_close(w->p, fd));
}

static void test_vfio_cdev(void **state)
{
	struct world *w = *state;
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_region_info r0, rcfg, rrom;
	uint32_t val = PXDEV_CTRL_START, dev;
	uint64_t bar0, cfg;
	int fd, fd2;

	assert_int_equal(0, world_open_iommufd(w));
	fd = px_open(w->p, "/dev/vfio/devices/vfio0", PX_O_RDWR);
	fd2 = px_open(w->p, "/dev/vfio/devices/vfio0", PX_O_RDWR);
	assert_true(fd >= 3 && fd2 > fd);
	assert_int_equal(-ENOENT, px_open(w->p, "/dev/vfio/devices/vfio2", PX_O_RDWR));

	/* Nothing works before the bind (BAR0 would be at 0). */
	assert_int_equal(-EINVAL, px_pwrite(w->p, fd, &val, 4, PXDEV_CTRL));
	assert_int_equal(-EINVAL, t_region_info(w, fd, VFIO_PCI_BAR0_REGION_INDEX, &r0));
	assert_int_equal(-EINVAL, t_attach(w, fd, 1));
	assert_int_equal(-EINVAL, t_detach(w, fd));

	bind.iommufd = 42;
	assert_int_equal(-EBADF, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.iommufd = -1;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.iommufd = fd2;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.iommufd = w->iommufd;
	/* Bit 0 is VFIO_DEVICE_BIND_FLAG_TOKEN since Linux 6.17; bit 1 is unknown. */
	bind.flags = 1u << 1;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bind.flags = 0;
	bind.argsz = 12;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	assert_int_equal(0, bind.out_devid);
	/* None of the refused binds bound the file. */
	assert_int_equal(-EINVAL, t_attach(w, fd, 1));
	bind.argsz = sizeof(bind);
	assert_int_equal(0, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	dev = bind.out_devid;
	assert_int_equal(3, dev);
	assert_int_equal(0, t_region_info(w, fd, VFIO_PCI_BAR0_REGION_INDEX, &r0));
	assert_int_equal(0, t_region_info(w, fd, VFIO_PCI_CONFIG_REGION_INDEX, &rcfg));
	assert_int_equal(0, t_region_info(w, fd, VFIO_PCI_ROM_REGION_INDEX, &rrom));
	bar0 = r0.offset;
	cfg = rcfg.offset;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	/* Bound through another file: EINVAL (Linux vfio_df_open), fd2 stays unbound. */
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd2, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	assert_int_equal(-EINVAL, t_region_info(w, fd2, VFIO_PCI_BAR0_REGION_INDEX, &r0));
	assert_int_equal(-ENOTTY, px_ioctl(w->p, fd, PX_IO(';', 100 + 40), &bind));

	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_FAULT_ID_VALID, dev, w->ioas_id,
					 w->fault_id, &w->hwpt_id[0]));
	at.pt_id = w->hwpt_id[0];
	at.flags = 2;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	/* With the PASID flag: argsz must reach `pasid`, and PASID 0 is the RID's. */
	at.flags = VFIO_DEVICE_ATTACH_PASID;
	at.argsz = offsetof(struct vfio_device_attach_iommufd_pt, pasid);
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	at.argsz = sizeof(at);
	at.pasid = 0;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	/* A HWPT allocated without IOMMU_HWPT_ALLOC_PASID is no PASID's. */
	at.pasid = 5;
	assert_int_equal(-EINVAL, px_ioctl(w->p, fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	at.flags = 0;
	assert_int_equal(0, px_ioctl(w->p, fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	assert_int_equal(w->hwpt_id[0], at.pt_id);

	/* Region access: BAR0 registers through MMIO, config space through the HAL. */
	assert_int_equal(4, px_pwrite(w->p, fd, &val, 4, bar0 + PXDEV_CTRL));
	assert_int_equal(1, w->nr_mmio);
	assert_int_equal(W_BAR0(0) + PXDEV_CTRL, w->mmio[0].addr);
	assert_int_equal(PXDEV_CTRL_START, w->mmio[0].val);
	assert_int_equal(4, w->mmio[0].size);
	val = 0;
	assert_int_equal(4, px_pread(w->p, fd, &val, 4, bar0 + PXDEV_ID));
	assert_int_equal(PXDEV_ID_VALUE, val);
	assert_int_equal(4, px_pread(w->p, fd, &val, 4, cfg + PXDEV_CFG_PRI));
	assert_int_equal(0x00010013, val);
	assert_int_equal(-EINVAL, px_pwrite(w->p, fd, &val, 4, bar0 + 2));
	assert_int_equal(-EINVAL, px_pwrite(w->p, fd, &val, 3, bar0));
	assert_int_equal(-EINVAL, px_pwrite(w->p, fd, &val, 4, bar0 + PXDEV_BAR0_SIZE));
	assert_int_equal(-EINVAL, px_pwrite(w->p, fd, &val, 4, rrom.offset));
	assert_int_equal(1, w->nr_mmio);

	/* Closing the bound file unbinds: detach, IOPF off, device object gone. */
	assert_int_equal(0, px_close(w->p, fd));
	assert_null(w->dev[0]->domain);
	assert_null(w->dev[0]->fault_param);
	assert_int_equal(-ENOENT, t_destroy(w, dev));
	/* The other file may bind now. */
	assert_int_equal(0, px_ioctl(w->p, fd2, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	assert_int_equal(-EBADF, px_close(w->p, fd));
}

static void test_close_all_destroys_everything(void **state)
{
	struct world *w = *state;
	hal_paddr_t pa;
	void *page;

	assert_int_equal(0, world_setup(w));
	page = px_alloc_user_page(w->p, &pa);
	assert_int_equal(0, t_ioas_map(w, w->ioas_id, 0x100000, pa,
				       4096, IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(2, w->m->domains_live);
	/* Close /dev/iommu first: the fault fd and the VFIO bindings keep the context. */
	assert_int_equal(0, px_close(w->p, w->iommufd));
	assert_int_equal(2, w->m->domains_live);
	px_proc_destroy(w->p);
	w->p = NULL;
	assert_int_equal(0, w->m->domains_live);
	assert_int_equal(0, fake_hal_objects_live(w->h));
	/* The queued group was answered when its device was unbound. */
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(0, fake_hal_log_count(w->h, HAL_LOG_ERROR));
	hal_dma_free(w->h, page, 4096);
	assert_int_equal(0, px_proc_create(w->k, &w->p));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fault_queue_alloc_args),
		T(test_ioctl_general_rules),
		T(test_hwpt_alloc_args),
		T(test_hwpt_nested),
		T(test_hwpt_invalidate),
		T(test_ops_on_destroyed_objects),
		T(test_destroy_ebusy),
		T(test_vf_with_pri),
		T(test_attach_enables_iopf),
		T(test_ioas_map),
		T(test_ioas_unmap),
		T(test_vfio_bind_token_and_argsz),
		T(test_vfio_region_info),
		T(test_vfio_cdev),
		T(test_close_all_destroys_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
