// SPDX-License-Identifier: Apache-2.0
/*
 * Description: io-pgfault core (linux-iopf.md §1, checklist §8 "Grouping"):
 * grouping by grpid across PASIDs in arrival order, no individual answer to
 * partials, INVALID without a handler, FAILURE through the abort group,
 * partial allocation failure, stop markers, discard after overflow, one
 * response per group, remove_device answering INVALID what no consumer
 * owns and leaving owned groups to their consumer, add_device errors;
 * routing by (device, PASID) attach handles with attach, replace and
 * detach per PASID, and the NESTED fallback of a user-owned PASID table;
 * under a NESTED domain, a group whose first stage translates and whose
 * guest-physical page the parent lacks goes to the parent's handler.
 */
#include <errno.h>
#include <string.h>

#include "test_util.h"

#define NGROUPS 64

struct rec {
	struct iopf_group *g[NGROUPS];
	unsigned int n;
	int ret;             /* what the handler returns */
	bool own;            /* take ownership of the answer, as iommufd does */
};

struct fix {
	struct world w;
	struct iommu_domain *dom[2];
	struct iommu_attach_handle handle[2];
	struct rec rec;
};

static int rec_handler(struct iopf_group *group)
{
	/* the domain whose handler took it (a nesting parent for a G-stage fault) */
	struct rec *r = group->domain->fault_data;

	if (r->ret)
		return r->ret;
	assert_true(r->n < NGROUPS);
	if (r->own)
		iopf_group_take_ownership(group);
	r->g[r->n++] = group;
	return 0;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	unsigned int i;

	world_init(&f->w, 2);
	for (i = 0; i < 2; i++) {
		f->dom[i] = iommu_paging_domain_alloc(f->w.dev[i]);
		assert_non_null(f->dom[i]);
		f->dom[i]->iopf_handler = rec_handler;
		f->dom[i]->fault_data = &f->rec;
		INIT_LIST_HEAD(&f->handle[i].dev_node);
		assert_int_equal(0, iommu_attach_device(f->dom[i], f->w.dev[i], &f->handle[i]));
		assert_int_equal(0, f->w.m->ops.dev_enable_iopf(f->w.dev[i]));
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	unsigned int i;

	for (i = 0; i < f->rec.n; i++) {
		if (!f->rec.g[i])
			continue;
		iopf_group_response(f->rec.g[i], IOMMU_PAGE_RESP_INVALID);
		iopf_free_group(f->rec.g[i]);
	}
	for (i = 0; i < 2; i++) {
		if (f->w.dev[i]->fault_param)
			f->w.m->ops.dev_disable_iopf(f->w.dev[i]);
		iommu_detach_device(f->dom[i], f->w.dev[i]);
		iommu_domain_free(f->dom[i]);
	}
	assert_int_equal(0, f->w.m->domains_live);
	world_fini(&f->w);
	free(f);
	return 0;
}

/* Attach the device's domain at (dev, pasid) too, with handle @h. */
static void add_pasid_handle(struct fix *f, unsigned int d, struct iommu_attach_handle *h,
			     uint32_t pasid)
{
	memset(h, 0, sizeof(*h));
	INIT_LIST_HEAD(&h->dev_node);
	assert_int_equal(0, iommu_attach_device_pasid(f->dom[d], f->w.dev[d], pasid, h));
	assert_ptr_equal(h, iommu_attach_handle_get(f->w.dev[d], pasid));
}

static void del_pasid_handle(struct fix *f, unsigned int d, uint32_t pasid)
{
	iommu_detach_device_pasid(f->dom[d], f->w.dev[d], pasid);
	assert_null(iommu_attach_handle_get(f->w.dev[d], pasid));
}

static void group_addrs(struct iopf_group *g, uint64_t *addr, unsigned int max)
{
	struct iopf_fault *iopf;
	unsigned int i = 0;

	list_for_each_entry(iopf, &g->faults, list) {
		assert_true(i < max);
		addr[i++] = iopf->fault.prm.addr;
	}
	assert_int_equal(g->fault_count, i);
}

static void test_group_by_grpid_across_pasids(void **state)
{
	struct fix *f = *state;
	struct iommu_attach_handle p1, p2;
	uint64_t addr[8];
	struct iopf_group *g;

	add_pasid_handle(f, 0, &p1, 1);
	add_pasid_handle(f, 0, &p2, 2);
	assert_int_equal(0, world_report(&f->w, 0, F_PASID, 1, 5, P_R, 0xa000));
	assert_int_equal(0, world_report(&f->w, 0, F_PASID, 2, 7, P_R, 0xb000));
	assert_int_equal(0, world_report(&f->w, 0, F_PASID, 2, 5, P_W, 0xc000));
	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 5, P_R, 0xd000));
	/* Non-LAST requests are never answered on their own. */
	assert_int_equal(0, f->w.m->nr_resp);
	assert_int_equal(0, f->rec.n);

	assert_int_equal(0, world_report(&f->w, 0, F_PASID | F_LAST, 1, 5, P_RW, 0xe000));
	assert_int_equal(1, f->rec.n);
	g = f->rec.g[0];
	assert_int_equal(4, g->fault_count);
	group_addrs(g, addr, 8);
	/* arrival order, across PASIDs, LAST at the tail; grpid 7 stays parked */
	assert_int_equal(0xa000, addr[0]);
	assert_int_equal(0xc000, addr[1]);
	assert_int_equal(0xd000, addr[2]);
	assert_int_equal(0xe000, addr[3]);
	assert_ptr_equal(&p1, g->attach_handle);
	assert_true(g->fault_param->users >= 2);
	assert_false(list_empty(&f->w.dev[0]->fault_param->partial));

	/* The response carries the pasid/grpid of the LAST request. */
	iopf_group_response(g, IOMMU_PAGE_RESP_SUCCESS);
	assert_int_equal(1, f->w.m->nr_resp);
	assert_int_equal(1, f->w.m->resp[0].pasid);
	assert_int_equal(5, f->w.m->resp[0].grpid);
	assert_int_equal(IOMMU_PAGE_RESP_SUCCESS, f->w.m->resp[0].code);

	assert_int_equal(5, fake_hal_stat(f->w.h, "sw.iopf.reported"));
	assert_int_equal(4, fake_hal_stat(f->w.h, "sw.iopf.partials_queued"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.iopf.groups"));
	assert_int_equal(4, fake_hal_stat(f->w.h, "sw.iopf.requests_delivered"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.dev.0008.iopf.groups"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.iopf.responses.success"));
	assert_int_equal(1, fake_hal_charges(f->w.h, HAL_COST_IOPF_GROUP));
	del_pasid_handle(f, 0, 1);
	del_pasid_handle(f, 0, 2);
}

/* §1.2 step 1 and iommu_attach_device_pasid(): a PASID attach routes that
 * PASID's faults to its own handle; the checks refuse what Linux refuses. */
static void test_pasid_attach_routes(void **state)
{
	struct fix *f = *state;
	struct iommu_attach_handle p5, again;
	struct iommu_domain_ops no_pasid_ops = *f->dom[1]->ops;
	struct iommu_domain no_pasid = *f->dom[1];
	struct device *dev = f->w.dev[0];

	memset(&p5, 0, sizeof(p5));
	memset(&again, 0, sizeof(again));
	INIT_LIST_HEAD(&again.dev_node);
	/* dom[1] (device 1's) is of the same IOMMU: attachable at device 0's PASID 5. */
	assert_int_equal(0, iommu_attach_device_pasid(f->dom[1], dev, 5, &p5));
	assert_int_equal(1, f->w.m->set_pasid_calls);
	assert_int_equal(5, p5.pasid);
	assert_ptr_equal(f->dom[1], p5.domain);
	assert_int_equal(2, f->dom[1]->attach_count);

	assert_int_equal(0, world_report(&f->w, 0, F_PASID | F_LAST, 5, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_PASID | F_LAST, 6, 3, P_R, 0x3000));
	assert_int_equal(2, f->rec.n);
	assert_ptr_equal(&p5, f->rec.g[0]->attach_handle);
	assert_ptr_equal(&f->handle[0], f->rec.g[1]->attach_handle);
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 3, IOMMU_PAGE_RESP_INVALID));

	/* Taken: -EBUSY, and nothing changes. */
	assert_int_equal(-EBUSY, iommu_attach_device_pasid(f->dom[0], dev, 5, &again));
	assert_ptr_equal(&p5, iommu_attach_handle_get(dev, 5));
	/* IOMMU_NO_PASID is the RID's; beyond max_pasids is out of range. */
	assert_int_equal(-EINVAL, iommu_attach_device_pasid(f->dom[0], dev, IOMMU_NO_PASID, &again));
	assert_int_equal(-EINVAL, iommu_attach_device_pasid(f->dom[0], dev, 256, &again));
	assert_int_equal(-EINVAL, iommu_attach_device_pasid(f->dom[0], dev, 255, NULL));
	assert_int_equal(0, iommu_attach_device_pasid(f->dom[0], dev, 255, &again));
	del_pasid_handle(f, 0, 255);
	INIT_LIST_HEAD(&again.dev_node);
	/* A domain that cannot attach to a PASID. */
	no_pasid_ops.set_dev_pasid = NULL;
	no_pasid.ops = &no_pasid_ops;
	assert_int_equal(-EOPNOTSUPP, iommu_attach_device_pasid(&no_pasid, dev, 7, &again));
	/* The driver's error: nothing published. */
	f->w.m->set_pasid_err = -ENOSPC;
	assert_int_equal(-ENOSPC, iommu_attach_device_pasid(f->dom[0], dev, 7, &again));
	assert_null(iommu_attach_handle_get(dev, 7));
	assert_true(list_empty(&again.dev_node));

	iommu_detach_device_pasid(f->dom[1], dev, 5);
	assert_null(iommu_attach_handle_get(dev, 5));
	assert_int_equal(1, f->dom[1]->attach_count);
	assert_int_equal(2, f->w.m->remove_pasid_calls); /* 255, then 5 */
	/* Detached: the PASID's faults find no handler again. */
	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_PASID | F_LAST, 5, 4, P_R, 0x4000));
	/* A detach of what is not attached there changes nothing. */
	iommu_detach_device_pasid(f->dom[1], dev, 5);
	assert_int_equal(2, f->w.m->remove_pasid_calls);
	assert_int_equal(1, f->dom[1]->attach_count);
}

