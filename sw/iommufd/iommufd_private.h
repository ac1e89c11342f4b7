/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iommufd internals: the object model (STYLE.md §1) and the object types
 * prisim implements (IOAS, DEVICE, HWPT_PAGING, FAULT, VIOMMU, VEVENTQ).
 *
 * Object lifetime: an object starts with users = 1, owned by the context's
 * table. iommufd_get_object() takes a reference for the duration of a call;
 * long-lived references (HWPT -> IOAS, HWPT -> FAULT, attached device ->
 * HWPT, fault fd -> FAULT, the VFIO binding -> DEVICE, VIOMMU -> its
 * parent HWPT, VEVENTQ -> VIOMMU, vEVENTQ fd -> VEVENTQ) also count in users.
 * IOMMU_DESTROY succeeds only when the table's reference is the last one
 * (else EBUSY); removing an object from the table drops that reference and
 * the object is destroyed when users reaches 0.
 *
 * Locking: the simulation is cooperative. iommufd_fault.mutex serialises
 * read/write/auto-response (they call into the driver, which may block); the
 * deliver list is only touched in non-blocking sections.
 */
#ifndef PRISIM_SW_IOMMUFD_PRIVATE_H
#define PRISIM_SW_IOMMUFD_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "iommu/iommu.h"
#include "iommufd/iommufd.h"
#include "kernel/file.h"
#include "kernel/idr.h"
#include "prisim/uapi/iommufd.h"

enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_FAULT,
	IOMMUFD_OBJ_VIOMMU,
	IOMMUFD_OBJ_VEVENTQ,
	IOMMUFD_OBJ_MAX,
};

struct iommufd_object {
	unsigned int users;
	enum iommufd_object_type type;
	uint32_t id;
	bool finalized;        /* visible to lookups */
	bool in_table;         /* the table's reference is still held */
	struct iommufd_ctx *ictx;
};

struct iommufd_object_ops {
	/* Release what the object holds; the core frees the object itself. */
	void (*destroy)(struct iommufd_object *obj);
	/* Undo a never-finalized object (defaults to destroy). */
	void (*abort)(struct iommufd_object *obj);
};

/* Statistics ids of the fault queues, registered when the context is created. */
struct iommufd_fault_stats {
	hal_stat_id fault_objects;  /* fault objects allocated */
	hal_stat_id fault_hwpts;    /* HWPTs allocated with one (FAULT_ID_VALID): shared if more */
	hal_stat_id groups_queued;
	hal_stat_id msgs_read;
	hal_stat_id responses;
	hal_stat_id auto_responses;
	/* level (hal_stat_level_add), over every fault object: groups on
	 * deliver lists, waiting for read() */
	hal_stat_id unread;
	/* level: groups pending, read or not, until answered (by write() or an
	 * auto-response): the unbounded pending list whose high-water mark
	 * the summary reports */
	hal_stat_id pending;
};

/* Statistics ids of the vEVENTQs, registered when the context is created. */
struct iommufd_vevent_stats {
	hal_stat_id queued;    /* events queued (per device) */
	hal_stat_id lost;      /* events dropped: queue full or no memory (per device) */
	hal_stat_id read;      /* events read, LOST_EVENTS headers not counted */
};

struct iommufd_ctx {
	struct hal *hal;
	unsigned int refs;     /* /dev/iommu file, fault and vEVENTQ fds, VFIO bindings */
	struct px_idr objects; /* id -> struct iommufd_object * */
	bool releasing;
	struct iommufd_fault_stats fault_stats;
	struct iommufd_vevent_stats vevent_stats;
	hal_stat_id stage2_stats[4];   /* handler.host.*; registered with the first nesting parent */
	bool stage2_stats_registered;
};

struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	struct px_files *files;
	void *ubuffer;
	uint32_t user_size;
	void *cmd;
};

/* ---- object core (main.c) ------------------------------------------------ */

struct iommufd_object *_iommufd_object_alloc(struct iommufd_ctx *ictx, size_t size,
					     enum iommufd_object_type type, int *err);
/* The object must be the first member: a negative array size otherwise. */
#define IOMMUFD_OBJ_FIRST(ptr) \
	(0 * sizeof(char[offsetof(__typeof__(*(ptr)), obj) == 0 ? 1 : -1]))
#define iommufd_object_alloc(ictx, ptr, type, err)                                 \
	((__typeof__(ptr))_iommufd_object_alloc(ictx, sizeof(*(ptr)) + IOMMUFD_OBJ_FIRST(ptr), \
						type, err))
