/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IOMMU core: devices, domains, attach handles, and the io-pgfault API
 * (linux-iopf.md §1). This is the contract between IOMMU drivers
 * (sw/drivers/...) and the generic code (sw/iommu, sw/iommufd). It mirrors
 * include/linux/iommu.h in names and semantics, trimmed to what prisim needs.
 *
 * Locking: the simulation is cooperative; a section without a blocking HAL
 * call is atomic. Structures whose critical sections may block carry a
 * struct hal_mutex and say so.
 */
#ifndef PRISIM_SW_IOMMU_H
#define PRISIM_SW_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/uaccess.h"
#include "prisim/hal.h"
#include "util/list.h"

struct iommu_device;
struct iommu_domain;
struct iopf_queue;
struct iopf_group;
struct device;

#define IOMMU_NO_PASID 0u

/* ---- faults (include/linux/iommu.h) -------------------------------------- */

enum iommu_fault_type { IOMMU_FAULT_PAGE_REQ = 1 };

#define IOMMU_FAULT_PAGE_REQUEST_PASID_VALID  (1u << 0)
#define IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE    (1u << 1)
#define IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID (1u << 2)

#define IOMMU_FAULT_PERM_READ  (1u << 0)
#define IOMMU_FAULT_PERM_WRITE (1u << 1)
#define IOMMU_FAULT_PERM_EXEC  (1u << 2)
#define IOMMU_FAULT_PERM_PRIV  (1u << 3)

struct iommu_fault_page_request {
	uint32_t flags;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	uint64_t addr;
	uint64_t private_data[2]; /* driver-owned; RISC-V keeps the raw PQ record */
};

struct iommu_fault {
	uint32_t type;
	struct iommu_fault_page_request prm;
};

/* Internal response codes (linux-iopf.md §1.1). */
enum iommu_page_response_code {
	IOMMU_PAGE_RESP_SUCCESS = 0,
	IOMMU_PAGE_RESP_INVALID = 1,
	IOMMU_PAGE_RESP_FAILURE = 2,
};

struct iommu_page_response {
	uint32_t pasid;
	uint32_t grpid;
	uint32_t code;
};

struct iopf_fault {
	struct iommu_fault fault;
	struct list_head list; /* on partial list or in group->faults */
	/* A second-stage fault under a NESTED domain (stage2): the
	 * guest-physical address the parent does not map with the access the
	 * request needs (io-pgfault.c). */
	uint64_t gpa;
	bool stage2;
};

struct iommu_attach_handle;

struct iopf_group {
	struct iopf_fault last_fault;  /* the LAST_PAGE request (embedded) */
	struct list_head faults;       /* partials in arrival order, last at tail */
	unsigned int fault_count;
	struct list_head pending_node; /* on fault_param->faults until answered */
	bool owned;                    /* a consumer answers it, even after removal */
	struct iommu_attach_handle *attach_handle;
	/* The domain whose iopf_handler took the group: the attach's, or the
	 * nesting parent of the attach's NESTED domain for a second-stage fault. */
	struct iommu_domain *domain;
	struct iommu_fault_param *fault_param; /* holds a reference */
	struct list_head node;         /* consumer's list (iommufd deliver list) */
	uint32_t cookie;               /* consumer's id (iommufd response table) */
	uint64_t t_report_ps;          /* simulated time of the report, for stats */
};

/* Per-device fault state (dev->iommu->fault_param). */
struct iommu_fault_param {
	struct device *dev;
	struct iopf_queue *queue;
	unsigned int users;            /* refcount */
	struct list_head partial;      /* iopf_fault, non-last requests */
	struct list_head faults;       /* iopf_group.pending_node, awaiting response */
	struct list_head queue_node;   /* on queue->devices */
};

/* ---- devices ------------------------------------------------------------- */

struct device {
	struct hal *hal;
	uint16_t rid;                     /* PCI requester ID = RISC-V device_id */
	char name[16];                    /* "0000:00:01.0" style */
	struct iommu_device *iommu;       /* translating IOMMU, NULL if none */
	void *iommu_priv;                 /* driver's per-device state */
	struct iommu_fault_param *fault_param; /* NULL unless on an iopf_queue */
	struct list_head attach_handles;  /* iommu_attach_handle.dev_node */
	struct iommu_domain *domain;      /* RID (no-PASID) attached domain */
	uint32_t max_pasids;              /* PASIDs the device and IOMMU support; 0: none */
	bool is_virtfn;                   /* SR-IOV VF */
	bool pri_supported;               /* has a PRI capability */
	bool pri_enabled;
	bool ats_enabled;
};

/* ---- domains ------------------------------------------------------------- */