/* iommu_replace_device_pasid(): faults move to the new handle only once it
 * is installed; a failed replace keeps the old; no attach, no replace. */
static void test_pasid_replace(void **state)
{
	struct fix *f = *state;
	struct iommu_attach_handle p5, n5, n6;
	struct device *dev = f->w.dev[0];

	memset(&n5, 0, sizeof(n5));
	memset(&n6, 0, sizeof(n6));
	INIT_LIST_HEAD(&n5.dev_node);
	INIT_LIST_HEAD(&n6.dev_node);
	add_pasid_handle(f, 0, &p5, 5);
	f->w.m->set_pasid_err = -EIO;
	assert_int_equal(-EIO, iommu_replace_device_pasid(f->dom[1], dev, 5, &n5));
	assert_ptr_equal(&p5, iommu_attach_handle_get(dev, 5));
	assert_int_equal(2, f->dom[0]->attach_count);

	assert_int_equal(0, iommu_replace_device_pasid(f->dom[1], dev, 5, &n5));
	assert_ptr_equal(&n5, iommu_attach_handle_get(dev, 5));
	assert_true(list_empty(&p5.dev_node));
	assert_int_equal(1, f->dom[0]->attach_count);
	assert_int_equal(2, f->dom[1]->attach_count);
	assert_int_equal(0, world_report(&f->w, 0, F_PASID | F_LAST, 5, 1, P_R, 0x1000));
	assert_ptr_equal(&n5, f->rec.g[0]->attach_handle);

	assert_int_equal(-EINVAL, iommu_replace_device_pasid(f->dom[1], dev, 6, &n6));
	assert_null(iommu_attach_handle_get(dev, 6));
	iommu_detach_device_pasid(f->dom[1], dev, 5);
	assert_int_equal(1, f->dom[1]->attach_count);
}

