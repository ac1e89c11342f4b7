// SPDX-License-Identifier: Apache-2.0
/*
 * Description: the decisions of each handler a scenario can choose
 * ("sw.user.handler"): demand_pager maps and answers SUCCESS, one service
 * time per fault; deny_outside answers INVALID a group with a fault outside
 * its range and maps nothing for it; slow charges sw.user.slow.factor
 * service times per fault; kernel (sw/iommu/iommu-sva.c) resolves groups in
 * a kernel worker without the fault fd: SUCCESS with the page mapped,
 * INVALID outside the address space, for an execute request or with a
 * PASID, errors sticky within a group, FAILURE when no worker can be
 * queued, and a clean unbind; host (sw/iommufd/stage2.c), the nesting
 * parent's handler of a nested device's second-stage faults: the
 * guest-physical page backed in the parent's IOAS (mapped into the parent),
 * SUCCESS, nothing for a page already there, INVALID for a write to a
 * read-only one, the pages freed with the IOAS. Each handler's counters
 * name it.
 */
#include "test_util.h"

#include "user/pager.h"

struct fix {
	struct world w;
	struct px_pager *pg;
};

static struct fix *fix_new(const char *handler)
{
	struct fix *f = calloc(1, sizeof(*f));

	world_init(&f->w, 2);
	fake_hal_set_param_str(f->w.h, "sw.user.handler", handler);
	fake_hal_set_param_u64(f->w.h, "sw.user.allow_base", 0x100000);
	fake_hal_set_param_u64(f->w.h, "sw.user.allow_pages", 4);
	fake_hal_set_param_u64(f->w.h, "sw.user.slow.factor", 3);
	assert_int_equal(0, px_pager_create(f->w.k, &f->pg));
	assert_int_equal(0, px_pager_setup(f->pg));
	return f;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	if (f->pg)
		px_pager_destroy(f->pg);
	assert_int_equal(0, f->w.m->domains_live);
	assert_int_equal(0, fake_hal_dma_live(f->w.h));
	world_fini(&f->w);
	free(f);
	return 0;
}

static struct mock_domain *dom(struct fix *f, unsigned int i)
{
	return to_mock_domain(f->w.dev[i]->domain);
}

static void test_demand_pager(void **state)
{
	struct fix *f = fix_new("demand_pager");
	uint64_t svc;

	*state = f;
	svc = fake_hal_charges(f->w.h, HAL_COST_HANDLER_SERVICE);
	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 1, P_W, 0x100000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_W, 0x900000));
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_non_null(mock_find_map(dom(f, 0), 0x900000));
	assert_int_equal(svc + 2, fake_hal_charges(f->w.h, HAL_COST_HANDLER_SERVICE));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.handler.demand_pager.groups"));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.handler.demand_pager.faults_success"));
	assert_false(fake_hal_stat_exists(f->w.h, "sw.handler.demand_pager.faults_invalid"));
}

/* Range [0x100000, 0x104000): inside SUCCESS, outside or straddling INVALID. */
static void test_deny_outside(void **state)
{
	struct fix *f = fix_new("deny_outside");
	uint64_t svc;

	*state = f;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x103fff));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 2, P_R, 0x104000));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 3, P_R, 0xff000));
	assert_int_equal(0, world_report(&f->w, 1, 0, 0, 4, P_R, 0x100000));
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 4, P_R, 0x200000));
	svc = fake_hal_charges(f->w.h, HAL_COST_HANDLER_SERVICE);
	assert_int_equal(4, px_pager_serve_once(f->pg, 0));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 3, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 4, IOMMU_PAGE_RESP_INVALID));
	assert_non_null(mock_find_map(dom(f, 0), 0x103000));
	assert_null(mock_find_map(dom(f, 0), 0x104000));
	/* a denied group maps nothing, not even its inside page */
	assert_null(mock_find_map(dom(f, 1), 0x100000));
	assert_int_equal(svc + 1, fake_hal_charges(f->w.h, HAL_COST_HANDLER_SERVICE));
	assert_int_equal(4, fake_hal_stat(f->w.h, "sw.handler.deny_outside.groups"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.handler.deny_outside.faults_success"));
	assert_int_equal(4, fake_hal_stat(f->w.h, "sw.handler.deny_outside.faults_invalid"));
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.user.faults_denied"));
}

static void test_slow(void **state)
{
	struct fix *f = fix_new("slow");
	uint64_t svc;

	*state = f;
	svc = fake_hal_charges(f->w.h, HAL_COST_HANDLER_SERVICE);
	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 1, P_W, 0x1000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_W, 0x2000));
	assert_int_equal(1, px_pager_serve_once(f->pg, 0));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(svc + 2 * 3, fake_hal_charges(f->w.h, HAL_COST_HANDLER_SERVICE));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.handler.slow.faults_success"));
}

