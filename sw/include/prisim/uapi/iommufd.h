/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iommufd user API, the subset prisim implements (linux-iopf.md §2).
 *
 * Layouts, flag values, ioctl numbers and error conventions are those of
 * Linux include/uapi/linux/iommufd.h, so a handler written against this
 * header ports to Linux by switching to the kernel header. Every struct size
 * and field offset is checked at compile time below.
 *
 * General ioctl rules (§2.1): the first u32 of every argument is `size`;
 * size < the command's minimum -> EINVAL; bytes beyond what the kernel knows
 * must be zero, else E2BIG; unknown ioctl -> ENOTTY; known field with an
 * unsupported value (unknown flag bits) -> EOPNOTSUPP; wrong value ->
 * EINVAL; object id not found or of the wrong type -> ENOENT.
 */
#ifndef PRISIM_UAPI_IOMMUFD_H
#define PRISIM_UAPI_IOMMUFD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
#define PX_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#define PX_ALIGNOF(type) alignof(type)
#else
#define PX_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define PX_ALIGNOF(type) _Alignof(type)
#endif

/* A u64 aligned to 8 bytes on every ABI (Linux __aligned_u64). */
typedef uint64_t px_aligned_u64 __attribute__((aligned(8)));

/*
 * Linux asm-generic ioctl encoding: dir[31:30] size[29:16] type[15:8] nr[7:0].
 * iommufd and the VFIO cdev commands all use _IO (dir 0, size 0).
 */
#define PX_IOC_NRBITS    8
#define PX_IOC_TYPEBITS  8
#define PX_IOC_NRSHIFT   0
#define PX_IOC_TYPESHIFT (PX_IOC_NRSHIFT + PX_IOC_NRBITS)
#define PX_IO(type, nr)  ((unsigned long)(((unsigned long)(type) << PX_IOC_TYPESHIFT) | \
					  ((unsigned long)(nr) << PX_IOC_NRSHIFT)))
#define PX_IOC_NR(cmd)   (((cmd) >> PX_IOC_NRSHIFT) & 0xffu)
#define PX_IOC_TYPE(cmd) (((cmd) >> PX_IOC_TYPESHIFT) & 0xffu)

#define IOMMUFD_TYPE (';')

enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,
};

/* ---- IOMMU_DESTROY: destroy any object by id ------------------------------ */

struct iommu_destroy {
	uint32_t size;
	uint32_t id;
};
#define IOMMU_DESTROY PX_IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/* ---- IOMMU_IOAS_ALLOC: new I/O address space ------------------------------ */

struct iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags;        /* must be 0 */
	uint32_t out_ioas_id;
};
#define IOMMU_IOAS_ALLOC PX_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/* ---- IOMMU_IOAS_MAP: map user memory into every domain of an IOAS --------- */

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

struct iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t __reserved;
	px_aligned_u64 user_va;
	px_aligned_u64 length;
	px_aligned_u64 iova;
};
#define IOMMU_IOAS_MAP PX_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/* ---- IOMMU_IOAS_UNMAP ------------------------------------------------------- */

/*
 * Unmap every area inside [iova, iova + length); an area the range cuts is
 * an error. iova 0 with length UINT64_MAX unmaps everything. On return
 * length holds the bytes unmapped.
 */
struct iommu_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	px_aligned_u64 iova;
	px_aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP PX_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/* ---- IOMMU_HWPT_ALLOC (§2.3) ---------------------------------------------- */

enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
	IOMMU_HWPT_DATA_RISCV_IOMMU = 0x5256494f, /* prisim only, as the vIOMMU type below */
};