/* §1.2 step 1, NESTED fallback: with a user-owned PASID table, a PASID
 * without an attach of its own goes to the RID's NESTED domain; a PASID
 * with one goes there; a RID paging domain, or an IOMMU whose PASID table
 * the kernel owns, gets nothing (INVALID). */
static void test_nested_fallback(void **state)
{
	struct fix *f = *state;
	struct iommu_attach_handle p5;

	f->dom[0]->type = IOMMU_DOMAIN_NESTED;
	/* The kernel owns the PASID table: no fallback. */
	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_PASID | F_LAST, 9, 1, P_R, 0x1000));
	f->w.m->ops.user_pasid_table = true;
	assert_int_equal(0, world_report(&f->w, 0, F_PASID | F_LAST, 9, 2, P_R, 0x2000));
	assert_int_equal(1, f->rec.n);
	assert_ptr_equal(&f->handle[0], f->rec.g[0]->attach_handle);
	/* Partials of the PASID follow it into the group. */
	assert_int_equal(0, world_report(&f->w, 0, F_PASID, 9, 3, P_R, 0x3000));
	assert_int_equal(0, world_report(&f->w, 0, F_PASID | F_LAST, 9, 3, P_R, 0x4000));
	assert_int_equal(2, f->rec.g[1]->fault_count);
	/* A PASID with its own attach goes to it, not to the RID's. */
	add_pasid_handle(f, 0, &p5, 5);
	assert_int_equal(0, world_report(&f->w, 0, F_PASID | F_LAST, 5, 4, P_R, 0x5000));
	assert_ptr_equal(&p5, f->rec.g[2]->attach_handle);
	del_pasid_handle(f, 0, 5);
	/* The RID's domain is a paging one: the fallback is for NESTED only. */
	f->dom[0]->type = IOMMU_DOMAIN_PAGING;
	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_PASID | F_LAST, 9, 5, P_R, 0x6000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 5, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(3, f->rec.n);
	f->w.m->ops.user_pasid_table = false;
}

