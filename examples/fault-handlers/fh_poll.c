// SPDX-License-Identifier: Apache-2.0
/*
 * fh_poll - a sample external fault handler for prisim --fault-socket,
 * with poll(), read() and write() (docs/external-handler.md).
 *
 *   prisim --fault-socket /tmp/pf.sock --set device.pages=16 &
 *   fh_poll /tmp/pf.sock
 *
 * It waits with poll() for POLLIN, reads one frame at a time, answers each
 * FAULTS frame with MAP requests and one RESPONSE frame (fh_common.h), and
 * exits 0 on BYE. Exit 1 on anything else: a closed connection, a frame
 * it does not know.
 */
#define _GNU_SOURCE /* SOCK_CLOEXEC, nanosleep with -std=c11 */
#include <poll.h>

#include "fh_common.h"

/* Read exactly @len bytes. Return: 0, -EPIPE at the end of the stream, or -errno. */
static int read_full(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t r;

	while (len) {
		r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -EPIPE;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t r;

	while (len) {
		r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Wait for the next frame and read it; *payload is grown as needed. */
static int next_frame(int fd, struct prisim_fs_hdr *hdr, unsigned char **payload, size_t *cap)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char *p;
	int rc;

	do
		rc = poll(&pfd, 1, -1);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	rc = read_full(fd, hdr, sizeof(*hdr));
	if (rc)
		return rc;
	if (hdr->length > PRISIM_FS_MAX_PAYLOAD)
		return -EPROTO;
	if (hdr->length > *cap) {
		p = realloc(*payload, hdr->length);
		if (!p)
			return -ENOMEM;
		*payload = p;
		*cap = hdr->length;
	}
	return read_full(fd, *payload, hdr->length);
}

int main(int argc, char **argv)
{
	struct fh_stats st = { 0 };
	struct prisim_fs_hdr hdr;
	unsigned char *payload = NULL, *out = NULL;
	size_t cap = 0, n, len;
	int fd, rc, ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
		return 2;
	}
	fd = fh_connect(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "fh_poll: connect %s: %s\n", argv[1], strerror(-fd));
		return 1;
	}
	rc = next_frame(fd, &hdr, &payload, &cap);
	if (!rc)
		rc = fh_check_hello(&hdr, payload);
	while (!rc) {
		rc = next_frame(fd, &hdr, &payload, &cap);
		if (rc)
			break;
		if (hdr.type == PRISIM_FS_BYE) {
			ret = 0;
			break;
		}
		if (hdr.type != PRISIM_FS_FAULTS || !hdr.length ||
		    hdr.length % sizeof(struct iommu_hwpt_pgfault)) {
			rc = -EPROTO;
			break;
		}
		n = hdr.length / sizeof(struct iommu_hwpt_pgfault);
		free(out);
		out = malloc(fh_answer_size(n));
		if (!out) {
			rc = -ENOMEM;
			break;
		}
		len = fh_answer((const struct iommu_hwpt_pgfault *)payload, n, out, &st);
		rc = len ? write_full(fd, out, len) : -ENOMEM;
	}
	if (ret)
		fprintf(stderr, "fh_poll: %s\n", rc == -EPIPE ? "prisim closed the connection" :
			rc == -EPROTO ? "unexpected frame from prisim" : strerror(-rc));
	fh_print_stats("fh_poll", &st);
	free(payload);
	free(out);
	close(fd);
	return ret;
}
