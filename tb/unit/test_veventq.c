// SPDX-License-Identifier: Apache-2.0
/*
 * Description: the vIOMMU and the vEVENTQ (linux-iopf.md §2.6, §3.5,
 * checklist §8 vEVENTQ): IOMMU_VIOMMU_ALLOC and IOMMU_VEVENTQ_ALLOC argument
 * checks with Linux's errno and nothing created on failure, one vEVENTQ per
 * type, headers with sequence numbers, the depth, the LOST_EVENTS header on
 * overflow (only at the tail, sequence continues, wraps at INT_MAX), reads
 * of whole events (Linux 6.18: -EINVAL when not even the first fits),
 * write() -EINVAL, pread()/pwrite() -ESPIPE, poll() never POLLOUT, routing
 * of a device's events to the vIOMMUs of its HWPT, and destruction with
 * events queued (no leak under ASan).
 *
 * The events are what the RISC-V driver reports for an FQ record
 * (iommu_report_device_event() with one struct iommu_vevent_riscv_iommu);
 * the mock IOMMU backs vIOMMUs of the RISC-V type.
 */
#include "test_util.h"

#include <limits.h>

#include "iommufd/iommufd_private.h"

#define HSZ ((ssize_t)sizeof(struct iommufd_vevent_header))
#define PSZ ((ssize_t)sizeof(struct iommu_vevent_riscv_iommu))
#define ESZ (HSZ + PSZ)
#define VTYPE IOMMU_VEVENTQ_TYPE_RISCV_IOMMU
#define DEPTH 2u

struct vworld {
	struct world w; /* first: world_teardown() frees it */
	uint32_t viommu_id;
	uint32_t veventq_id;
	int veventq_fd;
};

static int t_viommu_alloc_cmd(struct world *w, struct iommu_viommu_alloc *cmd)
{
	return px_ioctl(w->p, w->iommufd, IOMMU_VIOMMU_ALLOC, cmd);
}

static int t_viommu_alloc(struct world *w, uint32_t type, uint32_t dev_id, uint32_t hwpt_id,
			  uint32_t *out_id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd), .type = type, .dev_id = dev_id, .hwpt_id = hwpt_id,
	};
	int rc = t_viommu_alloc_cmd(w, &cmd);

	if (!rc && out_id)
		*out_id = cmd.out_viommu_id;
	return rc;
}

static int t_veventq_alloc(struct world *w, uint32_t viommu_id, uint32_t type, uint32_t depth,
			   uint32_t *out_id, int *out_fd)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd), .viommu_id = viommu_id, .type = type, .veventq_depth = depth,
	};
	int rc = px_ioctl(w->p, w->iommufd, IOMMU_VEVENTQ_ALLOC, &cmd);

	if (!rc) {
		if (out_id)
			*out_id = cmd.out_veventq_id;
		if (out_fd)
			*out_fd = (int)cmd.out_veventq_fd;
	}
	return rc;
}

/* An FQ record of device i, as the RISC-V driver hands it up. */
static int report(struct vworld *v, unsigned int i, uint32_t cause, uint64_t iotval)
{
	struct iommu_vevent_riscv_iommu e = {
		.hdr = cause | (2ull << 34) /* TTYP untranslated read */ |
		       ((uint64_t)W_RID(i) << 40),
		.iotval = iotval,
		.iotval2 = ~iotval,
	};

	return iommu_report_device_event(v->w.dev[i], VTYPE, &e, sizeof(e));
}

struct rec {
	struct iommufd_vevent_header h;
	struct iommu_vevent_riscv_iommu e;
};

/* Parse a normal event at @off of @buf. */
static struct rec rec_at(const unsigned char *buf, size_t off)
{
	struct rec r;

	memcpy(&r.h, buf + off, HSZ);
	memcpy(&r.e, buf + off + HSZ, PSZ);
	return r;
}

static struct iommufd_vevent_header hdr_at(const unsigned char *buf, size_t off)
{
	struct iommufd_vevent_header h;

	memcpy(&h, buf + off, HSZ);
	return h;
}

static struct iommufd_ctx *vw_ictx(struct vworld *v)
{
	struct iommu_attach_handle *handle = iommu_attach_handle_get(v->w.dev[1], IOMMU_NO_PASID);
	struct iommufd_device *idev = handle->priv;