/*
 * struct iommu_hwpt_riscv_iommu - data of IOMMU_HWPT_DATA_RISCV_IOMMU: a
 * nested HWPT's first stage, as the guest wrote it in its own device
 * context (RISC-V IOMMU 1.0 §3.1.3, base format), for IOMMU_HWPT_ALLOC with
 * pt_id a nesting-parent HWPT (the second stage). Not in Linux 6.18, which
 * has no RISC-V nesting; shaped after struct iommu_hwpt_arm_smmuv3 (the
 * guest's STE): the host keeps what it owns and checks the rest.
 * dc_tc: V must be 1; PDTV is refused (no guest process directories yet);
 * SADE needs capabilities.AMO_HWAD; EN_ATS, EN_PRI, T2GPA, DTF, PRPR and
 * GADE are the host's and ignored; others must be 0.
 * dc_iohgatp: must be 0 (the guest sees no second stage).
 * dc_ta: PSCID[31:12]; other bits must be 0.
 * dc_fsc: iosatp: MODE Bare or an Sv39/Sv48/Sv57 the IOMMU advertises, and
 * the root's guest-physical PPN.
 */
struct iommu_hwpt_riscv_iommu {
	px_aligned_u64 dc_tc;
	px_aligned_u64 dc_iohgatp;
	px_aligned_u64 dc_ta;
	px_aligned_u64 dc_fsc;
};

struct iommu_hwpt_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pt_id;
	uint32_t out_hwpt_id;
	uint32_t __reserved;   /* must be 0, else EOPNOTSUPP */
	uint32_t data_type;
	uint32_t data_len;
	px_aligned_u64 data_uptr;
	uint32_t fault_id;     /* with IOMMU_HWPT_FAULT_ID_VALID */
	uint32_t __reserved2;  /* documented must-be-0, not checked */
};
#define IOMMU_HWPT_ALLOC PX_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/* ---- IOMMU_HWPT_INVALIDATE: the user's first-stage caches ------------------ */

enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
	IOMMU_HWPT_INVALIDATE_DATA_RISCV_IOMMU = 0x5256494f, /* prisim only, as above */
};

/*
 * struct iommu_hwpt_invalidate - invalidate what the IOMMU caches of a
 * nested HWPT's first stage (hwpt_id), with entry_num entries of entry_len
 * bytes each at data_uptr, of data_type. entry_num is written back: the
 * entries handled, also on an error (the one that failed is not counted).
 */
struct iommu_hwpt_invalidate {
	uint32_t size;
	uint32_t hwpt_id;
	px_aligned_u64 data_uptr;
	uint32_t data_type;
	uint32_t entry_len;
	uint32_t entry_num;
	uint32_t __reserved;   /* must be 0, else EOPNOTSUPP */
};
#define IOMMU_HWPT_INVALIDATE PX_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/*
 * struct iommu_hwpt_riscv_iommu_invalidate - an entry of
 * IOMMU_HWPT_INVALIDATE_DATA_RISCV_IOMMU: one IOTINVAL.VMA command as the
 * guest wrote it in its command queue (RISC-V IOMMU 1.0 §4.1.1, two
 * little-endian doublewords). Only IOTINVAL.VMA with AV, PSCID/PSCV and
 * ADDR is taken; GV and GSCID must be 0 (the host adds its parent's), and
 * so must every reserved bit. The host sends it in the nested HWPT's GSCID
 * and follows it with ATS.INVAL to the nested HWPT's ATS devices (the
 * address's page with AV, everything without), since the guest has no
 * vDEVICE to send its own. Not in Linux 6.18 (no RISC-V nesting there).
 */
struct iommu_hwpt_riscv_iommu_invalidate {
	px_aligned_u64 cmd[2];
};

/* ---- fault messages read from / responses written to the fault fd -------- */

enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = 1 << 0,
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = 1 << 1,
};

/*
 * Bit 2 of iommu_hwpt_pgfault.flags, named here only: Linux's header does
 * not define it, but iommufd_compose_fault_message() copies the internal
 * request flags raw, so the driver's IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID
 * reaches userspace. It is set with PASID_VALID when the device requires
 * the PASID in its PRG Response. A handler meant to build against Linux's
 * header should test (1u << 2) instead.
 */
#define IOMMU_PGFAULT_FLAGS_NEEDS_PASID (1u << 2)

enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = 1 << 0,
	IOMMU_PGFAULT_PERM_WRITE = 1 << 1,
	IOMMU_PGFAULT_PERM_EXEC = 1 << 2,
	IOMMU_PGFAULT_PERM_PRIV = 1 << 3,
};

