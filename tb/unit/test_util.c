// SPDX-License-Identifier: Apache-2.0
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prisim/hw/pxdev.h"

static uint64_t w_mmio_read(void *arg, hal_paddr_t addr, unsigned int size)
{
	struct world *w = arg;
	uint64_t i = (addr - W_BAR0(0)) / PXDEV_BAR0_SIZE;

	(void)size;
	/* BAR0 of a pxdev answers its ID and PASID registers; everything else reads 0. */
	if ((addr & 0xfffu) == PXDEV_ID)
		return PXDEV_ID_VALUE;
	if ((addr & 0xfffu) == PXDEV_PASIDS && addr >= W_BAR0(0) && i < W_MAX_DEV)
		return w->bar0_pasids[i];
	return 0;
}

static void w_mmio_write(void *arg, hal_paddr_t addr, uint64_t val, unsigned int size)
{
	struct world *w = arg;

	if (w->nr_mmio < sizeof(w->mmio) / sizeof(w->mmio[0]))
		w->mmio[w->nr_mmio++] = (struct w_mmio){ addr, val, size };
}

void world_handler_params(struct hal *h, uint64_t batch)
{
	fake_hal_set_param_u64(h, "sw.user.batch", batch);
	fake_hal_set_param_str(h, "sw.user.handler", "demand_pager");
	fake_hal_set_param_u64(h, "sw.user.kernel_devices", 0);
	fake_hal_set_param_u64(h, "sw.user.threads", 1);
	fake_hal_set_param_u64(h, "sw.user.resident_pages", 0);
	fake_hal_set_param_u64(h, "sw.user.detach_after", 0);
	fake_hal_set_param_u64(h, "sw.user.detach_device", 0);
	fake_hal_set_param_u64(h, "sw.user.vevent_depth", 0);
	fake_hal_set_param_u64(h, "sw.user.vevent_device", 0);
	fake_hal_set_param_u64(h, "device.pasids", 0);
	fake_hal_set_param_u64(h, "sw.user.nested_devices", 0);
}

void world_init(struct world *w, unsigned int ndev)
{
	unsigned int i;

	memset(w, 0, sizeof(*w));
	assert_true(ndev <= W_MAX_DEV);
	w->h = fake_hal_create();
	fake_hal_set_mmio(w->h, w_mmio_read, w_mmio_write, w);
	world_handler_params(w->h, 16);
	fake_hal_set_param_u64(w->h, "sw.user.allow_base", 0x10000000);
	fake_hal_set_param_u64(w->h, "sw.user.allow_pages", 256);
	fake_hal_set_param_u64(w->h, "sw.user.slow.factor", 10);
	fake_hal_add_iommu(w->h, 0x10000000);
	for (i = 0; i < ndev; i++) {
		fake_hal_add_pci_dev(w->h, W_RID(i), 0, W_BAR0(i), PXDEV_BAR0_SIZE);
		/* the extended capability list as pxdev's: ATS (ID 0x0F, version
		 * 1) pointing to PRI (ID 0x13), the last */
		fake_hal_cfg_set(w->h, W_RID(i), PXDEV_CFG_ATS, 4, 0x0001000F | PXDEV_CFG_PRI << 20);
		fake_hal_cfg_set(w->h, W_RID(i), PXDEV_CFG_PRI, 4, 0x00010013);
	}
	w->m = mock_iommu_create(w->h);
	assert_non_null(w->m);
	assert_int_equal(0, px_kernel_create(w->h, &w->k));
	assert_int_equal(0, px_kernel_add_iommu(w->k, 0, &w->m->iommu));
	for (i = 0; i < ndev; i++)
		assert_int_equal(0, px_kernel_add_pci_dev(w->k, hal_pci_dev(w->h, i), &w->dev[i]));
	w->nr_dev = ndev;
	assert_int_equal(0, px_proc_create(w->k, &w->p));
	w->iommufd = w->fault_fd = -1;
	for (i = 0; i < W_MAX_DEV; i++)
		w->vfio_fd[i] = -1;
}

void world_fini(struct world *w)
{
	px_proc_destroy(w->p);
	px_kernel_destroy(w->k);
	mock_iommu_destroy(w->m);
	fake_hal_destroy(w->h);
	memset(w, 0, sizeof(*w));
}

int world_teardown(void **state)
{
	struct world *w = *state;

	world_fini(w);
	free(w);
	return 0;
}

int world_open_iommufd(struct world *w)
{
	int rc;

	w->iommufd = px_open(w->p, "/dev/iommu", PX_O_RDWR);
	if (w->iommufd < 0)
		return w->iommufd;
	rc = t_ioas_alloc(w, &w->ioas_id);
	if (rc)
		return rc;
	return t_fault_alloc(w, &w->fault_id, &w->fault_fd);
}