enum iommu_domain_type {
	IOMMU_DOMAIN_BLOCKED = 0,
	IOMMU_DOMAIN_IDENTITY = 1,
	IOMMU_DOMAIN_PAGING = 2,
	IOMMU_DOMAIN_NESTED = 3,
};

#define IOMMU_READ  (1u << 0)
#define IOMMU_WRITE (1u << 1)

/* The user's array of driver-specific entries (Linux struct iommu_user_data_array). */
struct iommu_user_data_array {
	uint32_t type;            /* the uAPI data type of every entry */
	const void *uptr;         /* user memory */
	uint32_t entry_len;       /* bytes per entry */
	uint32_t entry_num;       /* in: entries; out: entries handled */
};

/*
 * iommu_copy_struct_from_user_array - copy entry @index of @array into @dst
 * (@size bytes, its uAPI struct) as Linux's helper of that name does (an
 * inline there too): a type other than @type or an entry shorter than
 * @size -> -EINVAL; a longer one must be 0 past @size (copy_struct_from_user:
 * -E2BIG); -EFAULT if unreadable.
 */
static inline int iommu_copy_struct_from_user_array(struct hal *h, void *dst,
						    const struct iommu_user_data_array *array,
						    uint32_t type, uint32_t index, size_t size)
{
	const unsigned char *src;
	unsigned char tail;
	size_t i;
	int rc;

	if (!array || index >= array->entry_num || array->type != type || array->entry_len < size)
		return -EINVAL;
	src = array->uptr ? (const unsigned char *)array->uptr + (size_t)array->entry_len * index
			  : NULL;
	for (i = size; i < array->entry_len; i++) {
		rc = px_copy_from_user(h, &tail, src ? src + i : NULL, 1);
		if (rc)
			return rc;
		if (tail)
			return -E2BIG;
	}
	return px_copy_from_user(h, dst, src, size);
}

struct iommu_domain_ops {
	/* Install translations for [iova, iova + size) -> [pa, ...); size is a
	 * multiple of 4 KiB. Returns 0 or -errno (-EEXIST if already mapped). */
	int (*map_pages)(struct iommu_domain *d, uint64_t iova, hal_paddr_t pa, uint64_t size,
			 uint32_t prot);
	/* Remove translations; returns bytes unmapped. */
	uint64_t (*unmap_pages)(struct iommu_domain *d, uint64_t iova, uint64_t size);
	/* Make new mappings visible to the IOMMU (RISC-V: IOTINVAL.VMA + IOFENCE.C). */
	void (*iotlb_sync_map)(struct iommu_domain *d, uint64_t iova, uint64_t size);
	/* Look up a translation (for tests and the scoreboard); 0 if none. */
	hal_paddr_t (*iova_to_phys)(struct iommu_domain *d, uint64_t iova);
	/* NESTED domains: translate the request's address through the user's
	 * first stage (that of its PASID, when the user owns the PASID table),
	 * its table reads and its result going through the parent. 0 and *gpa:
	 * both stages grant prm->perm (IOMMU_FAULT_PERM_*); -ENOENT: the first
	 * stage does not (a fault for the user); -EFAULT and *gpa: the parent
	 * does not map guest-physical page *gpa (a first-stage or directory
	 * table's, or the result) with the access it needs (a fault for the
	 * parent's handler). */
	int (*stage1_translate)(struct iommu_domain *d, const struct iommu_fault_page_request *prm,
				uint64_t *gpa);
	/* NESTED domains: carry out the user's invalidations of its first
	 * stage (IOMMU_HWPT_INVALIDATE); array->entry_num becomes the number
	 * handled. Returns 0 or the first entry's error. */
	int (*cache_invalidate_user)(struct iommu_domain *d, struct iommu_user_data_array *array);
	/* Install @d for (dev, pasid), in place of @old (NULL: nothing was
	 * attached there); on failure (dev, pasid) keeps @old. NULL: this
	 * domain cannot be attached to a PASID. */
	int (*set_dev_pasid)(struct iommu_domain *d, struct device *dev, uint32_t pasid,
			     struct iommu_domain *old);
	void (*free)(struct iommu_domain *d);
};

typedef int (*iommu_iopf_handler_t)(struct iopf_group *group);
/*
 * Consumer of non-PRI events of the devices attached to a domain (iommufd's
 * vIOMMU path, Linux iommufd_viommu_report_event()): @type is the vEVENTQ
 * type, @data/@len the payload. Returns 0 if queued (or marked lost), else
 * -errno (-EOPNOTSUPP: nobody listens for @type).
 */