/* "kernel_devices" = 1: the userspace handler leaves vfio0 alone. */
static void test_userspace_skips_kernel_devices(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	*state = f;
	world_init(&f->w, 2);
	fake_hal_set_param_u64(f->w.h, "sw.user.kernel_devices", 1);
	assert_int_equal(0, px_pager_create(f->w.k, &f->pg));
	assert_int_equal(0, px_pager_setup(f->pg));
	assert_int_equal(1, f->pg->nr_devs);
	assert_int_equal(1, f->pg->devs[0].index);
	assert_null(f->w.dev[0]->domain);
}

/* ---- the kernel-resident handler ------------------------------------------------ */

struct kfix {
	struct world w;
	struct iommu_sva *sva;
};

static int ksetup(void **state)
{
	struct kfix *f = calloc(1, sizeof(*f));

	world_init(&f->w, 1);
	fake_hal_set_task_mode(f->w.h, FAKE_TASK_SYNC);
	assert_int_equal(0, iommu_sva_bind_device(f->w.dev[0], 0x100000, 0x200000, &f->sva));
	assert_true(f->w.dev[0]->domain == f->sva->domain);
	*state = f;
	return 0;
}

static int kteardown(void **state)
{
	struct kfix *f = *state;

	iommu_sva_unbind_device(f->sva);
	assert_null(f->w.dev[0]->domain);
	assert_null(f->w.dev[0]->fault_param);
	assert_int_equal(0, f->w.m->domains_live);
	assert_int_equal(0, fake_hal_dma_live(f->w.h));
	world_fini(&f->w);
	free(f);
	return 0;
}

static void test_kernel_resolves(void **state)
{
	struct kfix *f = *state;
	struct mock_domain *d = to_mock_domain(f->sva->domain);
	uint64_t svc = fake_hal_charges(f->w.h, HAL_COST_HANDLER_SERVICE);
	uint64_t sys = fake_hal_charges(f->w.h, HAL_COST_SYSCALL);

	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 5, P_W, 0x100010));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 5, P_R, 0x101000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 5, IOMMU_PAGE_RESP_SUCCESS));
	assert_non_null(mock_find_map(d, 0x100000));
	assert_non_null(mock_find_map(d, 0x101000));
	/* Present already: SUCCESS without a second page. */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 6, P_W, 0x101800));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 6, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.handler.kernel.pages_mapped"));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.handler.kernel.groups"));
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.handler.kernel.faults_success"));
	assert_int_equal(svc + 3, fake_hal_charges(f->w.h, HAL_COST_HANDLER_SERVICE));
	assert_int_equal(sys, fake_hal_charges(f->w.h, HAL_COST_SYSCALL)); /* no userspace */
	assert_int_equal(0, f->sva->works);
}

static void test_kernel_invalid(void **state)
{
	struct kfix *f = *state;
	struct mock_domain *d = to_mock_domain(f->sva->domain);

	/* outside the address space */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x200000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	/* execute is not allowed; neither is a request with no access */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 2, P_R | IOMMU_FAULT_PERM_EXEC,
					 0x100000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	/* a PASID: nothing is bound there, io-pgfault answers at once */
	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_LAST | F_PASID, 3, 3, P_R, 0x100000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 3, IOMMU_PAGE_RESP_INVALID));
	/* sticky: the first fault fails, the second is not handled */
	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 4, P_R, 0x300000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 4, P_R, 0x104000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 4, IOMMU_PAGE_RESP_INVALID));
	assert_null(mock_find_map(d, 0x104000));
	assert_int_equal(4, fake_hal_stat(f->w.h, "sw.handler.kernel.faults_invalid"));
	assert_int_equal(0, fake_hal_stat(f->w.h, "sw.handler.kernel.pages_mapped"));
}