/*
 * struct iommu_hwpt_pgfault - one page request (§2.4). flags are copied raw
 * from the internal request, so bit 2 (IOMMU_PGFAULT_FLAGS_NEEDS_PASID) may
 * be set;
 * dev_id is the iommufd device object id; cookie is the same for every
 * message of a group and must be echoed in the response.
 */
struct iommu_hwpt_pgfault {
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	uint32_t __reserved;
	px_aligned_u64 addr;
	uint32_t length;
	uint32_t cookie;
};

enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

struct iommu_hwpt_page_response {
	uint32_t cookie;
	uint32_t code;
};

/* ---- IOMMU_FAULT_QUEUE_ALLOC (§2.2) --------------------------------------- */

struct iommu_fault_alloc {
	uint32_t size;
	uint32_t flags;        /* must be 0 */
	uint32_t out_fault_id;
	uint32_t out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC PX_IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/* ---- IOMMU_VIOMMU_ALLOC (vIOMMU, the parent of vEVENTQs; §2.6) ------------- */

/*
 * Upstream numbers its vIOMMU and vEVENTQ types from 1 (ARM_SMMUV3 = 1,
 * TEGRA241_CMDQV = 2) and has no RISC-V IOMMU type. prisim's RISC-V types
 * are a departure from upstream: 0x5256494f ("RVIO" in ASCII) lies far from
 * the small values upstream hands out, so it cannot meet a future upstream
 * type (the way the selftest mock uses 0xdeadbeef / 0xbeefbeef). A handler
 * built against Linux's header must define these two values itself.
 */
enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,          /* reserved */
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
	IOMMU_VIOMMU_TYPE_RISCV_IOMMU = 0x5256494f, /* prisim only */
};

/*
 * struct iommu_viommu_alloc - a vIOMMU on the physical IOMMU of dev_id,
 * backed by hwpt_id, a HWPT allocated with IOMMU_HWPT_ALLOC_NEST_PARENT.
 * data_len/data_uptr carry type-specific data (none for the RISC-V type);
 * __reserved is documented must-be-0 but not checked (as in Linux).
 */
struct iommu_viommu_alloc {
	uint32_t size;
	uint32_t flags;        /* must be 0 */
	uint32_t type;         /* enum iommu_viommu_type */
	uint32_t dev_id;
	uint32_t hwpt_id;
	uint32_t out_viommu_id;
	uint32_t data_len;
	uint32_t __reserved;
	px_aligned_u64 data_uptr;
};
#define IOMMU_VIOMMU_ALLOC PX_IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/* ---- IOMMU_VEVENTQ_ALLOC and the vEVENTQ fd (§2.6) ------------------------ */

enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = (1u << 0),
};

/*
 * struct iommufd_vevent_header - precedes every event read from a vEVENTQ
 * fd. sequence counts 0..INT_MAX and wraps to 0; every event, a lost one
 * included, takes one number, so a gap of d between two headers means d - 1
 * events were lost. A header with IOMMU_VEVENTQ_FLAG_LOST_EVENTS and no
 * payload says events were lost at the tail of the queue.
 */
struct iommufd_vevent_header {
	uint32_t flags;
	uint32_t sequence;
};

enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,          /* reserved */
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
	IOMMU_VEVENTQ_TYPE_RISCV_IOMMU = 0x5256494f, /* prisim only, see above */
};

/*
 * struct iommu_vevent_riscv_iommu - payload of IOMMU_VEVENTQ_TYPE_RISCV_IOMMU:
 * one RISC-V IOMMU fault-queue record (RISC-V IOMMU 1.0 §3.2, "Fault/Event
 * Queue"), the four little-endian doublewords as the IOMMU wrote them.
 * hdr: CAUSE[11:0] PID[31:12] PV[32] PRIV[33] TTYP[39:34] DID[63:40];
 * __reserved: bits 95:64 custom, 127:96 reserved; iotval, iotval2: the
 * faulting address and the second value the CAUSE defines. DID is the
 * physical device_id (prisim has no vDEVICE to map it to a virtual one).
 */
struct iommu_vevent_riscv_iommu {
	px_aligned_u64 hdr;
	px_aligned_u64 __reserved;
	px_aligned_u64 iotval;
	px_aligned_u64 iotval2;
};