/*
 * A NESTED attach: each group is translated through the first stage
 * (stage1_translate, the mock answers s1_rc / s1_gpa); a first-stage fault
 * anywhere in the group keeps it the user's, a G-stage page missing or
 * without the access makes it the parent's (iopf->gpa names the page), a
 * group translating in full stays the user's.
 */
static void test_stage2_routing(void **state)
{
	struct fix *f = *state;
	struct iommu_hwpt_riscv_iommu u = { .dc_tc = 1 };
	struct iommu_attach_handle hn;
	struct iommu_domain *parent, *nested;
	struct rec host = { 0 };
	struct iopf_fault *iopf;
	int err = 0;

	parent = iommu_paging_domain_alloc_flags(f->w.dev[0], IOMMU_HWPT_ALLOC_NEST_PARENT, &err);
	assert_non_null(parent);
	parent->iopf_handler = rec_handler;
	parent->fault_data = &host;
	nested = iommu_nested_domain_alloc(f->w.dev[0], parent, IOMMU_HWPT_DATA_RISCV_IOMMU, &u,
					   sizeof(u), &err);
	assert_non_null(nested);
	assert_int_equal(IOMMU_DOMAIN_NESTED, nested->type);
	assert_ptr_equal(parent, nested->parent);
	nested->iopf_handler = rec_handler;
	nested->fault_data = &f->rec;
	memset(&hn, 0, sizeof(hn));
	INIT_LIST_HEAD(&hn.dev_node);
	assert_int_equal(0, iommu_replace_device_handle(nested, f->w.dev[0], &hn));

	/* first stage fails: the user's */
	f->w.m->s1_rc = -ENOENT;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(1, f->rec.n);
	assert_int_equal(0, host.n);
	assert_ptr_equal(nested, f->rec.g[0]->domain);
	/* a first-stage table the parent does not map: the host's */
	f->w.m->s1_rc = -EFAULT;
	f->w.m->s1_gpa = 0x80000;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(1, host.n);
	assert_ptr_equal(parent, host.g[0]->domain);
	assert_ptr_equal(&hn, host.g[0]->attach_handle);
	assert_int_equal(0x80000, host.g[0]->last_fault.gpa);
	/* the final GPA not granted by the parent: the host's, with every request's page */
	f->w.m->s1_gpa = 0x90000;
	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 3, P_R, 0x3000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 3, P_W, 0x4000));
	assert_int_equal(2, host.n);
	list_for_each_entry(iopf, &host.g[1]->faults, list) {
		assert_true(iopf->stage2);
		assert_int_equal(0x90000, iopf->gpa);
	}
	/* both stages translate now (resolved since): the user's */
	f->w.m->s1_rc = 0;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 4, P_R, 0x5000));
	assert_int_equal(2, f->rec.n);
	assert_int_equal(2, host.n);
	/* one request failing in the first stage keeps a mixed group the user's */
	f->w.m->s1_rc = -ENOENT;
	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 6, P_R, 0x6000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 6, P_R, 0x7000));
	assert_int_equal(3, f->rec.n);
	/* a parent without a handler: everything is the user's */
	parent->iopf_handler = NULL;
	f->w.m->s1_rc = -EFAULT;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 7, P_R, 0x8000));
	assert_int_equal(4, f->rec.n);
	assert_int_equal(2, host.n);

	while (host.n) {
		iopf_group_response(host.g[--host.n], IOMMU_PAGE_RESP_SUCCESS);
		iopf_free_group(host.g[host.n]);
	}
	assert_int_equal(2, mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_SUCCESS) +
				    mock_count_resp(f->w.m, W_RID(0), 3, IOMMU_PAGE_RESP_SUCCESS));
	/* back to the paging domain, so that teardown finds it attached */
	memset(&f->handle[0], 0, sizeof(f->handle[0]));
	INIT_LIST_HEAD(&f->handle[0].dev_node);
	assert_int_equal(0, iommu_replace_device_handle(f->dom[0], f->w.dev[0], &f->handle[0]));
	iommu_domain_free(nested);
	iommu_domain_free(parent);
}

