/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Framing of the external fault-handler socket (prisim --fault-socket PATH;
 * docs/external-handler.md).
 *
 * prisim listens on a Unix-domain stream socket at PATH and accepts one
 * connection. Both directions carry frames: a struct prisim_fs_hdr, then
 * exactly hdr.length payload bytes. Integers are in host byte order (both
 * ends run on one host). The payloads of FAULTS and RESPONSE frames are the
 * uAPI's own bytes, unchanged:
 *
 *   prisim -> handler
 *     HELLO     struct prisim_fs_hello, once, first
 *     FAULTS    what one read() of the iommufd fault fd returned: n whole
 *               groups of struct iommu_hwpt_pgfault (n >= 1)
 *     BYE       no payload: the simulation ends; close the connection
 *   handler -> prisim
 *     MAP       struct prisim_fs_map: map a fresh zeroed page at iova in
 *               the IOAS of device dev_id (prisim does IOMMU_IOAS_MAP)
 *     RESPONSE  n >= 1 struct iommu_hwpt_page_response, exactly as the
 *               handler would write() them to the fault fd
 *
 * Lock step: after a FAULTS frame, the handler sends MAP and RESPONSE
 * frames, in any number and order, until every cookie of that frame
 * (cookie 0 excepted: it cannot be answered) has exactly one response.
 * prisim performs each MAP when it arrives and writes each RESPONSE frame
 * to the fault fd when it arrives, so a map sent before a response is in
 * place before the response reaches the kernel. Simulated time stands
 * still meanwhile. The handler sends nothing else, and nothing while no
 * FAULTS frame is waiting for answers.
 *
 * prisim reports as a protocol error, and stops serving: an unknown frame
 * type, a length that is wrong for the type, a response for a cookie that
 * is not waiting (unknown, or answered already), a code other than SUCCESS
 * or INVALID, a MAP for an unknown dev_id or an unaligned iova.
 *
 * Only fixed-size integer fields: the same header serves C and C++, the
 * simulator and handlers built against Linux's <linux/iommufd.h>.
 */
#ifndef PRISIM_FAULT_SOCKET_H
#define PRISIM_FAULT_SOCKET_H

#include <stdint.h>

#define PRISIM_FS_VERSION 1u

/* The uAPI record sizes the payloads are made of (Linux 6.18 layouts). */
#define PRISIM_FS_PGFAULT_SIZE  40u   /* sizeof(struct iommu_hwpt_pgfault) */
#define PRISIM_FS_RESPONSE_SIZE 8u    /* sizeof(struct iommu_hwpt_page_response) */

/* Largest payload either side sends: a FAULTS frame of 65536 messages. */
#define PRISIM_FS_MAX_PAYLOAD (65536u * PRISIM_FS_PGFAULT_SIZE)

enum prisim_fs_type {
	PRISIM_FS_HELLO = 1,
	PRISIM_FS_FAULTS = 2,
	PRISIM_FS_BYE = 3,
	PRISIM_FS_MAP = 16,
	PRISIM_FS_RESPONSE = 17,
};

struct prisim_fs_hdr {
	uint32_t type;          /* enum prisim_fs_type */
	uint32_t length;        /* payload bytes that follow */
};

struct prisim_fs_hello {
	uint32_t version;       /* PRISIM_FS_VERSION */
	uint32_t pgfault_size;  /* PRISIM_FS_PGFAULT_SIZE */
	uint32_t response_size; /* PRISIM_FS_RESPONSE_SIZE */
	uint32_t nr_devs;       /* devices the handler serves */
};

struct prisim_fs_map {
	uint32_t dev_id;        /* iommu_hwpt_pgfault.dev_id of the fault */
	uint32_t __reserved;    /* must be 0 */
	uint64_t iova;          /* 4 KiB aligned */
};

#endif /* PRISIM_FAULT_SOCKET_H */