#define IOMMU_VEVENT_RISCV_HDR_CAUSE(h) ((uint32_t)((h) & 0xfffu))
#define IOMMU_VEVENT_RISCV_HDR_PID(h)   ((uint32_t)(((h) >> 12) & 0xfffffu))
#define IOMMU_VEVENT_RISCV_HDR_PV(h)    ((uint32_t)(((h) >> 32) & 1u))
#define IOMMU_VEVENT_RISCV_HDR_PRIV(h)  ((uint32_t)(((h) >> 33) & 1u))
#define IOMMU_VEVENT_RISCV_HDR_TTYP(h)  ((uint32_t)(((h) >> 34) & 0x3fu))
#define IOMMU_VEVENT_RISCV_HDR_DID(h)   ((uint32_t)(((h) >> 40) & 0xffffffu))

/*
 * struct iommu_veventq_alloc - a vEVENTQ of one type on a vIOMMU (at most
 * one per type), holding at most veventq_depth events; its fd
 * "[iommufd-viommu-event]" reads a stream of header + payload, no padding.
 */
struct iommu_veventq_alloc {
	uint32_t size;
	uint32_t flags;        /* must be 0 */
	uint32_t viommu_id;
	uint32_t type;         /* enum iommu_veventq_type, not DEFAULT */
	uint32_t veventq_depth;
	uint32_t out_veventq_id;
	uint32_t out_veventq_fd;
	uint32_t __reserved;   /* must be 0 */
};
#define IOMMU_VEVENTQ_ALLOC PX_IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

/* ---- layout checks --------------------------------------------------------- */