static void test_partials_stay_per_device(void **state)
{
	struct fix *f = *state;

	assert_int_equal(0, world_report(&f->w, 1, 0, 0, 5, P_R, 0x1000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 5, P_R, 0x2000));
	assert_int_equal(1, f->rec.n);
	assert_int_equal(1, f->rec.g[0]->fault_count);
	assert_int_equal(0, world_report(&f->w, 1, F_LAST, 0, 5, P_R, 0x3000));
	assert_int_equal(2, f->rec.g[1]->fault_count);
}

static void test_no_handler_invalid(void **state)
{
	struct fix *f = *state;

	/* A PASID with no attach handle: INVALID at once, even for a non-LAST request. */
	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_PASID, 9, 11, P_R, 0x1000));
	assert_int_equal(1, f->w.m->nr_resp);
	assert_int_equal(11, f->w.m->resp[0].grpid);
	assert_int_equal(9, f->w.m->resp[0].pasid);
	assert_int_equal(IOMMU_PAGE_RESP_INVALID, f->w.m->resp[0].code);
	assert_true(list_empty(&f->w.dev[0]->fault_param->partial));

	/* A domain without iopf_handler is no handler either. */
	f->dom[0]->iopf_handler = NULL;
	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_LAST, 0, 12, P_R, 0x1000));
	f->dom[0]->iopf_handler = rec_handler;
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 12, IOMMU_PAGE_RESP_INVALID));

	/* No fault param (IOPF not enabled): INVALID too. */
	f->w.m->ops.dev_disable_iopf(f->w.dev[1]);
	assert_int_equal(-EINVAL, world_report(&f->w, 1, 0, 0, 13, P_R, 0x1000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(1), 13, IOMMU_PAGE_RESP_INVALID));

	assert_int_equal(0, f->rec.n);
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.iopf.no_handler_invalid"));
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.iopf.responses.invalid"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.dev.0010.iopf.no_handler_invalid"));
	/* The first and the third answered a non-last request: early responses. */
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.iopf.no_handler_early"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.dev.0008.iopf.no_handler_early"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.dev.0010.iopf.no_handler_early"));
}