/* No worker can be queued: io-pgfault's abort path answers FAILURE. */
static void test_kernel_no_worker(void **state)
{
	struct kfix *f = *state;

	fake_hal_set_task_mode(f->w.h, FAKE_TASK_NEVER);
	while (fake_hal_task_count(f->w.h) < 64 && hal_task_create(f->w.h, HAL_TASK_KERNEL, "x",
								     NULL, NULL))
		;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 9, P_R, 0x100000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 9, IOMMU_PAGE_RESP_FAILURE));
	assert_int_equal(0, f->sva->works);
}

/* After the unbind a fault finds no handler: INVALID at once. */
static void test_kernel_after_unbind(void **state)
{
	struct kfix *f = *state;

	iommu_sva_unbind_device(f->sva);
	f->sva = NULL;
	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x100000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
}

/*
 * Unbind while a group's worker is still queued: iopf_queue_flush_dev()
 * runs it, so the group is answered once, SUCCESS, before unbind returns,
 * and nothing is answered after.
 */
static void test_kernel_unbind_flushes_work(void **state)
{
	struct kfix *f = *state;

	fake_hal_set_task_mode(f->w.h, FAKE_TASK_DEFER);
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 7, P_W, 0x100000));
	assert_int_equal(1, fake_hal_deferred(f->w.h));
	assert_int_equal(0, mock_count_resp(f->w.m, W_RID(0), 7, -1));
	assert_int_equal(1, f->sva->works);
	iommu_sva_unbind_device(f->sva);
	f->sva = NULL;
	assert_int_equal(0, fake_hal_deferred(f->w.h));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 7, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 7, -1));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.handler.kernel.pages_mapped"));
}

/*
 * The host's handler: device 0 on a nested HWPT (fault-capable) over a
 * nesting parent; the mock's first stage says which stage faulted.
 */