int world_attach_dev(struct world *w, unsigned int i, bool faultable)
{
	char path[48];
	int rc;

	snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", i);
	w->vfio_fd[i] = px_open(w->p, path, PX_O_RDWR);
	if (w->vfio_fd[i] < 0)
		return w->vfio_fd[i];
	rc = t_bind(w, w->vfio_fd[i], &w->dev_id[i]);
	if (rc)
		return rc;
	rc = t_hwpt_alloc(w, faultable ? IOMMU_HWPT_FAULT_ID_VALID : 0, w->dev_id[i], w->ioas_id,
			  w->fault_id, &w->hwpt_id[i]);
	if (rc)
		return rc;
	return t_attach(w, w->vfio_fd[i], w->hwpt_id[i]);
}

int world_setup(struct world *w)
{
	unsigned int i;
	int rc;

	rc = world_open_iommufd(w);
	for (i = 0; !rc && i < w->nr_dev; i++)
		rc = world_attach_dev(w, i, true);
	return rc;
}

int world_report(struct world *w, unsigned int i, uint32_t flags, uint32_t pasid,
		 uint32_t grpid, uint32_t perm, uint64_t addr)
{
	struct iopf_fault evt = {
		.fault = {
			.type = IOMMU_FAULT_PAGE_REQ,
			.prm = {
				.flags = flags,
				.pasid = pasid,
				.grpid = grpid,
				.perm = perm,
				.addr = addr,
			},
		},
	};

	return iommu_report_device_fault(w->dev[i], &evt);
}

int t_ioas_alloc(struct world *w, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = px_ioctl(w->p, w->iommufd, IOMMU_IOAS_ALLOC, &cmd);

	if (!rc)
		*id = cmd.out_ioas_id;
	return rc;
}

int t_fault_alloc(struct world *w, uint32_t *id, int *fd)
{
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	int rc = px_ioctl(w->p, w->iommufd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	if (!rc) {
		*id = cmd.out_fault_id;
		*fd = (int)cmd.out_fault_fd;
	}
	return rc;
}

int t_hwpt_alloc(struct world *w, uint32_t flags, uint32_t dev_id, uint32_t pt_id,
		 uint32_t fault_id, uint32_t *out_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.fault_id = fault_id,
	};
	int rc = px_ioctl(w->p, w->iommufd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc && out_id)
		*out_id = cmd.out_hwpt_id;
	return rc;
}

int t_destroy(struct world *w, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return px_ioctl(w->p, w->iommufd, IOMMU_DESTROY, &cmd);
}

int t_ioas_map(struct world *w, uint32_t ioas, uint64_t iova, uint64_t user_va, uint64_t len,
	       uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.user_va = user_va,
		.length = len,
		.iova = iova,
	};

	return px_ioctl(w->p, w->iommufd, IOMMU_IOAS_MAP, &cmd);
}

int t_region_info(struct world *w, int vfio_fd, uint32_t index, struct vfio_region_info *info)
{
	*info = (struct vfio_region_info){ .argsz = sizeof(*info), .index = index };
	return px_ioctl(w->p, vfio_fd, VFIO_DEVICE_GET_REGION_INFO, info);
}

int t_bind(struct world *w, int vfio_fd, uint32_t *dev_id)
{
	struct vfio_device_bind_iommufd cmd = { .argsz = sizeof(cmd), .iommufd = w->iommufd };
	int rc = px_ioctl(w->p, vfio_fd, VFIO_DEVICE_BIND_IOMMUFD, &cmd);

	if (!rc && dev_id)
		*dev_id = cmd.out_devid;
	return rc;
}

int t_attach(struct world *w, int vfio_fd, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt cmd = { .argsz = sizeof(cmd), .pt_id = pt_id };

	return px_ioctl(w->p, vfio_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &cmd);
}

int t_detach(struct world *w, int vfio_fd)
{
	struct vfio_device_detach_iommufd_pt cmd = { .argsz = sizeof(cmd) };

	return px_ioctl(w->p, vfio_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &cmd);
}

int t_attach_pasid(struct world *w, int vfio_fd, uint32_t pasid, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt cmd = {
		.argsz = sizeof(cmd), .flags = VFIO_DEVICE_ATTACH_PASID, .pt_id = pt_id, .pasid = pasid,
	};

	return px_ioctl(w->p, vfio_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &cmd);
}

int t_detach_pasid(struct world *w, int vfio_fd, uint32_t pasid)
{
	struct vfio_device_detach_iommufd_pt cmd = {
		.argsz = sizeof(cmd), .flags = VFIO_DEVICE_DETACH_PASID, .pasid = pasid,
	};

	return px_ioctl(w->p, vfio_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &cmd);
}

ssize_t t_read_msgs(struct world *w, int fd, struct iommu_hwpt_pgfault *buf, unsigned int n)
{
	return px_read(w->p, fd, buf, n * sizeof(*buf));
}

ssize_t t_respond(struct world *w, int fd, uint32_t cookie, uint32_t code)
{
	struct iommu_hwpt_page_response r = { .cookie = cookie, .code = code };

	return px_write(w->p, fd, &r, sizeof(r));
}

short t_poll(struct world *w, int fd, short events)
{
	struct px_pollfd pfd = { .fd = fd, .events = events };

	assert_true(px_poll(w->p, &pfd, 1, 0) >= 0);
	return pfd.revents;
}