static void test_group_alloc_failure_abort(void **state)
{
	struct fix *f = *state;

	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 3, P_R, 0x1000));
	fake_hal_fail_filter(f->w.h, "iopf.group_alloc");
	fake_hal_fail_nth(f->w.h, 1);
	/* The on-stack abort group still answers the PRG: FAILURE, once. */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 3, P_R, 0x2000));
	assert_true(fake_hal_failed(f->w.h));
	fake_hal_fail_nth(f->w.h, 0);
	assert_int_equal(0, f->rec.n);
	assert_int_equal(1, f->w.m->nr_resp);
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 3, IOMMU_PAGE_RESP_FAILURE));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.iopf.abort_failure"));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.iopf.responses.failure"));
	/* Both its requests were aborted, none delivered. */
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.iopf.requests_aborted"));
	assert_int_equal(0, fake_hal_stat(f->w.h, "sw.iopf.requests_delivered"));
	/* Its partial went with it: a new group with the same grpid starts clean. */
	assert_true(list_empty(&f->w.dev[0]->fault_param->partial));
	assert_true(list_empty(&f->w.dev[0]->fault_param->faults));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(1, f->rec.g[0]->fault_count);
}

static void test_handler_error_failure(void **state)
{
	struct fix *f = *state;

	f->rec.ret = -ENOMEM;
	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 4, P_R, 0x1000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 4, P_R, 0x2000));
	f->rec.ret = 0;
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 4, IOMMU_PAGE_RESP_FAILURE));
	assert_int_equal(1, f->w.m->nr_resp);
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.iopf.abort_failure"));
	/* Delivered, then refused: not counted as aborted requests. */
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.iopf.requests_delivered"));
	assert_int_equal(0, fake_hal_stat(f->w.h, "sw.iopf.requests_aborted"));
	assert_true(list_empty(&f->w.dev[0]->fault_param->faults));
	assert_int_equal(1, f->w.dev[0]->fault_param->users);
}

static void test_partial_alloc_failure(void **state)
{
	struct fix *f = *state;
	uint64_t addr[4];

	fake_hal_fail_filter(f->w.h, "iopf.partial_alloc");
	fake_hal_fail_nth(f->w.h, 1);
	assert_int_equal(-ENOMEM, world_report(&f->w, 0, 0, 0, 4, P_R, 0x1000));
	fake_hal_fail_nth(f->w.h, 0);
	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 4, P_R, 0x2000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 4, P_R, 0x3000));
	/* Delivered without the dropped page, and not answered for it. */
	assert_int_equal(1, f->rec.n);
	assert_int_equal(2, f->rec.g[0]->fault_count);
	group_addrs(f->rec.g[0], addr, 4);
	assert_int_equal(0x2000, addr[0]);
	assert_int_equal(0x3000, addr[1]);
	assert_int_equal(0, f->w.m->nr_resp);
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.iopf.partials_dropped_nomem"));
}

static void test_stop_marker_dropped(void **state)
{
	struct fix *f = *state;

	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_LAST | F_PASID, 0, 6, 0, 0));
	assert_int_equal(0, f->w.m->nr_resp);
	assert_int_equal(0, f->rec.n);
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.iopf.stop_markers_dropped"));
}

static void test_discard_partial(void **state)
{
	struct fix *f = *state;

	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 9, P_R, 0x1000));
	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 9, P_R, 0x2000));
	assert_int_equal(0, world_report(&f->w, 1, 0, 0, 9, P_R, 0x3000));
	assert_int_equal(-EINVAL, iopf_queue_discard_partial(NULL));
	assert_int_equal(0, iopf_queue_discard_partial(f->w.m->iommu.iopf_queue));
	assert_int_equal(3, fake_hal_stat(f->w.h, "sw.iopf.partials_discarded"));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.dev.0008.iopf.partials_discarded"));
	assert_int_equal(0, f->w.m->nr_resp);
	/* A LAST with the reused grpid does not pick up stale partials. */
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 9, P_R, 0x4000));
	assert_int_equal(1, f->rec.g[0]->fault_count);
}