#define PX_UAPI_CHECK(type, field, off) \
	PX_STATIC_ASSERT(offsetof(struct type, field) == (off), #type "." #field " offset")

PX_STATIC_ASSERT(sizeof(struct iommu_destroy) == 8, "iommu_destroy size");
PX_UAPI_CHECK(iommu_destroy, size, 0);
PX_UAPI_CHECK(iommu_destroy, id, 4);

PX_STATIC_ASSERT(sizeof(struct iommu_ioas_alloc) == 12, "iommu_ioas_alloc size");
PX_UAPI_CHECK(iommu_ioas_alloc, size, 0);
PX_UAPI_CHECK(iommu_ioas_alloc, flags, 4);
PX_UAPI_CHECK(iommu_ioas_alloc, out_ioas_id, 8);

PX_STATIC_ASSERT(sizeof(struct iommu_ioas_map) == 40, "iommu_ioas_map size");
PX_STATIC_ASSERT(PX_ALIGNOF(struct iommu_ioas_map) == 8, "iommu_ioas_map alignment");
PX_UAPI_CHECK(iommu_ioas_map, size, 0);
PX_UAPI_CHECK(iommu_ioas_map, flags, 4);
PX_UAPI_CHECK(iommu_ioas_map, ioas_id, 8);
PX_UAPI_CHECK(iommu_ioas_map, __reserved, 12);
PX_UAPI_CHECK(iommu_ioas_map, user_va, 16);
PX_UAPI_CHECK(iommu_ioas_map, length, 24);
PX_UAPI_CHECK(iommu_ioas_map, iova, 32);

PX_STATIC_ASSERT(sizeof(struct iommu_hwpt_alloc) == 48, "iommu_hwpt_alloc size");
PX_STATIC_ASSERT(PX_ALIGNOF(struct iommu_hwpt_alloc) == 8, "iommu_hwpt_alloc alignment");
PX_UAPI_CHECK(iommu_hwpt_alloc, size, 0);
PX_UAPI_CHECK(iommu_hwpt_alloc, flags, 4);
PX_UAPI_CHECK(iommu_hwpt_alloc, dev_id, 8);
PX_UAPI_CHECK(iommu_hwpt_alloc, pt_id, 12);
PX_UAPI_CHECK(iommu_hwpt_alloc, out_hwpt_id, 16);
PX_UAPI_CHECK(iommu_hwpt_alloc, __reserved, 20);
PX_UAPI_CHECK(iommu_hwpt_alloc, data_type, 24);
PX_UAPI_CHECK(iommu_hwpt_alloc, data_len, 28);
PX_UAPI_CHECK(iommu_hwpt_alloc, data_uptr, 32);
PX_UAPI_CHECK(iommu_hwpt_alloc, fault_id, 40);
PX_UAPI_CHECK(iommu_hwpt_alloc, __reserved2, 44);

PX_STATIC_ASSERT(sizeof(struct iommu_hwpt_pgfault) == 40, "iommu_hwpt_pgfault size");
PX_STATIC_ASSERT(PX_ALIGNOF(struct iommu_hwpt_pgfault) == 8, "iommu_hwpt_pgfault alignment");
PX_UAPI_CHECK(iommu_hwpt_pgfault, flags, 0);
PX_UAPI_CHECK(iommu_hwpt_pgfault, dev_id, 4);
PX_UAPI_CHECK(iommu_hwpt_pgfault, pasid, 8);
PX_UAPI_CHECK(iommu_hwpt_pgfault, grpid, 12);
PX_UAPI_CHECK(iommu_hwpt_pgfault, perm, 16);
PX_UAPI_CHECK(iommu_hwpt_pgfault, __reserved, 20);
PX_UAPI_CHECK(iommu_hwpt_pgfault, addr, 24);
PX_UAPI_CHECK(iommu_hwpt_pgfault, length, 32);
PX_UAPI_CHECK(iommu_hwpt_pgfault, cookie, 36);

PX_STATIC_ASSERT(sizeof(struct iommu_hwpt_page_response) == 8, "page_response size");
PX_UAPI_CHECK(iommu_hwpt_page_response, cookie, 0);
PX_UAPI_CHECK(iommu_hwpt_page_response, code, 4);

PX_STATIC_ASSERT(sizeof(struct iommu_fault_alloc) == 16, "iommu_fault_alloc size");
PX_UAPI_CHECK(iommu_fault_alloc, size, 0);
PX_UAPI_CHECK(iommu_fault_alloc, flags, 4);
PX_UAPI_CHECK(iommu_fault_alloc, out_fault_id, 8);
PX_UAPI_CHECK(iommu_fault_alloc, out_fault_fd, 12);

PX_STATIC_ASSERT(sizeof(struct iommu_viommu_alloc) == 40, "iommu_viommu_alloc size");
PX_STATIC_ASSERT(PX_ALIGNOF(struct iommu_viommu_alloc) == 8, "iommu_viommu_alloc alignment");
PX_UAPI_CHECK(iommu_viommu_alloc, size, 0);
PX_UAPI_CHECK(iommu_viommu_alloc, flags, 4);
PX_UAPI_CHECK(iommu_viommu_alloc, type, 8);
PX_UAPI_CHECK(iommu_viommu_alloc, dev_id, 12);
PX_UAPI_CHECK(iommu_viommu_alloc, hwpt_id, 16);
PX_UAPI_CHECK(iommu_viommu_alloc, out_viommu_id, 20);
PX_UAPI_CHECK(iommu_viommu_alloc, data_len, 24);
PX_UAPI_CHECK(iommu_viommu_alloc, __reserved, 28);
PX_UAPI_CHECK(iommu_viommu_alloc, data_uptr, 32);

PX_STATIC_ASSERT(sizeof(struct iommufd_vevent_header) == 8, "iommufd_vevent_header size");
PX_UAPI_CHECK(iommufd_vevent_header, flags, 0);
PX_UAPI_CHECK(iommufd_vevent_header, sequence, 4);

PX_STATIC_ASSERT(sizeof(struct iommu_hwpt_invalidate) == 32, "iommu_hwpt_invalidate size");
PX_STATIC_ASSERT(PX_ALIGNOF(struct iommu_hwpt_invalidate) == 8, "iommu_hwpt_invalidate alignment");
PX_UAPI_CHECK(iommu_hwpt_invalidate, size, 0);
PX_UAPI_CHECK(iommu_hwpt_invalidate, hwpt_id, 4);
PX_UAPI_CHECK(iommu_hwpt_invalidate, data_uptr, 8);
PX_UAPI_CHECK(iommu_hwpt_invalidate, data_type, 16);
PX_UAPI_CHECK(iommu_hwpt_invalidate, entry_len, 20);
PX_UAPI_CHECK(iommu_hwpt_invalidate, entry_num, 24);
PX_UAPI_CHECK(iommu_hwpt_invalidate, __reserved, 28);

PX_STATIC_ASSERT(sizeof(struct iommu_hwpt_riscv_iommu_invalidate) == 16,
		 "iommu_hwpt_riscv_iommu_invalidate size");
PX_UAPI_CHECK(iommu_hwpt_riscv_iommu_invalidate, cmd, 0);

PX_STATIC_ASSERT(sizeof(struct iommu_hwpt_riscv_iommu) == 32, "iommu_hwpt_riscv_iommu size");
PX_STATIC_ASSERT(PX_ALIGNOF(struct iommu_hwpt_riscv_iommu) == 8,
		 "iommu_hwpt_riscv_iommu alignment");
PX_UAPI_CHECK(iommu_hwpt_riscv_iommu, dc_tc, 0);
PX_UAPI_CHECK(iommu_hwpt_riscv_iommu, dc_iohgatp, 8);
PX_UAPI_CHECK(iommu_hwpt_riscv_iommu, dc_ta, 16);
PX_UAPI_CHECK(iommu_hwpt_riscv_iommu, dc_fsc, 24);

PX_STATIC_ASSERT(sizeof(struct iommu_vevent_riscv_iommu) == 32, "iommu_vevent_riscv_iommu size");
PX_STATIC_ASSERT(PX_ALIGNOF(struct iommu_vevent_riscv_iommu) == 8,
		 "iommu_vevent_riscv_iommu alignment");
PX_UAPI_CHECK(iommu_vevent_riscv_iommu, hdr, 0);
PX_UAPI_CHECK(iommu_vevent_riscv_iommu, __reserved, 8);
PX_UAPI_CHECK(iommu_vevent_riscv_iommu, iotval, 16);
PX_UAPI_CHECK(iommu_vevent_riscv_iommu, iotval2, 24);

PX_STATIC_ASSERT(sizeof(struct iommu_veventq_alloc) == 32, "iommu_veventq_alloc size");
PX_UAPI_CHECK(iommu_veventq_alloc, size, 0);
PX_UAPI_CHECK(iommu_veventq_alloc, flags, 4);
PX_UAPI_CHECK(iommu_veventq_alloc, viommu_id, 8);
PX_UAPI_CHECK(iommu_veventq_alloc, type, 12);
PX_UAPI_CHECK(iommu_veventq_alloc, veventq_depth, 16);
PX_UAPI_CHECK(iommu_veventq_alloc, out_veventq_id, 20);
PX_UAPI_CHECK(iommu_veventq_alloc, out_veventq_fd, 24);
PX_UAPI_CHECK(iommu_veventq_alloc, __reserved, 28);

PX_STATIC_ASSERT(IOMMU_DESTROY == 0x3b80ul, "_IO(';', 0x80)");
PX_STATIC_ASSERT(IOMMU_IOAS_ALLOC == 0x3b81ul, "_IO(';', 0x81)");
PX_STATIC_ASSERT(IOMMU_IOAS_MAP == 0x3b85ul, "_IO(';', 0x85)");
PX_STATIC_ASSERT(IOMMU_HWPT_ALLOC == 0x3b89ul, "_IO(';', 0x89)");
PX_STATIC_ASSERT(IOMMU_HWPT_INVALIDATE == 0x3b8dul, "_IO(';', 0x8d)");
PX_STATIC_ASSERT(IOMMU_FAULT_QUEUE_ALLOC == 0x3b8eul, "_IO(';', 0x8e)");
PX_STATIC_ASSERT(IOMMU_VIOMMU_ALLOC == 0x3b90ul, "_IO(';', 0x90)");
PX_STATIC_ASSERT(IOMMU_VEVENTQ_ALLOC == 0x3b93ul, "_IO(';', 0x93)");

#ifdef __cplusplus
}
#endif

#endif /* PRISIM_UAPI_IOMMUFD_H */
