// SPDX-License-Identifier: Apache-2.0
/*
 * fh_uring - a sample external fault handler for prisim --fault-socket,
 * with io_uring through liburing (docs/external-handler.md).
 *
 *   prisim --fault-socket /tmp/pf.sock --set device.pages=16 &
 *   fh_uring /tmp/pf.sock
 *
 * A read is kept posted on the socket at all times: each completion is
 * appended to the input buffer, every whole frame in it is handled, and the
 * next read is posted at once. The answer to a FAULTS frame (MAP requests
 * and one RESPONSE frame, fh_common.h) goes out as write requests on the
 * same ring. Exit 0 on BYE, 1 on anything else.
 */
#define _GNU_SOURCE /* SOCK_CLOEXEC, nanosleep with -std=c11 */
#include <liburing.h>

#include "fh_common.h"

enum { TAG_READ = 1, TAG_WRITE = 2 };

struct fh_uring {
	struct io_uring ring;
	int fd;
	unsigned char *in;      /* received bytes [0, in_len) */
	size_t in_len, in_cap;
	unsigned char *out;     /* answer bytes [out_off, out_len) still to write */
	size_t out_off, out_len;
	int writing;            /* a write is in flight */
	int hello_seen;
	int bye;
	struct fh_stats st;
};

static int submit(struct fh_uring *u, int tag, void *buf, size_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	int rc;

	if (!sqe)
		return -EBUSY;
	if (tag == TAG_READ)
		io_uring_prep_read(sqe, u->fd, buf, (unsigned int)len, 0);
	else
		io_uring_prep_write(sqe, u->fd, buf, (unsigned int)len, 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)tag);
	rc = io_uring_submit(&u->ring);
	return rc < 0 ? rc : 0;
}

/* Keep a read posted: into the free end of the input buffer. */
static int post_read(struct fh_uring *u)
{
	return submit(u, TAG_READ, u->in + u->in_len, u->in_cap - u->in_len);
}

/* Handle one whole frame; its answer, if any, is queued for writing. */
static int handle_frame(struct fh_uring *u, const struct prisim_fs_hdr *hdr, const void *payload)
{
	size_t n;

	if (!u->hello_seen) {
		u->hello_seen = 1;
		return fh_check_hello(hdr, payload);
	}
	if (hdr->type == PRISIM_FS_BYE) {
		u->bye = 1;
		return 0;
	}
	if (hdr->type != PRISIM_FS_FAULTS || !hdr->length ||
	    hdr->length % sizeof(struct iommu_hwpt_pgfault))
		return -EPROTO;
	/* Lock step: prisim sends no batch before the last one is answered. */
	if (u->writing)
		return -EPROTO;
	n = hdr->length / sizeof(struct iommu_hwpt_pgfault);
	free(u->out);
	u->out = malloc(fh_answer_size(n));
	if (!u->out)
		return -ENOMEM;
	u->out_off = 0;
	u->out_len = fh_answer(payload, n, u->out, &u->st);
	return u->out_len ? 0 : -ENOMEM;
}

/* Handle every whole frame received; make room for the next one. */
static int consume(struct fh_uring *u)
{
	struct prisim_fs_hdr hdr;
	size_t off = 0, need;
	unsigned char *p;
	int rc = 0;

	while (!rc && !u->bye && u->in_len - off >= sizeof(hdr)) {
		memcpy(&hdr, u->in + off, sizeof(hdr));
		if (hdr.length > PRISIM_FS_MAX_PAYLOAD)
			return -EPROTO;
		if (u->in_len - off < sizeof(hdr) + hdr.length)
			break;
		/* The payload is copied out of the buffer: keep it aligned for the records. */
		p = malloc(hdr.length ? hdr.length : 1);
		if (!p)
			return -ENOMEM;
		memcpy(p, u->in + off + sizeof(hdr), hdr.length);
		rc = handle_frame(u, &hdr, p);
		free(p);
		off += sizeof(hdr) + hdr.length;
	}
	memmove(u->in, u->in + off, u->in_len - off);
	u->in_len -= off;
	/* A frame larger than the buffer: grow it (no read is in flight now). */
	if (!rc && u->in_len >= sizeof(hdr)) {
		memcpy(&hdr, u->in, sizeof(hdr));
		need = sizeof(hdr) + hdr.length;
		if (need > u->in_cap) {
			p = realloc(u->in, need);
			if (!p)
				return -ENOMEM;
			u->in = p;
			u->in_cap = need;
		}
	}
	return rc;
}

static int on_completion(struct fh_uring *u, uint64_t tag, int res)
{
	int rc;

	if (res < 0)
		return res;
	if (tag == TAG_WRITE) {
		u->writing = 0;
		u->out_off += (size_t)res;
	} else {
		if (!res)
			return -EPIPE;
		u->in_len += (size_t)res;
		rc = consume(u);
		if (rc)
			return rc;
		if (!u->bye) {
			rc = post_read(u);
			if (rc)
				return rc;
		}
	}
	if (!u->writing && u->out_off < u->out_len) {
		rc = submit(u, TAG_WRITE, u->out + u->out_off, u->out_len - u->out_off);
		if (rc)
			return rc;
		u->writing = 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct fh_uring u = { .in_cap = 65536 };
	struct io_uring_cqe *cqe;
	uint64_t tag;
	int rc, res;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
		return 2;
	}
	u.fd = fh_connect(argv[1]);
	if (u.fd < 0) {
		fprintf(stderr, "fh_uring: connect %s: %s\n", argv[1], strerror(-u.fd));
		return 1;
	}
	u.in = malloc(u.in_cap);
	rc = u.in ? io_uring_queue_init(8, &u.ring, 0) : -ENOMEM;
	if (rc) {
		fprintf(stderr, "fh_uring: io_uring setup: %s\n", strerror(-rc));
		free(u.in);
		close(u.fd);
		return 1;
	}
	rc = post_read(&u);
	/* Until BYE, and until the last answer is written. */
	while (!rc && (!u.bye || u.writing)) {
		rc = io_uring_wait_cqe(&u.ring, &cqe);
		if (rc == -EINTR) {
			rc = 0;
			continue;
		}
		if (rc)
			break;
		tag = io_uring_cqe_get_data64(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&u.ring, cqe);
		rc = on_completion(&u, tag, res);
	}
	if (rc)
		fprintf(stderr, "fh_uring: %s\n", rc == -EPIPE ? "prisim closed the connection" :
			rc == -EPROTO ? "unexpected frame from prisim" : strerror(-rc));
	fh_print_stats("fh_uring", &u.st);
	io_uring_queue_exit(&u.ring);
	free(u.in);
	free(u.out);
	close(u.fd);
	return rc ? 1 : 0;
}