static void test_one_response_per_group(void **state)
{
	struct fix *f = *state;

	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x1000));
	iopf_group_response(f->rec.g[0], IOMMU_PAGE_RESP_SUCCESS);
	iopf_group_response(f->rec.g[0], IOMMU_PAGE_RESP_INVALID);
	assert_int_equal(1, f->w.m->nr_resp);
	assert_int_equal(IOMMU_PAGE_RESP_SUCCESS, f->w.m->resp[0].code);
	/* Freeing an answered group sends nothing more. */
	iopf_free_group(f->rec.g[0]);
	f->rec.g[0] = NULL;
	assert_int_equal(1, f->w.m->nr_resp);
	assert_int_equal(1, f->w.dev[0]->fault_param->users);
}

static void test_free_unanswered_group_answers(void **state)
{
	struct fix *f = *state;

	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 2, P_R, 0x1000));
	iopf_free_group(f->rec.g[0]);
	f->rec.g[0] = NULL;
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, fake_hal_log_count(f->w.h, HAL_LOG_ERROR));
}

static void test_remove_device_answers_pending(void **state)
{
	struct fix *f = *state;

	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 2, P_R, 0x2000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 3, P_R, 0x3000));
	assert_int_equal(0, world_report(&f->w, 0, 0, 0, 4, P_R, 0x4000));
	iopf_group_response(f->rec.g[0], IOMMU_PAGE_RESP_SUCCESS);

	iopf_queue_remove_device(f->w.m->iommu.iopf_queue, f->w.dev[0]);
	assert_null(f->w.dev[0]->fault_param);
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, -1));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 3, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(0, mock_count_resp(f->w.m, W_RID(0), 4, -1));
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.iopf.partials_discarded"));

	/* The consumer still owns its groups; responding now is a no-op. */
	iopf_group_response(f->rec.g[1], IOMMU_PAGE_RESP_SUCCESS);
	assert_int_equal(3, f->w.m->nr_resp);
	/* New reports find no fault param: INVALID. */
	assert_int_equal(-EINVAL, world_report(&f->w, 0, F_LAST, 0, 5, P_R, 0x5000));
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 5, IOMMU_PAGE_RESP_INVALID));
	/* Removing twice is harmless. */
	iopf_queue_remove_device(f->w.m->iommu.iopf_queue, f->w.dev[0]);
	assert_int_equal(4, f->w.m->nr_resp);
}

/*
 * A consumer that took ownership of the answer (iommufd) keeps it across
 * iopf_queue_remove_device(): nothing is sent for its groups at removal,
 * its response afterwards is sent once, a second one is a no-op; groups of
 * other consumers are still answered INVALID at removal.
 */
static void test_remove_device_leaves_owned_groups(void **state)
{
	struct fix *f = *state;
	struct iommu_fault_param *param;

	f->rec.own = true;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 1, P_R, 0x1000));
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 2, P_R, 0x2000));
	f->rec.own = false;
	assert_int_equal(0, world_report(&f->w, 0, F_LAST, 0, 3, P_R, 0x3000));
	assert_true(f->rec.g[0]->owned && f->rec.g[1]->owned && !f->rec.g[2]->owned);
	param = f->w.dev[0]->fault_param;
	assert_int_equal(4, param->users); /* the queue's + one per group */

	iopf_queue_remove_device(f->w.m->iommu.iopf_queue, f->w.dev[0]);
	assert_null(f->w.dev[0]->fault_param);
	/* Only the group nobody owns is answered, INVALID. */
	assert_int_equal(1, f->w.m->nr_resp);
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 3, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(3, param->users);

	/* The owners answer later: sent once each, with their own code. */
	iopf_group_response(f->rec.g[0], IOMMU_PAGE_RESP_SUCCESS);
	iopf_group_response(f->rec.g[0], IOMMU_PAGE_RESP_INVALID);
	assert_int_equal(2, f->w.m->nr_resp);
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_SUCCESS));
	assert_int_equal(0, mock_count_resp(f->w.m, W_RID(0), 1, IOMMU_PAGE_RESP_INVALID));
	/* Group 3 was answered at removal: its consumer's response is a no-op. */
	iopf_group_response(f->rec.g[2], IOMMU_PAGE_RESP_SUCCESS);
	assert_int_equal(2, f->w.m->nr_resp);
	/* An owned group freed unanswered is still answered, once (and logged). */
	iopf_free_group(f->rec.g[1]);
	f->rec.g[1] = NULL;
	assert_int_equal(1, mock_count_resp(f->w.m, W_RID(0), 2, IOMMU_PAGE_RESP_INVALID));
	assert_int_equal(3, f->w.m->nr_resp);
	assert_int_equal(1, fake_hal_log_count(f->w.h, HAL_LOG_ERROR));
	iopf_free_group(f->rec.g[0]);
	f->rec.g[0] = NULL;
	iopf_free_group(f->rec.g[2]);
	f->rec.g[2] = NULL;
	assert_int_equal(3, f->w.m->nr_resp);
	assert_int_equal(1, fake_hal_stat(f->w.h, "sw.iopf.responses.success"));
	assert_int_equal(2, fake_hal_stat(f->w.h, "sw.iopf.responses.invalid"));
}

