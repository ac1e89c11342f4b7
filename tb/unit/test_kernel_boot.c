// SPDX-License-Identifier: Apache-2.0
/*
 * Description: kernel bring-up (sw/kernel): every IOMMU probed, one struct
 * device per PCI function with its RID, name, IOMMU and PRI capability read
 * from config space, probe_device called, /dev/iommu and one vfio file per
 * function; boot failures; the end-of-run pending stats; spawning the
 * demand pager as a user task.
 */
#include <string.h>

#include "test_util.h"

#include "prisim/hw/pxdev.h"

static struct hal *machine(void)
{
	struct hal *h = fake_hal_create();

	world_handler_params(h, 8);
	fake_hal_add_iommu(h, 0x10000000);
	fake_hal_add_iommu(h, 0x10001000);
	fake_hal_add_pci_dev(h, 0x0008, 0, W_BAR0(0), PXDEV_BAR0_SIZE);
	fake_hal_add_pci_dev(h, 0x0109, 0, W_BAR0(1), PXDEV_BAR0_SIZE);
	fake_hal_add_pci_dev(h, 0x0210, 1, W_BAR0(2), PXDEV_BAR0_SIZE);
	fake_hal_cfg_set(h, 0x0008, PXDEV_CFG_PRI, 4, 0x00010013);
	fake_hal_cfg_set(h, 0x0109, PXDEV_CFG_PRI, 4, 0x0001001b); /* PASID cap, not PRI */
	fake_hal_cfg_set(h, 0x0210, PXDEV_CFG_PRI, 4, 0x12310013);
	return h;
}

static void test_boot(void **state)
{
	struct hal *h = machine();
	struct px_kernel *k;
	struct px_proc *p;
	struct device *d;
	int fd;

	(void)state;
	assert_int_equal(0, px_kernel_boot_with(h, mock_iommu_probe, mock_iommu_remove, &k));
	assert_int_equal(2, k->nr_iommus);
	assert_int_equal(3, k->nr_devs);

	d = px_kernel_device(k, 0);
	assert_int_equal(0x0008, d->rid);
	assert_string_equal("0000:00:01.0", d->name);
	assert_ptr_equal(k->iommus[0], d->iommu);
	assert_true(d->pri_supported);
	assert_false(d->is_virtfn);
	assert_ptr_equal(h, d->hal);
	d = px_kernel_device(k, 1);
	assert_string_equal("0000:01:01.1", d->name);
	assert_false(d->pri_supported);
	d = px_kernel_device(k, 2);
	assert_string_equal("0000:02:02.0", d->name);
	assert_ptr_equal(k->iommus[1], d->iommu);
	assert_true(d->pri_supported);
	assert_null(px_kernel_device(k, 3));
	assert_int_equal(2, to_mock(k->iommus[0])->probe_calls);
	assert_int_equal(1, to_mock(k->iommus[1])->probe_calls);

	assert_int_equal(0, px_proc_create(k, &p));
	fd = px_open(p, "/dev/iommu", PX_O_RDWR);
	assert_int_equal(3, fd);
	assert_int_equal(4, px_open(p, "/dev/vfio/devices/vfio0", PX_O_RDWR));
	assert_int_equal(5, px_open(p, "/dev/vfio/devices/vfio2", PX_O_RDWR));
	assert_int_equal(-ENOENT, px_open(p, "/dev/vfio/devices/vfio3", PX_O_RDWR));
	assert_int_equal(0, px_close(p, 4));
	/* The lowest free fd is reused. */
	assert_int_equal(4, px_open(p, "/dev/vfio/devices/vfio1", PX_O_RDWR));
	px_proc_destroy(p);

	px_kernel_report_pending(k);
	assert_true(fake_hal_stat_exists(h, "sw.dev.0008.iopf.partials_pending"));
	assert_true(fake_hal_stat_exists(h, "sw.dev.0109.iopf.groups_pending"));
	assert_true(fake_hal_stat_exists(h, "sw.dev.0210.iopf.groups_pending"));
	assert_int_equal(0, fake_hal_stat(h, "sw.iopf.groups_pending"));

	px_kernel_destroy(k);
	assert_int_equal(0, fake_hal_objects_live(h));
	fake_hal_destroy(h);
}

static int failing_probe(struct hal *h, const struct hal_iommu_info *info,
			 struct iommu_device **out)
{
	if (info->index == 1)
		return -ENODEV;
	return mock_iommu_probe(h, info, out);
}