typedef int (*iommu_event_handler_t)(struct iommu_attach_handle *handle, uint32_t type,
				     const void *data, size_t len);

struct iommu_domain {
	enum iommu_domain_type type;
	const struct iommu_domain_ops *ops;
	struct iommu_device *iommu;
	iommu_iopf_handler_t iopf_handler; /* NULL: not fault-capable */
	iommu_event_handler_t event_handler; /* NULL: non-PRI events are not relayed */
	void *fault_data;                  /* consumer's (iommufd hwpt) */
	unsigned int attach_count;
	struct iommu_domain *parent;       /* NESTED: the nesting parent (second stage) */
};

/* One per (device, pasid) attach; routes faults (linux-iopf.md §1.2 step 1). */
struct iommu_attach_handle {
	struct iommu_domain *domain;
	struct device *dev;
	uint32_t pasid;                    /* IOMMU_NO_PASID for the RID attach */
	struct list_head dev_node;
	void *priv;                        /* consumer's (iommufd idev) */
};

/* ---- driver interface ---------------------------------------------------- */

struct iommu_ops {
	const char *name;
	/* Called once per device behind this IOMMU at boot. */
	int (*probe_device)(struct device *dev);
	void (*release_device)(struct device *dev);
	struct iommu_domain *(*domain_alloc_paging)(struct device *dev);
	/* A paging domain with IOMMU_HWPT_ALLOC_* @flags (Linux
	 * domain_alloc_paging_flags); NULL: only flags 0 (domain_alloc_paging).
	 * IOMMU_HWPT_ALLOC_NEST_PARENT asks for a second-stage table.
	 * Returns NULL with *err set. */
	struct iommu_domain *(*domain_alloc_paging_flags)(struct device *dev, uint32_t flags,
							  int *err);
	/* A NESTED domain on @parent (a NEST_PARENT paging domain) from the
	 * user's @data of IOMMU_HWPT_DATA_* @data_type (Linux
	 * domain_alloc_nested). Returns NULL with *err set. */
	struct iommu_domain *(*domain_alloc_nested)(struct device *dev, struct iommu_domain *parent,
						    uint32_t data_type, const void *data,
						    size_t len, int *err);
	/* Install domain for dev's RID (pasid == IOMMU_NO_PASID only, for now);
	 * passing NULL blocks the device. Programs the device context. */
	int (*attach_dev)(struct iommu_domain *domain, struct device *dev);
	/* Enable/disable ATS + PRI for dev (DC bits and PCI capabilities) and add
	 * the device to / remove it from the driver's iopf_queue. */
	int (*dev_enable_iopf)(struct device *dev);
	void (*dev_disable_iopf)(struct device *dev);
	/* Send a PRG Response for evt (the LAST request of a group). */
	int (*page_response)(struct device *dev, struct iopf_fault *evt,
			     struct iommu_page_response *msg);
	/* Whether this IOMMU backs vIOMMUs of @type (Linux get_viommu_size() != 0). */
	bool (*viommu_supported)(struct device *dev, uint32_t type);
	/* Block (dev, pasid), which has @domain attached (Linux: the blocked
	 * domain's set_dev_pasid, formerly remove_dev_pasid). */
	void (*remove_dev_pasid)(struct device *dev, uint32_t pasid, struct iommu_domain *domain);
	/* The PASID table is owned by the user (a guest's, under a NESTED
	 * domain on the RID): faults on a PASID with no attach of its own go
	 * to the RID's NESTED domain (linux-iopf.md §1.2 step 1). */
	bool user_pasid_table;
};

struct iommu_device {
	struct hal *hal;
	const struct iommu_ops *ops;
	void *priv;                 /* driver instance */
	struct iopf_queue *iopf_queue;
	struct list_head node;      /* on the kernel's IOMMU list */
};

/* ---- core API (sw/iommu) -------------------------------------------------- */

/*
 * iommu_report_device_fault - report one page request from a driver's IRQ
 * thread. Returns 0 if it was queued or handed to a handler, -EINVAL if no
 * handler (already answered INVALID), -ENOMEM if a partial was dropped.
 */
int iommu_report_device_fault(struct device *dev, struct iopf_fault *evt);
/* iopf_group_response - answer a group once (code of the LAST request). */
void iopf_group_response(struct iopf_group *group, enum iommu_page_response_code code);
void iopf_free_group(struct iopf_group *group);
/*
 * iopf_group_take_ownership - called by an iopf_handler that queues the
 * group for a consumer which answers every group it accepted (iommufd):
 * iopf_queue_remove_device() then leaves the group to that consumer, whose
 * one iopf_group_response() is sent even after the removal.
 */