static void test_add_device_errors(void **state)
{
	struct fix *f = *state;
	struct iopf_queue *q = f->w.m->iommu.iopf_queue;

	assert_int_equal(-EBUSY, iopf_queue_add_device(q, f->w.dev[0]));
	assert_int_equal(-EINVAL, iopf_queue_add_device(NULL, f->w.dev[0]));
	__typeof__(f->w.m->ops.page_response) page_response = f->w.m->ops.page_response;

	iopf_queue_remove_device(q, f->w.dev[0]);
	f->w.m->ops.page_response = NULL;
	assert_int_equal(-ENODEV, iopf_queue_add_device(q, f->w.dev[0]));
	f->w.m->ops.page_response = page_response;
	assert_int_equal(0, iopf_queue_add_device(q, f->w.dev[0]));
}

/* iopf_queue_flush_dev(): -ENODEV for a device on no queue, else it flushes the workqueue. */
static void test_flush_dev(void **state)
{
	struct fix *f = *state;
	unsigned int before = fake_hal_flushes(f->w.h);

	assert_int_equal(0, iopf_queue_flush_dev(f->w.dev[0]));
	assert_int_equal(before + 1, fake_hal_flushes(f->w.h));
	iopf_queue_remove_device(f->w.m->iommu.iopf_queue, f->w.dev[0]);
	assert_int_equal(-ENODEV, iopf_queue_flush_dev(f->w.dev[0]));
	assert_int_equal(-ENODEV, iopf_queue_flush_dev(NULL));
	assert_int_equal(before + 1, fake_hal_flushes(f->w.h));
}

static void test_group_records_report_time(void **state)
{
	struct fix *f = *state;

	hal_charge_ps(f->w.h, 123456);
	assert_int_equal(0, world_report(&f->w, 0, F_LAST | F_PASID | F_NEEDS_PASID, 0, 8, P_R,
					 0x1000));
	assert_int_equal(1, f->rec.n);
	assert_true(f->rec.g[0]->t_report_ps >= 123456);
	assert_int_equal(F_LAST | F_PASID | F_NEEDS_PASID, f->rec.g[0]->last_fault.fault.prm.flags);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_group_by_grpid_across_pasids),
		T(test_pasid_attach_routes),
		T(test_pasid_replace),
		T(test_nested_fallback),
		T(test_stage2_routing),
		T(test_partials_stay_per_device),
		T(test_no_handler_invalid),
		T(test_group_alloc_failure_abort),
		T(test_handler_error_failure),
		T(test_partial_alloc_failure),
		T(test_stop_marker_dropped),
		T(test_discard_partial),
		T(test_one_response_per_group),
		T(test_free_unanswered_group_answers),
		T(test_remove_device_answers_pending),
		T(test_remove_device_leaves_owned_groups),
		T(test_add_device_errors),
		T(test_flush_dev),
		T(test_group_records_report_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