	return idev->obj.ictx;
}

static struct iommufd_veventq *vw_veventq(struct vworld *v, uint32_t id)
{
	struct iommufd_object *obj = iommufd_get_object(vw_ictx(v), id, IOMMUFD_OBJ_VEVENTQ);

	assert_non_null(obj);
	iommufd_put_object(obj); /* the table keeps it */
	return container_of(obj, struct iommufd_veventq, obj);
}

/*
 * Device 0 attached to a nesting-parent HWPT with a vIOMMU on it and a
 * vEVENTQ of depth 2; device 1 attached to an ordinary fault-capable HWPT.
 */
static int setup(void **state)
{
	struct vworld *v = calloc(1, sizeof(*v));
	struct world *w = &v->w;

	world_init(w, 2);
	assert_int_equal(0, world_open_iommufd(w));
	w->vfio_fd[0] = px_open(w->p, "/dev/vfio/devices/vfio0", PX_O_RDWR);
	assert_true(w->vfio_fd[0] >= 0);
	assert_int_equal(0, t_bind(w, w->vfio_fd[0], &w->dev_id[0]));
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_ALLOC_NEST_PARENT, w->dev_id[0], w->ioas_id,
					 0, &w->hwpt_id[0]));
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], w->hwpt_id[0]));
	assert_int_equal(0, world_attach_dev(w, 1, true));
	assert_int_equal(0, t_viommu_alloc(w, IOMMU_VIOMMU_TYPE_RISCV_IOMMU, w->dev_id[0],
					   w->hwpt_id[0], &v->viommu_id));
	assert_int_equal(0, t_veventq_alloc(w, v->viommu_id, VTYPE, DEPTH, &v->veventq_id,
					    &v->veventq_fd));
	*state = v;
	return 0;
}

