// SPDX-License-Identifier: Apache-2.0
#include "mock_iommu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "prisim/uapi/iommufd.h"

static int mock_map_pages(struct iommu_domain *d, uint64_t iova, hal_paddr_t pa, uint64_t size,
			  uint32_t prot)
{
	struct mock_domain *md = to_mock_domain(d);
	struct mock_map *n;
	unsigned int i;

	for (i = 0; i < md->nr_maps; i++)
		if (iova < md->maps[i].iova + md->maps[i].size && md->maps[i].iova < iova + size)
			return -EEXIST;
	if (hal_should_fail(md->m->hal, "mock.map_pages"))
		return -ENOMEM;
	if (md->nr_maps == md->cap_maps) {
		n = realloc(md->maps, (md->cap_maps * 2 + 8) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		md->maps = n;
		md->cap_maps = md->cap_maps * 2 + 8;
	}
	md->maps[md->nr_maps++] = (struct mock_map){ iova, pa, size, prot };
	return 0;
}

static uint64_t mock_unmap_pages(struct iommu_domain *d, uint64_t iova, uint64_t size)
{
	struct mock_domain *md = to_mock_domain(d);
	uint64_t done = 0;
	unsigned int i = 0;

	while (i < md->nr_maps) {
		const struct mock_map *m = &md->maps[i];

		if (m->iova >= iova && m->iova + m->size <= iova + size) {
			done += md->maps[i].size;
			md->maps[i] = md->maps[--md->nr_maps];
			continue;
		}
		i++;
	}
	return done;
}

static void mock_iotlb_sync_map(struct iommu_domain *d, uint64_t iova, uint64_t size)
{
	(void)iova;
	(void)size;
	to_mock_domain(d)->sync_calls++;
}

static hal_paddr_t mock_iova_to_phys(struct iommu_domain *d, uint64_t iova)
{
	const struct mock_map *m = mock_find_map(to_mock_domain(d), iova);

	return m ? m->pa + (iova - m->iova) : 0;
}

static void mock_domain_free(struct iommu_domain *d)
{
	struct mock_domain *md = to_mock_domain(d);

	md->m->domains_live--;
	free(md->maps);
	free(md);
}

static int mock_set_dev_pasid(struct iommu_domain *d, struct device *dev, uint32_t pasid,
			      struct iommu_domain *old)
{
	struct mock_iommu *m = to_mock(dev->iommu);
	int err = m->set_pasid_err;

	(void)d;
	(void)pasid;
	(void)old;
	m->set_pasid_calls++;
	m->set_pasid_err = 0;
	return err;
}

static const struct iommu_domain_ops mock_domain_ops = {
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iotlb_sync_map = mock_iotlb_sync_map,
	.iova_to_phys = mock_iova_to_phys,
	.set_dev_pasid = mock_set_dev_pasid,
	.free = mock_domain_free,
};

/* A nested domain's first stage: what the test set in s1_rc / s1_gpa. */
static int mock_stage1_translate(struct iommu_domain *d, const struct iommu_fault_page_request *prm,
				 uint64_t *gpa)
{
	struct mock_iommu *m = to_mock_domain(d)->m;

	(void)prm;
	m->s1_calls++;
	*gpa = m->s1_gpa;
	return m->s1_rc;
}

static int mock_cache_invalidate_user(struct iommu_domain *d, struct iommu_user_data_array *array)
{
	struct mock_iommu *m = to_mock_domain(d)->m;
	struct iommu_hwpt_riscv_iommu_invalidate inv;
	uint32_t i;
	int rc = 0;

	for (i = 0; i < array->entry_num; i++) {
		rc = iommu_copy_struct_from_user_array(m->hal, &inv, array,
						       IOMMU_HWPT_INVALIDATE_DATA_RISCV_IOMMU, i,
						       sizeof(inv));
		if (!rc && inv.cmd[0] == MOCK_INVAL_BAD)
			rc = -EINVAL;
		if (rc)
			break;
		m->inval_entries++;
	}
	array->entry_num = i;
	return rc;
}

static const struct iommu_domain_ops mock_nested_ops = {
	.stage1_translate = mock_stage1_translate,
	.cache_invalidate_user = mock_cache_invalidate_user,
	.free = mock_domain_free,
};

static int mock_probe_device(struct device *dev)
{
	struct mock_iommu *m = to_mock(dev->iommu);

	m->probe_calls++;
	dev->max_pasids = m->max_pasids;
	return m->probe_err;
}

static void mock_release_device(struct device *dev)
{
	struct mock_iommu *m = to_mock(dev->iommu);

	m->release_calls++;
	if (dev->fault_param)
		iopf_queue_remove_device(m->iommu.iopf_queue, dev);
}

static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	struct mock_iommu *m = to_mock(dev->iommu);
	struct mock_domain *md;

	if (hal_should_fail(m->hal, "mock.domain_alloc"))
		return NULL;
	md = calloc(1, sizeof(*md));
	if (!md)
		return NULL;
	md->m = m;
	md->domain.type = IOMMU_DOMAIN_PAGING;
	md->domain.ops = &mock_domain_ops;
	md->domain.iommu = &m->iommu;
	m->domains_live++;
	return &md->domain;
}

/* NEST_PARENT (a second stage) or ALLOC_PASID: a mock paging domain. */
static struct iommu_domain *mock_domain_alloc_paging_flags(struct device *dev, uint32_t flags,
							   int *err)
{
	struct iommu_domain *d;

	*err = -EOPNOTSUPP;
	if (flags & ~(uint32_t)(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID))
		return NULL;
	d = mock_domain_alloc_paging(dev);
	*err = d ? 0 : -ENOMEM;
	return d;
}