static int probe_then_fail_devices(struct hal *h, const struct hal_iommu_info *info,
				   struct iommu_device **out)
{
	int rc = mock_iommu_probe(h, info, out);

	if (!rc && info->index == 1)
		to_mock(*out)->probe_err = -EIO;
	return rc;
}

static void test_boot_failures(void **state)
{
	struct hal *h = machine();
	struct px_kernel *k = NULL;

	(void)state;
	/* An IOMMU probe failure fails the boot, with a message. */
	assert_int_equal(-ENODEV, px_kernel_boot_with(h, failing_probe, mock_iommu_remove, &k));
	assert_null(k);
	assert_int_equal(1, fake_hal_log_count(h, HAL_LOG_ERROR));
	/* A device probe failure too. */
	assert_int_equal(-EIO, px_kernel_boot_with(h, probe_then_fail_devices, mock_iommu_remove,
						   &k));
	assert_null(k);
	assert_int_equal(3, fake_hal_log_count(h, HAL_LOG_ERROR));
	fake_hal_destroy(h);
}

static void test_device_without_iommu(void **state)
{
	struct hal *h = fake_hal_create();
	struct px_kernel *k;
	struct px_proc *p;
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	int vfd;

	(void)state;
	fake_hal_add_pci_dev(h, 0x0008, 5, W_BAR0(0), PXDEV_BAR0_SIZE);
	assert_int_equal(0, px_kernel_boot_with(h, mock_iommu_probe, mock_iommu_remove, &k));
	assert_null(px_kernel_device(k, 0)->iommu);
	assert_int_equal(1, fake_hal_log_count(h, HAL_LOG_WARN));
	assert_int_equal(0, px_proc_create(k, &p));
	bind.iommufd = px_open(p, "/dev/iommu", PX_O_RDWR);
	vfd = px_open(p, "/dev/vfio/devices/vfio0", PX_O_RDWR);
	assert_int_equal(-ENODEV, px_ioctl(p, vfd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	px_proc_destroy(p);
	px_kernel_destroy(k);
	fake_hal_destroy(h);
}

/* Device BAR writes: which devices were told PXDEV_CTRL_START. */
static unsigned int started[3];

static uint64_t bar_read(void *arg, hal_paddr_t addr, unsigned int size)
{
	(void)arg;
	(void)addr;
	(void)size;
	return 0;
}

static void bar_write(void *arg, hal_paddr_t addr, uint64_t val, unsigned int size)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < 3; i++)
		if (addr == W_BAR0(i) + PXDEV_CTRL && size == 4 && (val & PXDEV_CTRL_START))
			started[i]++;
}

/* The wait hook: while the pager blocks in poll(), the machine shuts down. */
static void kill_all(void *arg)
{
	px_kernel_kill_all(arg);
}

/*
 * The spawned task runs the demand pager's whole life: it creates its
 * process, binds every PRI-capable device, starts the devices, serves until
 * the fatal signal interrupts its poll(), exits through its releases and
 * drops its count on the kernel.
 */
static void test_spawn_demand_pager(void **state)
{
	struct hal *h = machine();
	struct px_kernel *k;

	(void)state;
	assert_int_equal(0, px_kernel_boot_with(h, mock_iommu_probe, mock_iommu_remove, &k));
	memset(started, 0, sizeof(started));
	fake_hal_set_mmio(h, bar_read, bar_write, NULL);
	fake_hal_set_task_mode(h, FAKE_TASK_SYNC);
	fake_hal_set_wait_hook(h, kill_all, k);
	assert_int_equal(0, px_user_spawn_demand_pager(k));
	assert_int_equal(1, fake_hal_task_count(h));
	/* It ran to its end, without an error. */
	assert_int_equal(0, fake_hal_log_count(h, HAL_LOG_ERROR));
	assert_string_equal("demand_pager: killed, exiting\n", fake_hal_last_log(h, HAL_LOG_INFO));
	assert_int_equal(0, k->user_tasks);
	assert_true(list_empty(&k->procs));
	/* It bound and started every device once. */
	assert_int_equal(1, started[0]);
	assert_int_equal(1, started[1]);
	assert_int_equal(1, started[2]);
	/* Its exit released everything it held. */
	px_kernel_destroy(k);
	assert_int_equal(0, fake_hal_objects_live(h));
	fake_hal_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot),
		cmocka_unit_test(test_boot_failures),
		cmocka_unit_test(test_device_without_iommu),
		cmocka_unit_test(test_spawn_demand_pager),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