void iommufd_object_finalize(struct iommufd_ctx *ictx, struct iommufd_object *obj);
void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj);
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, uint32_t id,
					  enum iommufd_object_type type);
void iommufd_put_object(struct iommufd_object *obj);
static inline void iommufd_ref_object(struct iommufd_object *obj)
{
	obj->users++;
}
int iommufd_object_remove(struct iommufd_ctx *ictx, uint32_t id, bool force);
int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len);
struct px_file;
struct px_file_ops;
int iommufd_eventq_open(struct iommufd_ucmd *ucmd, struct iommufd_object *obj, const char *name,
			const struct px_file_ops *fops, void *priv, struct px_file **filep);
void iommufd_eventq_release(struct iommufd_object *obj);

/* ---- IOAS (ioas.c) ------------------------------------------------------- */

struct iopt_area {
	bool kpage;            /* pa is the host's second-stage handler's own page
	                        * (hal_page_alloc), freed with the area */
	uint64_t iova;
	uint64_t length;
	hal_paddr_t pa;
	uint32_t prot;
};

struct iommufd_ioas {
	struct iommufd_object obj;
	struct list_head hwpt_list;     /* iommufd_hwpt_paging.ioas_node */
	struct iopt_area *areas;        /* sorted by iova, non-overlapping */
	size_t nr_areas, cap_areas;
};

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
void iommufd_ioas_destroy(struct iommufd_object *obj);
int iopt_table_add_domain(struct iommufd_ioas *ioas, struct iommu_domain *domain);
int iopt_demand_page(struct iommufd_ioas *ioas, struct hal *h, uint64_t iova, bool write,
		     bool *mapped);

/* ---- HW page tables (hw_pagetable.c) ------------------------------------- */

struct iommufd_fault;

/*
 * A HWPT: paging (IOMMUFD_OBJ_HWPT_PAGING, on an IOAS) or nested
 * (IOMMUFD_OBJ_HWPT_NESTED, on a nesting-parent paging HWPT; ioas NULL).
 */
struct iommufd_hwpt_paging {
	struct iommufd_object obj;
	struct iommu_domain *domain;
	struct iommufd_ioas *ioas;      /* holds a reference; NULL when nested */
	struct iommufd_hwpt_paging *parent; /* nested: the nesting parent, holds a reference */
	unsigned int stage2_works;      /* nesting parent: groups with the host's handler */
	struct hal_waitq *stage2_wq;    /* woken when stage2_works drops to 0 */
	struct iommufd_fault *fault;    /* holds a reference; NULL: not fault-capable */
	struct list_head ioas_node;
	bool nest_parent;               /* IOMMU_HWPT_ALLOC_NEST_PARENT: may back vIOMMUs */
	bool pasid_compat;              /* IOMMU_HWPT_ALLOC_PASID: may be attached to a PASID */
	struct list_head viommus;       /* iommufd_viommu.hwpt_node */
};

int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_invalidate(struct iommufd_ucmd *ucmd);
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj);
/* stage2.c: the host's handler of second-stage faults under nested HWPTs */
int iommufd_hwpt_stage2_init(struct iommufd_ctx *ictx, struct iommufd_hwpt_paging *hwpt);
void iommufd_hwpt_stage2_fini(struct iommufd_hwpt_paging *hwpt);

static inline struct iommufd_hwpt_paging *to_hwpt_paging(struct iommufd_object *obj)
{
	return container_of(obj, struct iommufd_hwpt_paging, obj);
}

/* ---- devices (device.c) -------------------------------------------------- */

/* One attach of a device: its RID (IOMMU_NO_PASID) or one PASID. */
struct iommufd_attach {
	struct list_head node;                 /* iommufd_device.attaches */
	uint32_t pasid;
	struct iommufd_hwpt_paging *hwpt;      /* attached HWPT (holds a reference) */
	struct iommu_attach_handle *handle;    /* routes the attach's faults */
};

struct iommufd_device {
	struct iommufd_object obj;
	struct device *dev;
	struct list_head attaches;             /* iommufd_attach.node, RID and PASIDs */
	bool iopf_enabled;                     /* while an attach is fault-capable */
};

void iommufd_device_destroy(struct iommufd_object *obj);

/* ---- fault queue (fault.c) ----------------------------------------------- */

struct iommufd_fault {
	struct iommufd_object obj;
	struct hal_mutex *mutex;        /* serialises read, write and auto-response */
	struct list_head deliver;       /* iopf_group.node, not yet read */
	struct px_idr response;         /* cookie -> iopf_group, read but not answered */
	struct px_wait_head wait;          /* pollers of the fault fd */
};