void iopf_group_take_ownership(struct iopf_group *group);

struct iopf_queue *iopf_queue_alloc(struct hal *hal, const char *name);
void iopf_queue_free(struct iopf_queue *queue);
int iopf_queue_add_device(struct iopf_queue *queue, struct device *dev);
void iopf_queue_remove_device(struct iopf_queue *queue, struct device *dev);
int iopf_queue_flush_dev(struct device *dev);
int iopf_queue_discard_partial(struct iopf_queue *queue);

/* Domain allocation / attach, used by iommufd. */
struct iommu_domain *iommu_paging_domain_alloc(struct device *dev);
struct iommu_domain *iommu_paging_domain_alloc_flags(struct device *dev, uint32_t flags, int *err);
struct iommu_domain *iommu_nested_domain_alloc(struct device *dev, struct iommu_domain *parent,
					       uint32_t data_type, const void *data, size_t len,
					       int *err);
void iommu_domain_free(struct iommu_domain *domain);
int iommu_attach_device(struct iommu_domain *domain, struct device *dev,
			struct iommu_attach_handle *handle);
void iommu_detach_device(struct iommu_domain *domain, struct device *dev);
struct iommu_attach_handle *iommu_attach_handle_get(struct device *dev, uint32_t pasid);
int iommu_map(struct iommu_domain *domain, uint64_t iova, hal_paddr_t pa, uint64_t size,
	      uint32_t prot);
/* Attach per (device, PASID), each with its own attach handle (faults with
 * that PASID route to it). */
int iommu_attach_device_pasid(struct iommu_domain *domain, struct device *dev, uint32_t pasid,
			      struct iommu_attach_handle *handle);
int iommu_replace_device_pasid(struct iommu_domain *domain, struct device *dev, uint32_t pasid,
			       struct iommu_attach_handle *handle);
void iommu_detach_device_pasid(struct iommu_domain *domain, struct device *dev, uint32_t pasid);
/* Added for iommufd: undo iommu_map (returns bytes unmapped), and replace the
 * RID domain of an attached device without a blocked window (§3.6 Replace). */
uint64_t iommu_unmap(struct iommu_domain *domain, uint64_t iova, uint64_t size);
int iommu_replace_device_handle(struct iommu_domain *domain, struct device *dev,
				struct iommu_attach_handle *handle);

/*
 * iommu_report_device_event - hand a non-PRI event of @dev (an unrecoverable
 * fault record) to the consumer of its RID attach, the way a Linux driver
 * calls iommufd_viommu_report_event() from its event-queue thread. Returns
 * -ENODEV when no attached domain relays events, else the handler's result.
 */
int iommu_report_device_event(struct device *dev, uint32_t type, const void *data, size_t len);

/* Registration (called by a driver's probe). */
int iommu_device_register(struct iommu_device *iommu);

/* ---- kernel-resident fault handling: SVA (sw/iommu/iommu-sva.c) ----------- */

struct iommu_sva_page {
	uint64_t pfn;                   /* IOVA >> 12 */
	hal_paddr_t pa;                 /* its page (hal_page_alloc: devices only touch it) */
};

/* Stands for an mm_struct: one anonymous read-write mapping, demand-zero. */
struct iommu_sva_mm {
	struct hal_mutex *lock;         /* mmap_lock: one fault at a time makes a page present */
	uint64_t vm_start, vm_end;      /* [vm_start, vm_end) */
	struct iommu_sva_page *pages;   /* pages made present, in fault order */
	uint64_t nr_pages, cap_pages;
};

enum iommu_sva_stat_item {
	IOMMU_SVA_STAT_GROUPS,
	IOMMU_SVA_STAT_FAULTS_SUCCESS,
	IOMMU_SVA_STAT_FAULTS_INVALID,
	IOMMU_SVA_STAT_PAGES_MAPPED,
	IOMMU_SVA_STAT__COUNT
};

/* A bond of a device and an address space (Linux struct iommu_sva). */
struct iommu_sva {
	struct device *dev;
	struct iommu_domain *domain;       /* iopf_handler: the SVA handler */
	struct iommu_attach_handle handle; /* the RID attach */
	struct iommu_sva_mm mm;
	unsigned int works;                /* groups handed to a worker, not answered */
	struct hal_waitq *wq;              /* woken when works drops to 0 */
	hal_stat_id stats[IOMMU_SVA_STAT__COUNT];
};

int iommu_sva_bind_device(struct device *dev, uint64_t vm_start, uint64_t vm_end,
			  struct iommu_sva **out);
void iommu_sva_unbind_device(struct iommu_sva *sva);

#endif /* PRISIM_SW_IOMMU_H */