/* IOMMU_HWPT_DATA_RISCV_IOMMU, 32 bytes, dc_tc.V set: a mock nested domain. */
static struct iommu_domain *mock_domain_alloc_nested(struct device *dev,
						     struct iommu_domain *parent,
						     uint32_t data_type, const void *data,
						     size_t len, int *err)
{
	const struct iommu_hwpt_riscv_iommu *u = data;
	struct iommu_domain *d;

	(void)parent;
	*err = -EOPNOTSUPP;
	if (data_type != IOMMU_HWPT_DATA_RISCV_IOMMU)
		return NULL;
	*err = -EINVAL;
	if (len != sizeof(*u) || !(u->dc_tc & 1))
		return NULL;
	d = mock_domain_alloc_paging(dev);
	*err = d ? 0 : -ENOMEM;
	if (d) {
		d->type = IOMMU_DOMAIN_NESTED;
		d->ops = &mock_nested_ops;
	}
	return d;
}

static int mock_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct mock_iommu *m = to_mock(dev->iommu);
	int err;

	if (!domain) {
		m->block_calls++;
		return 0;
	}
	m->attach_calls++;
	err = m->attach_err;
	m->attach_err = 0;
	return err;
}

static int mock_dev_enable_iopf(struct device *dev)
{
	struct mock_iommu *m = to_mock(dev->iommu);
	int err = m->enable_iopf_err;

	m->enable_iopf_calls++;
	m->enable_iopf_err = 0;
	if (err)
		return err;
	err = iopf_queue_add_device(m->iommu.iopf_queue, dev);
	if (!err)
		dev->pri_enabled = true;
	return err;
}

static void mock_dev_disable_iopf(struct device *dev)
{
	struct mock_iommu *m = to_mock(dev->iommu);

	m->disable_iopf_calls++;
	iopf_queue_remove_device(m->iommu.iopf_queue, dev);
	dev->pri_enabled = false;
}

static int mock_page_response(struct device *dev, struct iopf_fault *evt,
			      struct iommu_page_response *msg)
{
	struct mock_iommu *m = to_mock(dev->iommu);
	struct mock_resp *n;

	if (m->nr_resp == m->cap_resp) {
		n = realloc(m->resp, (m->cap_resp * 2 + 16) * sizeof(*n));
		if (!n)
			abort();
		m->resp = n;
		m->cap_resp = m->cap_resp * 2 + 16;
	}
	m->resp[m->nr_resp++] = (struct mock_resp){
		.rid = dev->rid,
		.pasid = msg->pasid,
		.grpid = msg->grpid,
		.code = msg->code,
		.req_flags = evt->fault.prm.flags,
		.req_addr = evt->fault.prm.addr,
	};
	return 0;
}

static void mock_remove_dev_pasid(struct device *dev, uint32_t pasid, struct iommu_domain *domain)
{
	(void)pasid;
	(void)domain;
	to_mock(dev->iommu)->remove_pasid_calls++;
}

/* The mock stands in for the RISC-V IOMMU: it backs vIOMMUs of that type only. */
static bool mock_viommu_supported(struct device *dev, uint32_t type)
{
	(void)dev;
	return type == MOCK_VIOMMU_TYPE;
}

static const struct iommu_ops mock_ops = {
	.name = "mock",
	.probe_device = mock_probe_device,
	.release_device = mock_release_device,
	.domain_alloc_paging = mock_domain_alloc_paging,
	.domain_alloc_paging_flags = mock_domain_alloc_paging_flags,
	.domain_alloc_nested = mock_domain_alloc_nested,
	.attach_dev = mock_attach_dev,
	.dev_enable_iopf = mock_dev_enable_iopf,
	.dev_disable_iopf = mock_dev_disable_iopf,
	.page_response = mock_page_response,
	.viommu_supported = mock_viommu_supported,
	.remove_dev_pasid = mock_remove_dev_pasid,
};

struct mock_iommu *mock_iommu_create(struct hal *h)
{
	struct mock_iommu *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->hal = h;
	m->max_pasids = 256;
	m->ops = mock_ops;
	m->iommu.hal = h;
	m->iommu.ops = &m->ops;
	m->iommu.priv = m;
	m->iommu.iopf_queue = iopf_queue_alloc(h, "mock-iopfq");
	if (!m->iommu.iopf_queue || iommu_device_register(&m->iommu)) {
		iopf_queue_free(m->iommu.iopf_queue);
		free(m);
		return NULL;
	}
	return m;
}

void mock_iommu_destroy(struct mock_iommu *m)
{
	if (!m)
		return;
	iopf_queue_free(m->iommu.iopf_queue);
	free(m->resp);
	free(m);
}

int mock_iommu_probe(struct hal *h, const struct hal_iommu_info *info, struct iommu_device **out)
{
	struct mock_iommu *m;

	(void)info;
	m = mock_iommu_create(h);
	if (!m)
		return -ENOMEM;
	*out = &m->iommu;
	return 0;
}

void mock_iommu_remove(struct iommu_device *iommu)
{
	mock_iommu_destroy(to_mock(iommu));
}

unsigned int mock_count_resp(const struct mock_iommu *m, uint16_t rid, uint32_t grpid, int code)
{
	unsigned int i, n = 0;

	for (i = 0; i < m->nr_resp; i++)
		if (m->resp[i].rid == rid && m->resp[i].grpid == grpid &&
		    (code < 0 || m->resp[i].code == (uint32_t)code))
			n++;
	return n;
}

const struct mock_map *mock_find_map(const struct mock_domain *d, uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < d->nr_maps; i++)
		if (iova >= d->maps[i].iova && iova < d->maps[i].iova + d->maps[i].size)
			return &d->maps[i];
	return NULL;
}