void iommufd_fault_stats_register(struct iommufd_ctx *ictx);
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd);
void iommufd_fault_destroy(struct iommufd_object *obj);
int iommufd_fault_iopf_handler(struct iopf_group *group);
void iommufd_auto_response_faults(struct iommufd_hwpt_paging *hwpt,
				  struct iommu_attach_handle *handle);
unsigned int iommufd_fault_respond_all(struct iommufd_fault *fault,
				       enum iommu_page_response_code code);

/* ---- vIOMMU (viommu.c) and vEVENTQ (veventq.c) -------------------------- */

/*
 * Only what a vEVENTQ needs of a vIOMMU (Linux drivers/iommu/iommufd/viommu.c):
 * its type, its physical IOMMU, its nesting parent HWPT and its vEVENTQs.
 * The events of a device reach the vIOMMUs of the HWPT the device is
 * attached to (the stand-in for a nested HWPT on the vIOMMU).
 */
struct iommufd_viommu {
	struct iommufd_object obj;
	struct iommufd_hwpt_paging *hwpt; /* nesting parent, holds a reference */
	struct iommu_device *iommu_dev;   /* the physical IOMMU */
	uint32_t type;                    /* enum iommu_viommu_type */
	struct list_head veventqs;        /* iommufd_veventq.node, one per type */
	struct list_head hwpt_node;       /* on hwpt->viommus */
};

/* One queued event: header + payload (Linux struct iommufd_vevent). */
struct iommufd_vevent {
	struct iommufd_vevent_header header;
	struct list_head node;            /* on iommufd_veventq.deliver */
	size_t data_len;                  /* payload bytes; 0 for the LOST_EVENTS header */
	uint64_t event_data[];
};

struct iommufd_veventq {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu;    /* holds a reference */
	struct list_head node;            /* on viommu->veventqs */
	struct list_head deliver;         /* iommufd_vevent.node, oldest first */
	/* Allocated with the queue; queued (at the tail only) when events are lost. */
	struct iommufd_vevent *lost_events_header;
	uint32_t type;
	uint32_t depth;                   /* max normal events queued */
	uint32_t num_events;              /* normal events queued */
	uint32_t sequence;                /* of the next event, 0..INT_MAX */
	struct px_wait_head wait;         /* pollers of the vEVENTQ fd */
};

int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd);
void iommufd_viommu_destroy(struct iommufd_object *obj);
int iommufd_hwpt_event_handler(struct iommu_attach_handle *handle, uint32_t type,
			       const void *data, size_t len);
void iommufd_vevent_stats_register(struct iommufd_ctx *ictx);
int iommufd_veventq_alloc(struct iommufd_ucmd *ucmd);
void iommufd_veventq_destroy(struct iommufd_object *obj);
int iommufd_viommu_report_event(struct iommufd_viommu *viommu, uint16_t rid, uint32_t type,
				const void *data, size_t len);

static inline struct iommufd_viommu *iommufd_get_viommu(struct iommufd_ucmd *ucmd, uint32_t id)
{
	struct iommufd_object *obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_VIOMMU);

	return obj ? container_of(obj, struct iommufd_viommu, obj) : NULL;
}

static inline struct iommufd_hwpt_paging *iommufd_get_hwpt_paging(struct iommufd_ucmd *ucmd,
								  uint32_t id)
{
	struct iommufd_object *obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_HWPT_PAGING);

	return obj ? to_hwpt_paging(obj) : NULL;
}

/* The vEVENTQ of @type on @viommu, or NULL (one per type). */
static inline struct iommufd_veventq *iommufd_viommu_find_veventq(struct iommufd_viommu *viommu,
								 uint32_t type)
{
	struct iommufd_veventq *veventq;

	list_for_each_entry(veventq, &viommu->veventqs, node)
		if (veventq->type == type)
			return veventq;
	return NULL;
}

static inline struct iommufd_fault *iommufd_get_fault(struct iommufd_ucmd *ucmd, uint32_t id)
{
	struct iommufd_object *obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_FAULT);

	return obj ? container_of(obj, struct iommufd_fault, obj) : NULL;
}

static inline struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx, uint32_t id)
{
	struct iommufd_object *obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_IOAS);

	return obj ? container_of(obj, struct iommufd_ioas, obj) : NULL;
}

static inline struct iommufd_device *iommufd_get_device(struct iommufd_ucmd *ucmd, uint32_t id)
{
	struct iommufd_object *obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_DEVICE);

	return obj ? container_of(obj, struct iommufd_device, obj) : NULL;
}

#endif /* PRISIM_SW_IOMMUFD_PRIVATE_H */