static void test_alloc(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	unsigned char buf[2 * ESZ];

	assert_true(v->viommu_id != 0);
	assert_true(v->veventq_id != 0);
	assert_true(v->veventq_fd >= PX_FD_FIRST);
	assert_int_equal(DEPTH, vw_veventq(v, v->veventq_id)->depth);
	/* Empty: nothing to poll for, and never POLLOUT; read 0 at once (count 0 too). */
	assert_int_equal(0, t_poll(w, v->veventq_fd, PX_POLLIN | PX_POLLOUT | PX_POLLRDNORM));
	assert_int_equal(0, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(0, px_read(w->p, v->veventq_fd, buf, 0));
	assert_int_equal(0, px_read(w->p, v->veventq_fd, buf, 1));
}

static void test_viommu_alloc_errors(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	struct iommu_viommu_alloc cmd;
	unsigned char big[sizeof(cmd) + 8];
	uint32_t id, next;

	/* Argument checks first, in Linux's order. */
	cmd = (struct iommu_viommu_alloc){ .size = sizeof(cmd), .flags = 1,
		.type = IOMMU_VIOMMU_TYPE_RISCV_IOMMU, .dev_id = w->dev_id[0],
		.hwpt_id = w->hwpt_id[0] };
	assert_int_equal(-EOPNOTSUPP, t_viommu_alloc_cmd(w, &cmd));
	assert_int_equal(-EOPNOTSUPP, t_viommu_alloc(w, IOMMU_VIOMMU_TYPE_DEFAULT, w->dev_id[0],
						     w->hwpt_id[0], NULL));
	assert_int_equal(-ENOENT, t_viommu_alloc(w, IOMMU_VIOMMU_TYPE_RISCV_IOMMU, 99,
						 w->hwpt_id[0], NULL));
	assert_int_equal(-ENOENT, t_viommu_alloc(w, IOMMU_VIOMMU_TYPE_RISCV_IOMMU, w->ioas_id,
						 w->hwpt_id[0], NULL));
	/* A type this IOMMU does not back, unknown or another vendor's. */
	assert_int_equal(-EOPNOTSUPP, t_viommu_alloc(w, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, w->dev_id[0],
						     w->hwpt_id[0], NULL));
	assert_int_equal(-EOPNOTSUPP, t_viommu_alloc(w, 77, w->dev_id[0], w->hwpt_id[0], NULL));
	/* hwpt_id: unknown or not a paging HWPT -> ENOENT; not a nesting parent -> EINVAL. */
	assert_int_equal(-ENOENT, t_viommu_alloc(w, IOMMU_VIOMMU_TYPE_RISCV_IOMMU, w->dev_id[0],
						 99, NULL));
	assert_int_equal(-ENOENT, t_viommu_alloc(w, IOMMU_VIOMMU_TYPE_RISCV_IOMMU, w->dev_id[0],
						 w->ioas_id, NULL));
	assert_int_equal(-ENOENT, t_viommu_alloc(w, IOMMU_VIOMMU_TYPE_RISCV_IOMMU, w->dev_id[0],
						 v->viommu_id, NULL));
	assert_int_equal(-EINVAL, t_viommu_alloc(w, IOMMU_VIOMMU_TYPE_RISCV_IOMMU, w->dev_id[0],
						 w->hwpt_id[1], NULL));
	/* size: below the end of out_viommu_id -> EINVAL; a non-zero tail -> E2BIG. */
	cmd.flags = 0;
	cmd.size = offsetof(struct iommu_viommu_alloc, out_viommu_id) + 3;
	assert_int_equal(-EINVAL, t_viommu_alloc_cmd(w, &cmd));
	memset(big, 0, sizeof(big));
	cmd.size = sizeof(big);
	memcpy(big, &cmd, sizeof(cmd));
	big[sizeof(cmd) + 3] = 1;
	assert_int_equal(-E2BIG, px_ioctl(w->p, w->iommufd, IOMMU_VIOMMU_ALLOC, big));

	/* Nothing was created: the next object takes the next id. */
	assert_int_equal(0, t_ioas_alloc(w, &next));
	assert_int_equal(v->veventq_id + 1, next);

	/* The minimum size (24) works; __reserved and data_len are not checked. */
	cmd = (struct iommu_viommu_alloc){ .size = 24, .type = IOMMU_VIOMMU_TYPE_RISCV_IOMMU,
		.dev_id = w->dev_id[0], .hwpt_id = w->hwpt_id[0], .__reserved = 5 };
	assert_int_equal(0, t_viommu_alloc_cmd(w, &cmd));
	assert_int_equal(next + 1, cmd.out_viommu_id);
	cmd.size = sizeof(cmd);
	cmd.data_len = 8;
	cmd.data_uptr = 0;
	assert_int_equal(0, t_viommu_alloc_cmd(w, &cmd));
	id = cmd.out_viommu_id;
	assert_int_equal(next + 2, id);

	/* The parent HWPT is held: destroying it is EBUSY until its vIOMMUs go. */
	assert_int_equal(0, t_detach(w, w->vfio_fd[0]));
	assert_int_equal(-EBUSY, t_destroy(w, w->hwpt_id[0]));
	assert_int_equal(0, t_destroy(w, id));
	assert_int_equal(0, t_destroy(w, next + 1));
	assert_int_equal(-ENOENT, t_destroy(w, id));
	assert_int_equal(-EBUSY, t_destroy(w, w->hwpt_id[0])); /* setup's vIOMMU */
}

static void test_veventq_alloc_errors(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	struct iommu_veventq_alloc cmd;
	unsigned char big[sizeof(cmd) + 4];
	uint32_t id, next;
	int fd = -1, fd2 = -1;

	cmd = (struct iommu_veventq_alloc){ .size = sizeof(cmd), .viommu_id = v->viommu_id,
		.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, .veventq_depth = 4, .flags = 1 };
	assert_int_equal(-EOPNOTSUPP, px_ioctl(w->p, w->iommufd, IOMMU_VEVENTQ_ALLOC, &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	assert_int_equal(-EOPNOTSUPP, px_ioctl(w->p, w->iommufd, IOMMU_VEVENTQ_ALLOC, &cmd));
	cmd.__reserved = 0;
	assert_int_equal(-EOPNOTSUPP, t_veventq_alloc(w, v->viommu_id, IOMMU_VEVENTQ_TYPE_DEFAULT,
						      4, NULL, NULL));
	assert_int_equal(-EINVAL, t_veventq_alloc(w, v->viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
						  0, NULL, NULL));
	/* The flags/type checks come before the depth check. */
	assert_int_equal(-EOPNOTSUPP, t_veventq_alloc(w, v->viommu_id, IOMMU_VEVENTQ_TYPE_DEFAULT,
						      0, NULL, NULL));
	assert_int_equal(-ENOENT, t_veventq_alloc(w, 99, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4, NULL,
						  NULL));
	assert_int_equal(-ENOENT, t_veventq_alloc(w, w->hwpt_id[0], IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
						  4, NULL, NULL));
	assert_int_equal(-ENOENT, t_veventq_alloc(w, v->veventq_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
						  4, NULL, NULL));
	/* One vEVENTQ per type per vIOMMU. */
	assert_int_equal(-EEXIST, t_veventq_alloc(w, v->viommu_id, VTYPE, 4, NULL, NULL));
	/* size below the end of out_veventq_fd (28) -> EINVAL; a non-zero tail -> E2BIG. */
	cmd.size = 27;
	assert_int_equal(-EINVAL, px_ioctl(w->p, w->iommufd, IOMMU_VEVENTQ_ALLOC, &cmd));
	memset(big, 0, sizeof(big));
	cmd.size = sizeof(big);
	memcpy(big, &cmd, sizeof(cmd));
	big[sizeof(cmd)] = 1;
	assert_int_equal(-E2BIG, px_ioctl(w->p, w->iommufd, IOMMU_VEVENTQ_ALLOC, big));

	/* Nothing was created: no object id and no fd were used up. */
	assert_int_equal(0, t_ioas_alloc(w, &next));
	assert_int_equal(v->veventq_id + 1, next);
	assert_int_equal(0, t_veventq_alloc(w, v->viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4,
					    &id, &fd));
	assert_int_equal(next + 1, id);
	assert_int_equal(v->veventq_fd + 1, fd);
	/* Any non-DEFAULT type is accepted (Linux); each type once. */
	assert_int_equal(0, t_veventq_alloc(w, v->viommu_id, 77, UINT32_MAX, NULL, &fd2));
	assert_int_equal(-EEXIST, t_veventq_alloc(w, v->viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
						  1, NULL, NULL));
	/* The RISC-V record goes to the RISC-V queue only. */
	assert_int_equal(0, report(v, 0, 1, 0x1000));
	assert_int_equal(0, t_poll(w, fd, PX_POLLIN));
	assert_int_equal(PX_POLLIN, t_poll(w, v->veventq_fd, PX_POLLIN));
	assert_int_equal(0, px_close(w->p, fd));
	assert_int_equal(0, px_close(w->p, fd2));
}

static void test_read_events(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	unsigned char buf[3 * ESZ];
	struct rec r;

	assert_int_equal(0, report(v, 0, 258, 0xdead000));
	assert_int_equal(0, report(v, 0, 259, 0xbeef000));
	assert_int_equal(PX_POLLIN | PX_POLLRDNORM,
			 t_poll(w, v->veventq_fd, PX_POLLIN | PX_POLLOUT | PX_POLLRDNORM));
	assert_int_equal(2 * ESZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	/* header0 data0 header1 data1, no padding, sequence from 0. */
	r = rec_at(buf, 0);
	assert_int_equal(0, r.h.flags);
	assert_int_equal(0, r.h.sequence);
	assert_int_equal(258, IOMMU_VEVENT_RISCV_HDR_CAUSE(r.e.hdr));
	assert_int_equal(2, IOMMU_VEVENT_RISCV_HDR_TTYP(r.e.hdr));
	assert_int_equal(W_RID(0), IOMMU_VEVENT_RISCV_HDR_DID(r.e.hdr));
	assert_int_equal(0xdead000, r.e.iotval);
	assert_int_equal(~0xdead000ull, r.e.iotval2);
	assert_int_equal(0, r.e.__reserved);
	r = rec_at(buf, ESZ);
	assert_int_equal(0, r.h.flags);
	assert_int_equal(1, r.h.sequence);
	assert_int_equal(259, IOMMU_VEVENT_RISCV_HDR_CAUSE(r.e.hdr));
	assert_int_equal(0xbeef000, r.e.iotval);
	/* Empty again. */
	assert_int_equal(0, t_poll(w, v->veventq_fd, PX_POLLIN));
	assert_int_equal(0, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(0, vw_veventq(v, v->veventq_id)->num_events);
	assert_int_equal(2, fake_hal_stat(w->h, "sw.iommufd.vevents_queued"));
	assert_int_equal(2, fake_hal_stat(w->h, "sw.dev.0008.iommufd.vevents_queued"));
	assert_int_equal(2, fake_hal_stat(w->h, "sw.iommufd.vevents_read"));
	assert_int_equal(0, fake_hal_stat(w->h, "sw.iommufd.vevents_lost"));
	assert_int_equal(2, fake_hal_charges(w->h, HAL_COST_FD_READ_MSG));
}

static void test_read_stops_at_event_boundaries(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	unsigned char buf[3 * ESZ];

	assert_int_equal(0, report(v, 0, 1, 0x1000));
	assert_int_equal(0, report(v, 0, 2, 0x2000));
	/* Nothing fits (count 0 included): -EINVAL, nothing consumed. */
	assert_int_equal(-EINVAL, px_read(w->p, v->veventq_fd, buf, 0));
	assert_int_equal(-EINVAL, px_read(w->p, v->veventq_fd, buf, HSZ));
	assert_int_equal(-EINVAL, px_read(w->p, v->veventq_fd, buf, ESZ - 1));
	assert_int_equal(-EINVAL, px_read(w->p, v->veventq_fd, NULL, 0));
	assert_int_equal(0, fake_hal_stat(w->h, "sw.iommufd.vevents_read"));
	assert_int_equal(2, vw_veventq(v, v->veventq_id)->num_events);
	/* One and a half events' room: the first only. */
	assert_int_equal(ESZ, px_read(w->p, v->veventq_fd, buf, ESZ + HSZ + 1));
	assert_int_equal(0, rec_at(buf, 0).h.sequence);
	assert_int_equal(1, IOMMU_VEVENT_RISCV_HDR_CAUSE(rec_at(buf, 0).e.hdr));
	/* Positioned I/O: the fd is a stream. */
	assert_int_equal(-ESPIPE, px_pread(w->p, v->veventq_fd, buf, sizeof(buf), 0));
	assert_int_equal(-ESPIPE, px_pread(w->p, v->veventq_fd, buf, sizeof(buf), ESZ));
	assert_int_equal(ESZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(1, rec_at(buf, 0).h.sequence);
	assert_int_equal(2, IOMMU_VEVENT_RISCV_HDR_CAUSE(rec_at(buf, 0).e.hdr));
	assert_int_equal(0, vw_veventq(v, v->veventq_id)->num_events);
}

static void test_write_and_pwrite(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	unsigned char buf[ESZ];

	memset(buf, 0, sizeof(buf));
	assert_int_equal(0, report(v, 0, 1, 0x1000));
	/* No write op: -EINVAL whatever the count; pwrite on a stream: -ESPIPE. */
	assert_int_equal(-EINVAL, px_write(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(-EINVAL, px_write(w->p, v->veventq_fd, buf, HSZ));
	assert_int_equal(-EINVAL, px_write(w->p, v->veventq_fd, buf, 0));
	assert_int_equal(-ESPIPE, px_pwrite(w->p, v->veventq_fd, buf, sizeof(buf), 0));
	/* Nothing changed: the event is still there, still POLLIN, never POLLOUT. */
	assert_int_equal(PX_POLLIN, t_poll(w, v->veventq_fd, PX_POLLIN | PX_POLLOUT));
	assert_int_equal(ESZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(0, rec_at(buf, 0).h.sequence);
}

/*
 * Overflow as upstream: at depth, an event is dropped, takes a sequence
 * number, and leaves the LOST_EVENTS header (no payload) at the tail.
 */
static void test_overflow_lost_events(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	unsigned char buf[4 * ESZ];
	struct iommufd_vevent_header h;

	assert_int_equal(0, report(v, 0, 1, 0x1000));  /* seq 0 */
	assert_int_equal(0, report(v, 0, 2, 0x2000));  /* seq 1 */
	assert_int_equal(0, report(v, 0, 3, 0x3000));  /* lost, seq 2 */
	assert_int_equal(0, report(v, 0, 4, 0x4000));  /* lost, seq 3: the header moves on */
	assert_int_equal(2, fake_hal_stat(w->h, "sw.iommufd.vevents_lost"));
	assert_int_equal(2, fake_hal_stat(w->h, "sw.dev.0008.iommufd.vevents_lost"));
	assert_int_equal(2, vw_veventq(v, v->veventq_id)->num_events);
	assert_int_equal(2 * ESZ + HSZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(0, rec_at(buf, 0).h.sequence);
	assert_int_equal(1, rec_at(buf, ESZ).h.sequence);
	h = hdr_at(buf, 2 * ESZ);
	assert_int_equal(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, h.flags);
	assert_int_equal(3, h.sequence);
	assert_int_equal(0, t_poll(w, v->veventq_fd, PX_POLLIN));
	/* The sequence continues after the loss. */
	assert_int_equal(0, report(v, 0, 5, 0x5000));
	assert_int_equal(ESZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(0, rec_at(buf, 0).h.flags);
	assert_int_equal(4, rec_at(buf, 0).h.sequence);
	assert_int_equal(5, IOMMU_VEVENT_RISCV_HDR_CAUSE(rec_at(buf, 0).e.hdr));
	assert_int_equal(3, fake_hal_stat(w->h, "sw.iommufd.vevents_read"));
}

/* The LOST_EVENTS header is removed when a real event is queued after it. */
static void test_lost_header_only_at_tail(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	unsigned char buf[4 * ESZ];

	assert_int_equal(0, report(v, 0, 1, 0x1000));  /* seq 0 */
	assert_int_equal(0, report(v, 0, 2, 0x2000));  /* seq 1 */
	assert_int_equal(0, report(v, 0, 3, 0x3000));  /* lost, seq 2 */
	assert_int_equal(ESZ, px_read(w->p, v->veventq_fd, buf, ESZ)); /* frees a slot */
	assert_int_equal(0, report(v, 0, 4, 0x4000));  /* seq 3, replaces the LOST header */
	assert_int_equal(2 * ESZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(1, rec_at(buf, 0).h.sequence);
	assert_int_equal(0, rec_at(buf, ESZ).h.flags);
	assert_int_equal(3, rec_at(buf, ESZ).h.sequence); /* gap 1 -> 3: one lost */
	assert_int_equal(4, IOMMU_VEVENT_RISCV_HDR_CAUSE(rec_at(buf, ESZ).e.hdr));
}

/* A LOST_EVENTS header alone needs 8 bytes; with less, -EINVAL. */
static void test_lost_header_read_alone(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	unsigned char buf[3 * ESZ];
	struct iommufd_vevent_header h;

	assert_int_equal(0, report(v, 0, 1, 0x1000));
	assert_int_equal(0, report(v, 0, 2, 0x2000));
	assert_int_equal(0, report(v, 0, 3, 0x3000));
	assert_int_equal(2 * ESZ, px_read(w->p, v->veventq_fd, buf, 2 * ESZ));
	assert_int_equal(PX_POLLIN | PX_POLLRDNORM,
			 t_poll(w, v->veventq_fd, PX_POLLIN | PX_POLLOUT | PX_POLLRDNORM));
	assert_int_equal(-EINVAL, px_read(w->p, v->veventq_fd, buf, HSZ - 1));
	assert_int_equal(-EINVAL, px_read(w->p, v->veventq_fd, buf, 0));
	assert_int_equal(HSZ, px_read(w->p, v->veventq_fd, buf, HSZ));
	h = hdr_at(buf, 0);
	assert_int_equal(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, h.flags);
	assert_int_equal(2, h.sequence);
	assert_int_equal(0, t_poll(w, v->veventq_fd, PX_POLLIN));
	assert_int_equal(0, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	/* The header is reused for the next loss. */
	assert_int_equal(0, report(v, 0, 4, 0x4000));  /* seq 3 */
	assert_int_equal(0, report(v, 0, 5, 0x5000));  /* seq 4 */
	assert_int_equal(0, report(v, 0, 6, 0x6000));  /* lost, seq 5 */
	assert_int_equal(2 * ESZ + HSZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(5, hdr_at(buf, 2 * ESZ).sequence);
}

static void test_sequence_wraps(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	unsigned char buf[2 * ESZ + HSZ];

	vw_veventq(v, v->veventq_id)->sequence = INT_MAX;
	assert_int_equal(0, report(v, 0, 1, 0x1000));  /* INT_MAX */
	assert_int_equal(0, report(v, 0, 2, 0x2000));  /* 0 */
	assert_int_equal(0, report(v, 0, 3, 0x3000));  /* lost, 1 */
	assert_int_equal(2 * ESZ + HSZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(INT_MAX, rec_at(buf, 0).h.sequence);
	assert_int_equal(0, rec_at(buf, ESZ).h.sequence);
	assert_int_equal(1, hdr_at(buf, 2 * ESZ).sequence);
}

/* A failed copy leaves the event queued and counts none of its bytes. */
static void test_read_efault(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	unsigned char buf[3 * ESZ];

	assert_int_equal(0, report(v, 0, 1, 0x1000));
	assert_int_equal(0, report(v, 0, 2, 0x2000));
	fake_hal_fail_filter(w->h, "uaccess.copy_to_user");
	/* Copies: #1 header 0, #2 payload 0, #3 header 1, #4 payload 1. */
	fake_hal_fail_nth(w->h, 4);
	assert_int_equal(ESZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_true(fake_hal_failed(w->h));
	fake_hal_fail_nth(w->h, 2);
	assert_int_equal(-EFAULT, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	fake_hal_fail_nth(w->h, 1);
	assert_int_equal(-EFAULT, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	fake_hal_fail_nth(w->h, 0);
	assert_int_equal(-EFAULT, px_read(w->p, v->veventq_fd, NULL, ESZ));
	assert_int_equal(1, vw_veventq(v, v->veventq_id)->num_events);
	assert_int_equal(ESZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(1, rec_at(buf, 0).h.sequence);
	assert_int_equal(2, IOMMU_VEVENT_RISCV_HDR_CAUSE(rec_at(buf, 0).e.hdr));
}

/* No memory for an event: it is lost (LOST_EVENTS header), -ENOMEM. */
static void test_report_nomem(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	unsigned char buf[2 * ESZ];

	fake_hal_fail_filter(w->h, "iommufd.vevent_alloc");
	fake_hal_fail_nth(w->h, 1);
	assert_int_equal(-ENOMEM, report(v, 0, 1, 0x1000)); /* lost, seq 0 */
	fake_hal_fail_nth(w->h, 0);
	assert_int_equal(1, fake_hal_stat(w->h, "sw.iommufd.vevents_lost"));
	assert_int_equal(0, vw_veventq(v, v->veventq_id)->num_events);
	assert_int_equal(HSZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, hdr_at(buf, 0).flags);
	assert_int_equal(0, hdr_at(buf, 0).sequence);
	assert_int_equal(0, report(v, 0, 2, 0x2000));
	assert_int_equal(ESZ, px_read(w->p, v->veventq_fd, buf, sizeof(buf)));
	assert_int_equal(1, rec_at(buf, 0).h.sequence);
}

/* Allocation failures while creating a vEVENTQ: -ENOMEM, nothing created. */
static void test_alloc_nomem(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	uint32_t next;

	fake_hal_fail_filter(w->h, "iommufd.vevent_alloc");
	fake_hal_fail_nth(w->h, 1);
	assert_int_equal(-ENOMEM, t_veventq_alloc(w, v->viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
						  1, NULL, NULL));
	fake_hal_fail_filter(w->h, "iommufd.object_alloc");
	fake_hal_fail_nth(w->h, 1);
	assert_int_equal(-ENOMEM, t_viommu_alloc(w, IOMMU_VIOMMU_TYPE_RISCV_IOMMU, w->dev_id[0],
						 w->hwpt_id[0], NULL));
	fake_hal_fail_nth(w->h, 0);
	assert_int_equal(0, t_ioas_alloc(w, &next));
	assert_int_equal(v->veventq_id + 1, next);
	/* The vIOMMU has no stray vEVENTQ of that type, the HWPT no stray vIOMMU. */
	assert_int_equal(0, t_veventq_alloc(w, v->viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 1,
					    NULL, NULL));
	assert_int_equal(-EBUSY, t_destroy(w, v->viommu_id));
}

/* Events reach the vIOMMUs of the HWPT the device is attached to, nothing else. */
static void test_report_routing(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;
	struct iommu_vevent_riscv_iommu e = { 0 };

	/* Device 1's HWPT has no vIOMMU: only counted by the driver. */
	assert_int_equal(-ENODEV, report(v, 1, 1, 0x1000));
	/* No vEVENTQ of that type on the vIOMMU. */
	assert_int_equal(-EOPNOTSUPP, iommu_report_device_event(w->dev[0],
								 IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
								 &e, sizeof(e)));
	assert_int_equal(-EINVAL, iommu_report_device_event(w->dev[0], VTYPE, &e, 0));
	assert_int_equal(-EINVAL, iommu_report_device_event(w->dev[0], VTYPE, NULL, sizeof(e)));
	assert_int_equal(0, t_poll(w, v->veventq_fd, PX_POLLIN));
	/* Device 1 moved onto the nesting parent: its events arrive too. */
	assert_int_equal(0, t_attach(w, w->vfio_fd[1], w->hwpt_id[0]));
	assert_int_equal(0, report(v, 1, 7, 0x7000));
	assert_int_equal(1, fake_hal_stat(w->h, "sw.dev.0010.iommufd.vevents_queued"));
	/* Detached: nothing attached relays its events. */
	assert_int_equal(0, t_detach(w, w->vfio_fd[0]));
	assert_int_equal(-ENODEV, report(v, 0, 1, 0x1000));
	assert_int_equal(1, fake_hal_stat(w->h, "sw.iommufd.vevents_queued"));
}

/*
 * Lifecycle: the fd and the vEVENTQ hold references (EBUSY), destruction
 * with events queued frees them; after it, events find no queue.
 */
static void test_destroy_with_events_queued(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;

	assert_int_equal(0, report(v, 0, 1, 0x1000));
	assert_int_equal(0, report(v, 0, 2, 0x2000));
	assert_int_equal(0, report(v, 0, 3, 0x3000)); /* LOST header queued too */
	assert_int_equal(-EBUSY, t_destroy(w, v->veventq_id)); /* fd open */
	assert_int_equal(-EBUSY, t_destroy(w, v->viommu_id));  /* vEVENTQ holds it */
	assert_int_equal(0, px_close(w->p, v->veventq_fd));
	assert_int_equal(0, report(v, 0, 4, 0x4000)); /* the object lives until destroyed */
	assert_int_equal(0, t_destroy(w, v->veventq_id));
	assert_int_equal(-ENOENT, t_destroy(w, v->veventq_id));
	assert_int_equal(-EOPNOTSUPP, report(v, 0, 5, 0x5000));
	/* A new vEVENTQ of the same type may now be created; it starts at 0. */
	assert_int_equal(0, t_veventq_alloc(w, v->viommu_id, VTYPE, 1, &v->veventq_id,
					    &v->veventq_fd));
	assert_int_equal(0, report(v, 0, 6, 0x6000));
	assert_int_equal(1, vw_veventq(v, v->veventq_id)->sequence);
	assert_int_equal(0, px_close(w->p, v->veventq_fd));
	assert_int_equal(0, t_destroy(w, v->veventq_id));
	assert_int_equal(0, t_destroy(w, v->viommu_id));
	assert_int_equal(-ENODEV, report(v, 0, 7, 0x7000));
}

/* Closing /dev/iommu and every fd with events queued frees everything (ASan). */
static void test_close_all_with_events_queued(void **state)
{
	struct vworld *v = *state;
	struct world *w = &v->w;

	assert_int_equal(0, report(v, 0, 1, 0x1000));
	assert_int_equal(0, report(v, 0, 2, 0x2000));
	assert_int_equal(0, report(v, 0, 3, 0x3000));
	assert_int_equal(0, px_close(w->p, w->iommufd));
	assert_int_equal(0, report(v, 0, 4, 0x4000)); /* the vEVENTQ fd keeps all alive */
	assert_int_equal(PX_POLLIN, t_poll(w, v->veventq_fd, PX_POLLIN));
	/* Teardown closes the remaining fds with the events still queued. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alloc, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_viommu_alloc_errors, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_veventq_alloc_errors, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_read_events, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_read_stops_at_event_boundaries, setup,
						world_teardown),
		cmocka_unit_test_setup_teardown(test_write_and_pwrite, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_overflow_lost_events, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_lost_header_only_at_tail, setup,
						world_teardown),
		cmocka_unit_test_setup_teardown(test_lost_header_read_alone, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_sequence_wraps, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_read_efault, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_report_nomem, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_alloc_nomem, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_report_routing, setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_with_events_queued, setup,
						world_teardown),
		cmocka_unit_test_setup_teardown(test_close_all_with_events_queued, setup,
						world_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
