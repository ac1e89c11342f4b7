/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What both sample external fault handlers share (docs/external-handler.md):
 * the connection to prisim's --fault-socket, and the decision for a batch
 * of struct iommu_hwpt_pgfault records, which turns into MAP requests and
 * one RESPONSE frame of struct iommu_hwpt_page_response records.
 *
 * Only libc and the uAPI layouts of <linux/iommufd.h> (prisim's or the
 * kernel's, chosen by -I) are used; the framing is prisim/fault_socket.h.
 * On Linux the same decision serves the fault fd itself: read() gives the
 * records a FAULTS frame carries, IOMMU_IOAS_MAP does what a MAP frame asks
 * for, and write() takes the records of the RESPONSE frame.
 */
#ifndef PRISIM_EXAMPLES_FH_COMMON_H
#define PRISIM_EXAMPLES_FH_COMMON_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "prisim/fault_socket.h"

_Static_assert(sizeof(struct iommu_hwpt_pgfault) == PRISIM_FS_PGFAULT_SIZE, "uAPI layout");
_Static_assert(sizeof(struct iommu_hwpt_page_response) == PRISIM_FS_RESPONSE_SIZE, "uAPI layout");

#define FH_PAGE_SIZE 4096ull
#define FH_CONNECT_WAIT_MS 30000

struct fh_stats {
	unsigned long long faults, groups, success, invalid, maps;
};

/*
 * Connect to prisim's socket at @path, retrying while prisim has not
 * started listening yet (for up to FH_CONNECT_WAIT_MS). SIGPIPE is ignored
 * from then on.
 * Return: the socket, or -errno.
 */
static int fh_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timespec pause = { .tv_nsec = 20 * 1000 * 1000 };
	int fd, waited = 0, err;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	/* A write after prisim closed is an EPIPE to report, not a fatal signal. */
	signal(SIGPIPE, SIG_IGN);
	strcpy(addr.sun_path, path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
			return fd;
		err = errno;
		close(fd);
		if ((err != ENOENT && err != ECONNREFUSED) || waited >= FH_CONNECT_WAIT_MS)
			return -err;
		nanosleep(&pause, NULL);
		waited += 20;
	}
}

/* Check prisim's HELLO: the framing version and the record sizes. */
static int fh_check_hello(const struct prisim_fs_hdr *hdr, const void *payload)
{
	struct prisim_fs_hello hello;

	if (hdr->type != PRISIM_FS_HELLO || hdr->length != sizeof(hello))
		return -EPROTO;
	memcpy(&hello, payload, sizeof(hello));
	if (hello.version != PRISIM_FS_VERSION ||
	    hello.pgfault_size != sizeof(struct iommu_hwpt_pgfault) ||
	    hello.response_size != sizeof(struct iommu_hwpt_page_response))
		return -EPROTO;
	return 0;
}

/* Bytes of output fh_answer() may produce for @n records. */
static size_t fh_answer_size(size_t n)
{
	return n * (sizeof(struct prisim_fs_hdr) + sizeof(struct prisim_fs_map)) +
	       sizeof(struct prisim_fs_hdr) + n * sizeof(struct iommu_hwpt_page_response);
}

/* Append a frame to @out at *@len. */
static void fh_put_frame(unsigned char *out, size_t *len, uint32_t type, const void *payload,
			 uint32_t size)
{
	struct prisim_fs_hdr hdr = { .type = type, .length = size };

	memcpy(out + *len, &hdr, sizeof(hdr));
	memcpy(out + *len + sizeof(hdr), payload, size);
	*len += sizeof(hdr) + size;
}

/* A group this handler serves: no PASID, every request asks for R and/or W. */
static int fh_servable(const struct iommu_hwpt_pgfault *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (m[i].flags & IOMMU_PGFAULT_FLAGS_PASID_VALID)
			return 0;
		if (!(m[i].perm & (IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE)))
			return 0;
	}
	return 1;
}

/*
 * fh_answer - decide a batch: @n records as read() of the fault fd returns
 * them (whole groups; a group is a run of one cookie, its LAST request at
 * the end). A servable group gets a MAP per request, then SUCCESS; any
 * other group INVALID. Messages with cookie 0 cannot be answered.
 * Writes the frames to @out (fh_answer_size(n) bytes) and returns their
 * length.
 */
static size_t fh_answer(const struct iommu_hwpt_pgfault *m, size_t n, unsigned char *out,
			struct fh_stats *st)
{
	struct iommu_hwpt_page_response *resp;
	struct prisim_fs_map map;
	size_t i = 0, j, k, len = 0, nr = 0;

	resp = malloc((n ? n : 1) * sizeof(*resp));
	if (!resp)
		return 0;
	st->faults += n;
	while (i < n) {
		for (j = i + 1; j < n && m[j].cookie == m[i].cookie; j++)
			;
		if (m[i].cookie) {
			resp[nr].cookie = m[i].cookie;
			resp[nr].code = IOMMUFD_PAGE_RESP_INVALID;
			if (fh_servable(&m[i], j - i)) {
				for (k = i; k < j; k++) {
					map = (struct prisim_fs_map){
						.dev_id = m[k].dev_id,
						.iova = m[k].addr & ~(FH_PAGE_SIZE - 1),
					};
					fh_put_frame(out, &len, PRISIM_FS_MAP, &map, sizeof(map));
					st->maps++;
				}
				resp[nr].code = IOMMUFD_PAGE_RESP_SUCCESS;
				st->success++;
			} else {
				st->invalid++;
			}
			st->groups++;
			nr++;
		}
		i = j;
	}
	if (nr)
		fh_put_frame(out, &len, PRISIM_FS_RESPONSE, resp, (uint32_t)(nr * sizeof(*resp)));
	free(resp);
	return len;
}

static void fh_print_stats(const char *prog, const struct fh_stats *st)
{
	printf("%s: %llu faults, %llu groups answered (%llu success, %llu invalid), "
	       "%llu map requests\n", prog, st->faults, st->groups, st->success, st->invalid,
	       st->maps);
}

#endif /* PRISIM_EXAMPLES_FH_COMMON_H */