static void test_host_backs_stage2_faults(void **state)
{
	struct iommu_hwpt_riscv_iommu u = { .dc_tc = 1 };
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = IOMMU_HWPT_FAULT_ID_VALID,
		.data_type = IOMMU_HWPT_DATA_RISCV_IOMMU, .data_len = sizeof(u),
		.data_uptr = (uint64_t)(uintptr_t)&u,
	};
	struct world *w = calloc(1, sizeof(*w));
	struct iommu_hwpt_pgfault msg;
	struct mock_domain *parent_dom;
	uint32_t dev = 0, parent = 0;
	hal_paddr_t ro_pa;
	void *ro;

	*state = w;
	world_init(w, 1);
	fake_hal_set_task_mode(w->h, FAKE_TASK_SYNC); /* the kernel worker runs at once */
	assert_int_equal(0, world_open_iommufd(w));
	w->vfio_fd[0] = px_open(w->p, "/dev/vfio/devices/vfio0", PX_O_RDWR);
	assert_int_equal(0, t_bind(w, w->vfio_fd[0], &dev));
	assert_int_equal(0, t_hwpt_alloc(w, IOMMU_HWPT_ALLOC_NEST_PARENT, dev, w->ioas_id, 0,
					 &parent));
	cmd.dev_id = dev;
	cmd.pt_id = parent;
	cmd.fault_id = w->fault_id;
	assert_int_equal(0, px_ioctl(w->p, w->iommufd, IOMMU_HWPT_ALLOC, &cmd));
	assert_int_equal(0, t_attach(w, w->vfio_fd[0], cmd.out_hwpt_id));
	parent_dom = to_mock_domain(w->dev[0]->domain->parent);

	/* a first-stage fault is the user's: it waits on the fault fd */
	w->m->s1_rc = -ENOENT;
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(sizeof(msg), t_read_msgs(w, w->fault_fd, &msg, 1));
	assert_int_equal(0x1000, msg.addr);
	assert_int_equal(sizeof(struct iommu_hwpt_page_response),
			 t_respond(w, w->fault_fd, msg.cookie, IOMMUFD_PAGE_RESP_SUCCESS));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	/* the guest RAM page unbacked: the host's, backed and answered at once */
	w->m->s1_rc = -EFAULT;
	w->m->s1_gpa = 0x200010;
	assert_int_equal(0, world_report(w, 0, 0, 0, 2, P_W, 0x1000));
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 2, P_W, 0x1008));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 2, IOMMU_PAGE_RESP_SUCCESS));
	assert_non_null(mock_find_map(parent_dom, 0x200000));
	assert_int_equal(0, t_read_msgs(w, w->fault_fd, &msg, 1)); /* nothing for the user */
	assert_int_equal(1, fake_hal_stat(w->h, "sw.handler.host.pages_mapped"));
	assert_int_equal(1, fake_hal_stat(w->h, "sw.handler.host.groups"));
	assert_int_equal(2, fake_hal_stat(w->h, "sw.handler.host.faults_success"));
	assert_int_equal(1, fake_hal_stat(w->h, "sw.iopf.groups_stage2"));
	/* a first-stage table's page the parent lacks: the host's too */
	w->m->s1_rc = -EFAULT;
	w->m->s1_gpa = 0x210000;
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 3, P_R, 0x2000));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 3, IOMMU_PAGE_RESP_SUCCESS));
	assert_non_null(mock_find_map(parent_dom, 0x210000));
	/* a write to a page the VMM mapped read-only: INVALID, nothing mapped */
	ro = px_alloc_user_page(w->p, &ro_pa);
	assert_non_null(ro);
	assert_int_equal(0, t_ioas_map(w, w->ioas_id, 0x300000, ro_pa, 4096,
				       IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE));
	w->m->s1_gpa = 0x300000;
	w->m->nr_resp = 0;
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 4, P_W, 0x3000));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 4, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, fake_hal_stat(w->h, "sw.handler.host.faults_invalid"));
	assert_int_equal(2, fake_hal_stat(w->h, "sw.handler.host.pages_mapped"));
	/* a page present already (a race with another fault): SUCCESS, no new page */
	w->m->s1_gpa = 0x200000;
	assert_int_equal(0, world_report(w, 0, F_LAST, 0, 5, P_R, 0x3000));
	assert_int_equal(1, mock_count_resp(w->m, W_RID(0), 5, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(2, fake_hal_stat(w->h, "sw.handler.host.pages_mapped"));
	assert_int_equal(4, fake_hal_stat(w->h, "sw.handler.host.groups"));
	/* the backed pages go with the IOAS: nothing is left once the fds close */
	assert_int_equal(0, px_close(w->p, w->vfio_fd[0]));
	assert_int_equal(0, px_close(w->p, w->fault_fd));
	assert_int_equal(0, px_close(w->p, w->iommufd));
	px_free_user_page(w->p, ro);
	assert_int_equal(0, w->m->domains_live);
	assert_int_equal(0, fake_hal_dma_live(w->h));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_demand_pager, teardown),
		cmocka_unit_test_teardown(test_deny_outside, teardown),
		cmocka_unit_test_teardown(test_slow, teardown),
		cmocka_unit_test_teardown(test_userspace_skips_kernel_devices, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_resolves, ksetup, kteardown),
		cmocka_unit_test_setup_teardown(test_kernel_invalid, ksetup, kteardown),
		cmocka_unit_test_setup_teardown(test_kernel_no_worker, ksetup, kteardown),
		cmocka_unit_test_setup_teardown(test_kernel_after_unbind, ksetup, kteardown),
		cmocka_unit_test_setup_teardown(test_kernel_unbind_flushes_work, ksetup, kteardown),
		cmocka_unit_test_teardown(test_host_backs_stage2_faults, world_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
