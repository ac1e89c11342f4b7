// SPDX-License-Identifier: Apache-2.0
/* The unit-test HAL: see fake_hal.h. */
#include "fake_hal.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_PAGE       4096u
#define FAKE_MAX_IRQ    64u
#define FAKE_MAX_DEV    32u
#define FAKE_MAX_IOMMU  8u
#define FAKE_LOG_MAX    512u
#define FAKE_MAX_STATS  256u           /* distinct statistic names */
#define FAKE_STAT_NAME  64u            /* longest name + 1 */
#define FAKE_MAX_STAT_DEVS 64u         /* distinct RIDs that count */
#define FAKE_STAT_HASH  512u           /* slots of the name index: 2 x FAKE_MAX_STATS */

struct fake_kv {
	char *key;
	uint64_t u64;
	char *str;
};

struct fake_irq {
	bool used;
	hal_irq_fn hardirq;
	hal_irq_fn thread_fn;
	void *arg;
};

/* One counter; touched once counted (even by 0): only those "exist". */
struct fake_stat {
	uint64_t value;
	bool touched;
};

struct fake_pci {
	struct hal_pci_dev_info info;
	uint8_t cfg[FAKE_CFG_SIZE];
	fake_cfg_read_fn cfg_rd;
	fake_cfg_write_fn cfg_wr;
	void *cfg_arg;
};

struct hal_task {
	const char *name;
	void (*fn)(void *arg);
	void *arg;
	bool deferred;        /* FAKE_TASK_DEFER: waits for hal_flush_work() */
};

struct hal_waitq {
	struct hal *h;
	unsigned int wakes;
};

struct hal_mutex {
	struct hal *h;
	bool held;
};

struct hal {
	void *priv;
	struct hal_iommu_info iommus[FAKE_MAX_IOMMU];
	unsigned int nr_iommus;
	unsigned int nr_devs;

	fake_mmio_read_fn mmio_rd;
	fake_mmio_write_fn mmio_wr;
	void *mmio_arg;

	void *dram_raw;
	uint8_t *dram;           /* dram_raw aligned up to a page */
	uint32_t *page_run;      /* pages in the allocation starting here, 0 if none;
				  * FAKE_DATA_PAGE for a hal_page_alloc() page */
	bool *page_used;
	unsigned int nr_pages;
	unsigned int dma_live;

	struct fake_kv *params;
	unsigned int nr_params;

	unsigned int nr_stat_names;
	unsigned int nr_stat_devs;
	/* Names by hash (open addressing): id + 1, 0 = empty. */
	uint16_t stat_hash[FAKE_STAT_HASH];

	unsigned int fail_nth;
	unsigned int fail_calls;
	bool failed;
	char failed_site[64];
	char *fail_prefix;

	/* The host channel (its bytes are in the tables below). */
	bool chan_open;
	size_t chan_in_len, chan_in_off;
	size_t chan_out_len;

	enum fake_task_mode task_mode;
	struct hal_task tasks[16];
	unsigned int nr_tasks;
	unsigned int flushes; /* hal_flush_work() calls */
	struct hal_task *current;

	struct fake_irq irqs[FAKE_MAX_IRQ];
	unsigned int next_irq;

	uint64_t now_ps;
	uint64_t charged_ps;
	uint64_t slept_ps;
	unsigned int timed_waits;
	uint64_t charges[HAL_COST__COUNT];
	unsigned int wakeups;
	void (*wait_hook)(void *arg);
	void *wait_hook_arg;
	void (*poll_hook)(void *arg);
	void *poll_hook_arg;
	void (*charge_hook)(void *arg);
	void *charge_hook_arg;
	enum hal_cost charge_hook_cost;
	unsigned int objects_live;
	unsigned int log_count[HAL_LOG_ERROR + 1];
	char last_log[HAL_LOG_ERROR + 1][FAKE_LOG_MAX];
	bool verbose;

	/*
	 * The large tables, last (FAKE_HAL_TABLES is the first): only the part
	 * below their count is ever used, and only that is cleared on reset.
	 */
	struct fake_pci devs[FAKE_MAX_DEV];
	/*
	 * Statistics, in fixed tables (no heap block, so leak checks never see
	 * them): names by id, counters by id, per-device counters by slot and id.
	 */
	char stat_names[FAKE_MAX_STATS][FAKE_STAT_NAME];
	struct fake_stat stats[FAKE_MAX_STATS];
	uint16_t stat_dev_rid[FAKE_MAX_STAT_DEVS];
	struct fake_stat stat_dev[FAKE_MAX_STAT_DEVS][FAKE_MAX_STATS];
	uint64_t stat_level[FAKE_MAX_STATS];     /* hal_stat_level_add, by id */
	uint64_t stat_level_hwm[FAKE_MAX_STATS];
	/* The host channel: bytes reads return, bytes written (fixed: no heap block). */
	uint8_t chan_in[FAKE_CHAN_BYTES];
	uint8_t chan_out[FAKE_CHAN_BYTES];
};
#define FAKE_HAL_TABLES devs

static void fake_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fake_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fake_hal: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

static char *fake_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (!d)
		fake_die("out of memory\n");
	return memcpy(d, s, n);
}

struct hal *fake_hal_create(void)
{
	struct hal *h = calloc(1, sizeof(*h));

	if (!h)
		fake_die("out of memory\n");
	h->nr_pages = FAKE_DRAM_SIZE / FAKE_PAGE;
	h->dram_raw = malloc(FAKE_DRAM_SIZE + FAKE_PAGE);
	h->dram = (uint8_t *)(((uintptr_t)h->dram_raw + FAKE_PAGE - 1) &
			      ~(uintptr_t)(FAKE_PAGE - 1));
	h->page_run = calloc(h->nr_pages, sizeof(*h->page_run));
	h->page_used = calloc(h->nr_pages, sizeof(*h->page_used));
	if (!h->dram_raw || !h->page_run || !h->page_used)
		fake_die("out of memory\n");
	h->next_irq = 1;
	h->verbose = getenv("FAKE_HAL_VERBOSE") != NULL;
	return h;
}

static void fake_kv_free(struct fake_kv *kv, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].str);
	}
	free(kv);
}

/*
 * Back to what fake_hal_create() returned, without a new allocation: the
 * DRAM arena and its page tables are kept (every page must be free, so they
 * are as created), the rest is zeroed. Only the used part of the large tables
 * is cleared; an entry past a table's count is never read.
 */
void fake_hal_reset(struct hal *h)
{
	void *dram_raw = h->dram_raw;
	uint8_t *dram = h->dram;
	uint32_t *page_run = h->page_run;
	bool *page_used = h->page_used;
	unsigned int nr_pages = h->nr_pages, i;

	if (h->dma_live || h->objects_live)
		fake_die("reset with %u DRAM pages and %u mutexes/waitqs live\n", h->dma_live,
			 h->objects_live);
	fake_kv_free(h->params, h->nr_params);
	free(h->fail_prefix);
	memset(h->devs, 0, h->nr_devs * sizeof(h->devs[0]));
	memset(h->stat_names, 0, h->nr_stat_names * sizeof(h->stat_names[0]));
	memset(h->stats, 0, h->nr_stat_names * sizeof(h->stats[0]));
	memset(h->stat_level, 0, h->nr_stat_names * sizeof(h->stat_level[0]));
	memset(h->stat_level_hwm, 0, h->nr_stat_names * sizeof(h->stat_level_hwm[0]));
	for (i = 0; i < h->nr_stat_devs; i++)
		memset(h->stat_dev[i], 0, h->nr_stat_names * sizeof(h->stat_dev[i][0]));
	memset(h->stat_dev_rid, 0, sizeof(h->stat_dev_rid));
	memset(h->chan_in, 0, h->chan_in_len);
	memset(h->chan_out, 0, h->chan_out_len);
	memset(h, 0, offsetof(struct hal, FAKE_HAL_TABLES));
	h->dram_raw = dram_raw;
	h->dram = dram;
	h->page_run = page_run;
	h->page_used = page_used;
	h->nr_pages = nr_pages;
	h->next_irq = 1;
	h->verbose = getenv("FAKE_HAL_VERBOSE") != NULL;
}

void fake_hal_destroy(struct hal *h)
{
	if (!h)
		return;
	free(h->dram_raw);
	free(h->page_run);
	free(h->page_used);
	fake_kv_free(h->params, h->nr_params);
	free(h->fail_prefix);
	free(h);
}

void fake_hal_set_priv(struct hal *h, void *priv)
{
	h->priv = priv;
}

void *fake_hal_priv(struct hal *h)
{
	return h->priv;
}

/* ---- machine description ------------------------------------------------------ */

unsigned int fake_hal_add_iommu(struct hal *h, hal_paddr_t base)
{
	if (h->nr_iommus == FAKE_MAX_IOMMU)
		fake_die("too many IOMMUs\n");
	h->iommus[h->nr_iommus] = (struct hal_iommu_info){ .base = base, .index = h->nr_iommus };
	return h->nr_iommus++;
}

void fake_hal_set_iommu_wires(struct hal *h, unsigned int idx, unsigned int first, unsigned int n)
{
	if (idx >= h->nr_iommus || first + n > FAKE_MAX_IRQ)
		fake_die("no IOMMU %u, or wires beyond irq %u\n", idx, FAKE_MAX_IRQ);
	h->iommus[idx].wired_irq_base = first;
	h->iommus[idx].nr_wired_irqs = n;
}

unsigned int fake_hal_add_pci_dev(struct hal *h, uint16_t rid, unsigned int iommu,
				  hal_paddr_t bar0, uint64_t bar0_size)
{
	struct fake_pci *d;

	if (h->nr_devs == FAKE_MAX_DEV)
		fake_die("too many PCI devices\n");
	d = &h->devs[h->nr_devs];
	memset(d, 0, sizeof(*d));
	d->info = (struct hal_pci_dev_info){
		.rid = rid, .iommu = iommu, .bar0 = bar0, .bar0_size = bar0_size,
	};
	return h->nr_devs++;
}

static struct fake_pci *fake_find_pci(struct hal *h, uint16_t rid)
{
	unsigned int i;

	for (i = 0; i < h->nr_devs; i++)
		if (h->devs[i].info.rid == rid)
			return &h->devs[i];
	return NULL;
}

void fake_hal_cfg_set(struct hal *h, uint16_t rid, unsigned int off, unsigned int size,
		      uint32_t val)
{
	struct fake_pci *d = fake_find_pci(h, rid);

	if (!d || off + size > FAKE_CFG_SIZE)
		fake_die("cfg_set %04x+%#x\n", rid, off);
	memcpy(&d->cfg[off], &val, size);
}

uint8_t *fake_hal_cfg_space(struct hal *h, uint16_t rid)
{
	struct fake_pci *d = fake_find_pci(h, rid);

	return d ? d->cfg : NULL;
}

void fake_hal_set_pci_cfg(struct hal *h, uint16_t rid, fake_cfg_read_fn rd, fake_cfg_write_fn wr,
			  void *arg)
{
	struct fake_pci *d = fake_find_pci(h, rid);

	if (!d)
		fake_die("set_pci_cfg: no device %04x\n", rid);
	d->cfg_rd = rd;
	d->cfg_wr = wr;
	d->cfg_arg = arg;
}

void fake_hal_set_mmio(struct hal *h, fake_mmio_read_fn rd, fake_mmio_write_fn wr, void *arg)
{
	h->mmio_rd = rd;
	h->mmio_wr = wr;
	h->mmio_arg = arg;
}

unsigned int hal_iommu_count(struct hal *h)
{
	return h->nr_iommus;
}

const struct hal_iommu_info *hal_iommu(struct hal *h, unsigned int idx)
{
	return idx < h->nr_iommus ? &h->iommus[idx] : NULL;
}

unsigned int hal_pci_dev_count(struct hal *h)
{
	return h->nr_devs;
}

const struct hal_pci_dev_info *hal_pci_dev(struct hal *h, unsigned int idx)
{
	return idx < h->nr_devs ? &h->devs[idx].info : NULL;
}

uint32_t hal_pci_cfg_read(struct hal *h, uint16_t rid, unsigned int off, unsigned int size)
{
	struct fake_pci *d = fake_find_pci(h, rid);
	uint32_t val = 0;

	h->charges[HAL_COST_CFG_ACCESS]++;
	if (!d || off + size > FAKE_CFG_SIZE)
		return 0xffffffffu;
	if (d->cfg_rd)
		d->cfg_rd(d->cfg_arg, rid, off, size);
	memcpy(&val, &d->cfg[off], size);
	return val;
}

void hal_pci_cfg_write(struct hal *h, uint16_t rid, unsigned int off, unsigned int size,
		       uint32_t val)
{
	struct fake_pci *d = fake_find_pci(h, rid);

	h->charges[HAL_COST_CFG_ACCESS]++;
	if (!d || off + size > FAKE_CFG_SIZE)
		return;
	if (d->cfg_wr && d->cfg_wr(d->cfg_arg, rid, off, size, val))
		return;
	memcpy(&d->cfg[off], &val, size);
}

/* ---- params and stats ----------------------------------------------------------- */

static struct fake_kv *fake_kv_find(struct fake_kv *kv, unsigned int n, const char *key)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return &kv[i];
	return NULL;
}

static struct fake_kv *fake_kv_add(struct fake_kv **kv, unsigned int *n, const char *key)
{
	struct fake_kv *e = fake_kv_find(*kv, *n, key);
	struct fake_kv *nkv;

	if (e)
		return e;
	nkv = realloc(*kv, (*n + 1) * sizeof(*nkv));
	if (!nkv)
		fake_die("out of memory\n");
	*kv = nkv;
	e = &nkv[(*n)++];
	memset(e, 0, sizeof(*e));
	e->key = fake_strdup(key);
	if (!e->key)
		fake_die("out of memory\n");
	return e;
}

void fake_hal_set_param_u64(struct hal *h, const char *key, uint64_t val)
{
	fake_kv_add(&h->params, &h->nr_params, key)->u64 = val;
}

void fake_hal_set_param_str(struct hal *h, const char *key, const char *val)
{
	struct fake_kv *e = fake_kv_add(&h->params, &h->nr_params, key);

	free(e->str);
	e->str = fake_strdup(val);
}

uint64_t hal_param_u64(struct hal *h, const char *key)
{
	struct fake_kv *e = fake_kv_find(h->params, h->nr_params, key);

	if (!e)
		fake_die("unknown parameter '%s' (set it with fake_hal_set_param_u64)\n", key);
	return e->u64;
}

const char *hal_param_str(struct hal *h, const char *key)
{
	struct fake_kv *e = fake_kv_find(h->params, h->nr_params, key);

	if (!e || !e->str)
		fake_die("unknown parameter '%s' (set it with fake_hal_set_param_str)\n", key);
	return e->str;
}

/* The slot of name in stat_hash: where it is, or the empty slot it would take. */
static unsigned int fake_stat_slot(const struct hal *h, const char *name)
{
	uint32_t x = 2166136261u; /* FNV-1a */
	const char *c;
	unsigned int slot;

	for (c = name; *c; c++)
		x = (x ^ (uint8_t)*c) * 16777619u;
	for (slot = x % FAKE_STAT_HASH; h->stat_hash[slot];
	     slot = (slot + 1) % FAKE_STAT_HASH)
		if (!strcmp(h->stat_names[h->stat_hash[slot] - 1], name))
			break;
	return slot;
}

/* The id of a registered name, or -1. */
static int fake_stat_id(const struct hal *h, const char *name)
{
	return (int)h->stat_hash[fake_stat_slot(h, name)] - 1;
}

/* ids are indexes into stat_names; the same name gives the same id. */
hal_stat_id hal_stat_register(struct hal *h, const char *name)
{
	unsigned int slot = fake_stat_slot(h, name);

	if (h->stat_hash[slot])
		return h->stat_hash[slot] - 1u;
	if (h->nr_stat_names == FAKE_MAX_STATS)
		fake_die("more than %u statistic names\n", FAKE_MAX_STATS);
	if (strlen(name) >= FAKE_STAT_NAME)
		fake_die("statistic name '%s' longer than %u characters\n", name,
			 FAKE_STAT_NAME - 1);
	snprintf(h->stat_names[h->nr_stat_names], FAKE_STAT_NAME, "%s", name);
	h->stat_hash[slot] = (uint16_t)(h->nr_stat_names + 1);
	return h->nr_stat_names++;
}

static void fake_stat_count(struct fake_stat *s, uint64_t delta)
{
	s->value += delta;
	s->touched = true;
}

void hal_stat_inc(struct hal *h, hal_stat_id id, uint64_t delta)
{
	if (id >= h->nr_stat_names)
		fake_die("statistic id %u was never registered\n", id);
	fake_stat_count(&h->stats[id], delta);
}

static int fake_stat_dev_slot(struct hal *h, uint16_t rid, bool add)
{
	unsigned int i;

	for (i = 0; i < h->nr_stat_devs; i++)
		if (h->stat_dev_rid[i] == rid)
			return (int)i;
	if (!add)
		return -1;
	if (h->nr_stat_devs == FAKE_MAX_STAT_DEVS)
		fake_die("more than %u devices count statistics\n", FAKE_MAX_STAT_DEVS);
	h->stat_dev_rid[h->nr_stat_devs] = rid;
	return (int)h->nr_stat_devs++;
}

void hal_stat_dev_inc(struct hal *h, uint16_t rid, hal_stat_id id, uint64_t delta)
{
	hal_stat_inc(h, id, delta);
	fake_stat_count(&h->stat_dev[fake_stat_dev_slot(h, rid, true)][id], delta);
}

void hal_stat_add(struct hal *h, const char *name, uint64_t delta)
{
	hal_stat_inc(h, hal_stat_register(h, name), delta);
}

void hal_stat_dev_add(struct hal *h, uint16_t rid, const char *name, uint64_t delta)
{
	hal_stat_dev_inc(h, rid, hal_stat_register(h, name), delta);
}

void hal_stat_level_add(struct hal *h, hal_stat_id id, int64_t delta)
{
	uint64_t *l;

	if (id >= h->nr_stat_names)
		fake_die("statistic id %u was never registered\n", id);
	l = &h->stat_level[id];
	if (delta < 0 && (uint64_t)-delta > *l)
		fake_die("level '%s' would go below 0 (%llu %lld)\n", h->stat_names[id],
			 (unsigned long long)*l, (long long)delta);
	*l += (uint64_t)delta;
	if (*l > h->stat_level_hwm[id])
		h->stat_level_hwm[id] = *l;
}

static int fake_stat_level_id(struct hal *h, const char *name)
{
	if (strncmp(name, "sw.", 3))
		return -1;
	return fake_stat_id(h, name + 3);
}

uint64_t fake_hal_stat_level(struct hal *h, const char *name)
{
	int id = fake_stat_level_id(h, name);

	return id < 0 ? 0 : h->stat_level[id];
}

uint64_t fake_hal_stat_level_hwm(struct hal *h, const char *name)
{
	int id = fake_stat_level_id(h, name);

	return id < 0 ? 0 : h->stat_level_hwm[id];
}

/* The counter results.json would call @name ("sw.<name>", "sw.dev.<rid>.<name>"). */
static const struct fake_stat *fake_stat_find(struct hal *h, const char *name)
{
	unsigned int rid;
	int slot = -1, id;
	char *end;

	if (strncmp(name, "sw.", 3))
		return NULL;
	name += 3;
	if (!strncmp(name, "dev.", 4)) {
		rid = (unsigned int)strtoul(name + 4, &end, 16);
		if (end != name + 8 || *end != '.' || rid > 0xffffu)
			return NULL;
		slot = fake_stat_dev_slot(h, (uint16_t)rid, false);
		if (slot < 0)
			return NULL;
		name = end + 1;
	}
	id = fake_stat_id(h, name);
	if (id < 0)
		return NULL;
	return slot < 0 ? &h->stats[id] : &h->stat_dev[slot][id];
}

uint64_t fake_hal_stat(struct hal *h, const char *name)
{
	const struct fake_stat *s = fake_stat_find(h, name);

	return s ? s->value : 0;
}

bool fake_hal_stat_exists(struct hal *h, const char *name)
{
	const struct fake_stat *s = fake_stat_find(h, name);

	return s && s->touched;
}

/*
 * Counters restart from nothing; registered names (and their ids) stay valid.
 * Only ids below nr_stat_names and slots below nr_stat_devs were ever counted.
 */
void fake_hal_stats_clear(struct hal *h)
{
	unsigned int i;

	memset(h->stats, 0, h->nr_stat_names * sizeof(h->stats[0]));
	for (i = 0; i < h->nr_stat_devs; i++)
		memset(h->stat_dev[i], 0, h->nr_stat_names * sizeof(h->stat_dev[i][0]));
	memset(h->stat_dev_rid, 0, sizeof(h->stat_dev_rid));
	h->nr_stat_devs = 0;
}

/* ---- fault injection -------------------------------------------------------------- */

void fake_hal_fail_nth(struct hal *h, unsigned int n)
{
	h->fail_nth = n;
	h->fail_calls = 0;
	h->failed = false;
	h->failed_site[0] = 0;
}

void fake_hal_fail_filter(struct hal *h, const char *prefix)
{
	free(h->fail_prefix);
	h->fail_prefix = prefix ? fake_strdup(prefix) : NULL;
}

unsigned int fake_hal_fail_calls(struct hal *h)
{
	return h->fail_calls;
}

bool fake_hal_failed(struct hal *h)
{
	return h->failed;
}

const char *fake_hal_failed_site(struct hal *h)
{
	return h->failed_site;
}

bool hal_host_chan_open(struct hal *h)
{
	return h->chan_open;
}

/* Past the bytes fed: the peer closed the stream. */
int hal_host_chan_read(struct hal *h, void *buf, size_t len)
{
	if (!h->chan_open)
		return -ENOTCONN;
	if (len > h->chan_in_len - h->chan_in_off) {
		h->chan_open = false;
		return -EPIPE;
	}
	memcpy(buf, h->chan_in + h->chan_in_off, len);
	h->chan_in_off += len;
	return 0;
}

int hal_host_chan_write(struct hal *h, const void *buf, size_t len)
{
	if (!h->chan_open)
		return -ENOTCONN;
	if (len > sizeof(h->chan_out) - h->chan_out_len)
		fake_die("host channel: more than %zu bytes written\n", sizeof(h->chan_out));
	memcpy(h->chan_out + h->chan_out_len, buf, len);
	h->chan_out_len += len;
	return 0;
}

void hal_host_chan_close(struct hal *h)
{
	h->chan_open = false;
}

void fake_hal_host_chan_open(struct hal *h)
{
	h->chan_open = true;
	h->chan_in_len = h->chan_in_off = h->chan_out_len = 0;
}

void fake_hal_host_chan_feed(struct hal *h, const void *buf, size_t len)
{
	if (len > sizeof(h->chan_in) - h->chan_in_len)
		fake_die("host channel: more than %zu bytes fed\n", sizeof(h->chan_in));
	memcpy(h->chan_in + h->chan_in_len, buf, len);
	h->chan_in_len += len;
}

const uint8_t *fake_hal_host_chan_out(struct hal *h, size_t *len)
{
	*len = h->chan_out_len;
	return h->chan_out;
}

void hal_fault_stamp(struct hal *h, uint16_t rid, uint32_t pasid, uint32_t prgi,
		     enum hal_fault_mark mark)
{
	(void)h;
	(void)rid;
	(void)pasid;
	(void)prgi;
	(void)mark;
}

bool hal_should_fail(struct hal *h, const char *site)
{
	if (!h->fail_nth)
		return false;
	if (h->fail_prefix && strncmp(site, h->fail_prefix, strlen(h->fail_prefix)))
		return false;
	if (++h->fail_calls != h->fail_nth)
		return false;
	h->failed = true;
	snprintf(h->failed_site, sizeof(h->failed_site), "%s", site);
	return true;
}

/* ---- MMIO ------------------------------------------------------------------------ */

uint32_t hal_mmio_read32(struct hal *h, hal_paddr_t addr)
{
	return h->mmio_rd ? (uint32_t)h->mmio_rd(h->mmio_arg, addr, 4) : 0;
}

uint64_t hal_mmio_read64(struct hal *h, hal_paddr_t addr)
{
	return h->mmio_rd ? h->mmio_rd(h->mmio_arg, addr, 8) : 0;
}

void hal_mmio_write32(struct hal *h, hal_paddr_t addr, uint32_t val)
{
	if (h->mmio_wr)
		h->mmio_wr(h->mmio_arg, addr, val, 4);
}

void hal_mmio_write64(struct hal *h, hal_paddr_t addr, uint64_t val)
{
	if (h->mmio_wr)
		h->mmio_wr(h->mmio_arg, addr, val, 8);
}

/* ---- DRAM ------------------------------------------------------------------------- */

void *hal_dma_alloc(struct hal *h, size_t size, size_t align, hal_paddr_t *pa)
{
	unsigned int pages = (unsigned int)((size + FAKE_PAGE - 1) / FAKE_PAGE);
	unsigned int step = align > FAKE_PAGE ? (unsigned int)(align / FAKE_PAGE) : 1;
	unsigned int i, j;

	if (!size || (align & (align - 1)))
		return NULL;
	for (i = 0; i + pages <= h->nr_pages; i += step) {
		for (j = 0; j < pages && !h->page_used[i + j]; j++)
			;
		if (j < pages)
			continue;
		for (j = 0; j < pages; j++)
			h->page_used[i + j] = true;
		h->page_run[i] = pages;
		h->dma_live += pages;
		memset(h->dram + (size_t)i * FAKE_PAGE, 0, (size_t)pages * FAKE_PAGE);
		*pa = FAKE_DRAM_BASE + (hal_paddr_t)i * FAKE_PAGE;
		return h->dram + (size_t)i * FAKE_PAGE;
	}
	return NULL;
}

/* A data page: no CPU pointer is handed out for it (hal.h). */
#define FAKE_DATA_PAGE (0x80000000u | 1u)

hal_paddr_t hal_page_alloc(struct hal *h)
{
	hal_paddr_t pa;

	if (!hal_dma_alloc(h, FAKE_PAGE, FAKE_PAGE, &pa))
		return 0;
	h->page_run[(pa - FAKE_DRAM_BASE) / FAKE_PAGE] = FAKE_DATA_PAGE;
	return pa;
}

void hal_page_free(struct hal *h, hal_paddr_t pa)
{
	unsigned int i;

	if (!pa)
		return;
	if (pa < FAKE_DRAM_BASE || pa - FAKE_DRAM_BASE >= FAKE_DRAM_SIZE || pa % FAKE_PAGE)
		fake_die("page_free of %#llx: not a page\n", (unsigned long long)pa);
	i = (unsigned int)((pa - FAKE_DRAM_BASE) / FAKE_PAGE);
	if (h->page_run[i] != FAKE_DATA_PAGE)
		fake_die("page_free of %#llx: not from hal_page_alloc (or freed twice)\n",
			 (unsigned long long)pa);
	h->page_used[i] = false;
	h->page_run[i] = 0;
	h->dma_live--;
}

bool hal_phys_is_ram(struct hal *h, hal_paddr_t pa, size_t len)
{
	(void)h;
	return pa >= FAKE_DRAM_BASE && len <= FAKE_DRAM_SIZE && pa - FAKE_DRAM_BASE <= FAKE_DRAM_SIZE - len;
}

void hal_dma_free(struct hal *h, void *cpu, size_t size)
{
	size_t off;
	unsigned int i, j;

	(void)size;
	if (!cpu)
		return;
	off = (size_t)((uint8_t *)cpu - h->dram);
	if ((uint8_t *)cpu < h->dram || off >= FAKE_DRAM_SIZE || off % FAKE_PAGE)
		fake_die("dma_free of %p: not an allocation\n", cpu);
	i = (unsigned int)(off / FAKE_PAGE);
	if (!h->page_run[i])
		fake_die("dma_free of %p: double free\n", cpu);
	if (h->page_run[i] == FAKE_DATA_PAGE)
		fake_die("dma_free of %p: a hal_page_alloc() page\n", cpu);
	for (j = 0; j < h->page_run[i]; j++)
		h->page_used[i + j] = false;
	h->dma_live -= h->page_run[i];
	h->page_run[i] = 0;
}

void *hal_phys_to_virt(struct hal *h, hal_paddr_t pa)
{
	if (pa < FAKE_DRAM_BASE || pa - FAKE_DRAM_BASE >= FAKE_DRAM_SIZE)
		return NULL;
	if (h->page_run[(pa - FAKE_DRAM_BASE) / FAKE_PAGE] == FAKE_DATA_PAGE)
		return NULL; /* no CPU pointer for a data page */
	return h->dram + (pa - FAKE_DRAM_BASE);
}

hal_paddr_t hal_virt_to_phys(struct hal *h, const void *cpu)
{
	const uint8_t *p = cpu;

	if (p < h->dram || p >= h->dram + FAKE_DRAM_SIZE)
		return 0;
	return FAKE_DRAM_BASE + (hal_paddr_t)(p - h->dram);
}

void hal_wmb(struct hal *h)
{
	(void)h;
}

void hal_rmb(struct hal *h)
{
	(void)h;
}

void hal_mb(struct hal *h)
{
	(void)h;
}

/* ---- interrupts --------------------------------------------------------------------- */

int hal_msi_alloc(struct hal *h, unsigned int *irq, uint64_t *msi_addr, uint32_t *msi_data)
{
	if (h->next_irq >= FAKE_MAX_IRQ)
		return -ENOSPC;
	*irq = h->next_irq++;
	*msi_addr = FAKE_MSI_ADDR;
	*msi_data = *irq;
	return 0;
}

int hal_request_threaded_irq(struct hal *h, unsigned int irq, hal_irq_fn hardirq,
			     hal_irq_fn thread_fn, void *arg, const char *name)
{
	(void)name;
	/* the platform's codes: no handler or no such irq -EINVAL, taken -EBUSY */
	if (irq >= FAKE_MAX_IRQ || (!hardirq && !thread_fn))
		return -EINVAL;
	if (h->irqs[irq].used)
		return -EBUSY;
	h->irqs[irq] = (struct fake_irq){ true, hardirq, thread_fn, arg };
	return 0;
}

void hal_free_irq(struct hal *h, unsigned int irq)
{
	if (irq < FAKE_MAX_IRQ)
		h->irqs[irq].used = false;
}

bool fake_hal_irq_requested(struct hal *h, unsigned int irq)
{
	return irq < FAKE_MAX_IRQ && h->irqs[irq].used;
}

bool fake_hal_raise_irq(struct hal *h, unsigned int irq)
{
	struct fake_irq *i;
	enum hal_irq_ret ret = HAL_IRQ_WAKE_THREAD;

	if (!fake_hal_irq_requested(h, irq))
		return false;
	i = &h->irqs[irq];
	h->charges[HAL_COST_IRQ_ENTRY]++;
	if (i->hardirq)
		ret = i->hardirq(i->arg, irq);
	if (ret == HAL_IRQ_WAKE_THREAD && i->thread_fn)
		i->thread_fn(i->arg, irq);
	return true;
}

bool fake_hal_msi_write(struct hal *h, uint64_t addr, uint32_t data)
{
	return addr == FAKE_MSI_ADDR && fake_hal_raise_irq(h, data);
}

/* ---- time and cost ------------------------------------------------------------------ */

uint64_t hal_now_ps(struct hal *h)
{
	return h->now_ps;
}

void hal_charge(struct hal *h, enum hal_cost cost)
{
	if ((unsigned int)cost < HAL_COST__COUNT)
		h->charges[cost]++;
	h->now_ps += FAKE_CHARGE_PS;
	if (h->charge_hook && cost == h->charge_hook_cost)
		h->charge_hook(h->charge_hook_arg);
}

void fake_hal_set_charge_hook(struct hal *h, enum hal_cost cost, void (*fn)(void *arg),
			      void *arg)
{
	h->charge_hook = fn;
	h->charge_hook_arg = arg;
	h->charge_hook_cost = cost;
}

void fake_hal_set_poll_hook(struct hal *h, void (*fn)(void *arg), void *arg)
{
	h->poll_hook = fn;
	h->poll_hook_arg = arg;
}

void hal_charge_ps(struct hal *h, uint64_t ps)
{
	h->now_ps += ps;
	h->charged_ps += ps;
	if (h->poll_hook)
		h->poll_hook(h->poll_hook_arg);
}

uint64_t fake_hal_charges(struct hal *h, enum hal_cost cost)
{
	return (unsigned int)cost < HAL_COST__COUNT ? h->charges[cost] : 0;
}

uint64_t fake_hal_charged_ps(struct hal *h)
{
	return h->charged_ps;
}

unsigned int fake_hal_timed_waits(struct hal *h)
{
	return h->timed_waits;
}

uint64_t fake_hal_slept_ps(struct hal *h)
{
	return h->slept_ps;
}

/* ---- tasks, waits, locks --------------------------------------------------------------- */

void fake_hal_set_task_mode(struct hal *h, enum fake_task_mode mode)
{
	h->task_mode = mode;
}

unsigned int fake_hal_task_count(struct hal *h)
{
	return h->nr_tasks;
}

struct hal_task *hal_task_create(struct hal *h, enum hal_task_kind kind, const char *name,
				 void (*fn)(void *arg), void *arg)
{
	struct hal_task *t, *prev;

	(void)kind;
	if (h->nr_tasks == sizeof(h->tasks) / sizeof(h->tasks[0]))
		return NULL;
	t = &h->tasks[h->nr_tasks++];
	*t = (struct hal_task){ .name = name, .fn = fn, .arg = arg,
				.deferred = h->task_mode == FAKE_TASK_DEFER };
	if (h->task_mode == FAKE_TASK_SYNC) {
		prev = h->current;
		h->current = t;
		fn(arg);
		h->current = prev;
	}
	return t;
}

struct hal_task *hal_current(struct hal *h)
{
	return h->current;
}

void hal_sleep_ps(struct hal *h, uint64_t delay_ps)
{
	h->now_ps += delay_ps;
	h->slept_ps += delay_ps;
	if (h->poll_hook)
		h->poll_hook(h->poll_hook_arg);
}

struct hal_waitq *hal_waitq_create(struct hal *h)
{
	struct hal_waitq *wq;

	if (hal_should_fail(h, "hal.waitq_create"))
		return NULL;
	wq = calloc(1, sizeof(*wq));
	if (!wq)
		return NULL;
	wq->h = h;
	h->objects_live++;
	return wq;
}

void hal_waitq_destroy(struct hal_waitq *wq)
{
	if (!wq)
		return;
	wq->h->objects_live--;
	free(wq);
}

int hal_wait_event(struct hal_waitq *wq, bool (*cond)(void *arg), void *arg,
		   uint64_t timeout_ps)
{
	struct hal *h = wq->h;
	void (*hook)(void *arg) = h->wait_hook;
	unsigned int wakes = wq->wakes;

	if (timeout_ps != HAL_WAIT_FOREVER)
		h->timed_waits++;
	if (cond(arg))
		return 0;
	if (!hook)
		return -ETIMEDOUT;
	h->wait_hook = NULL;
	hook(h->wait_hook_arg);
	return wq->wakes != wakes && cond(arg) ? 0 : -ETIMEDOUT;
}

void hal_wake_up(struct hal_waitq *wq)
{
	wq->wakes++;
	wq->h->wakeups++;
}

void fake_hal_set_wait_hook(struct hal *h, void (*fn)(void *arg), void *arg)
{
	h->wait_hook = fn;
	h->wait_hook_arg = arg;
}

unsigned int fake_hal_wakeups(struct hal *h)
{
	return h->wakeups;
}

struct hal_mutex *hal_mutex_create(struct hal *h)
{
	struct hal_mutex *m;

	if (hal_should_fail(h, "hal.mutex_create"))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->h = h;
	h->objects_live++;
	return m;
}

void hal_mutex_destroy(struct hal_mutex *m)
{
	if (!m)
		return;
	if (m->held)
		fake_die("destroying a held mutex\n");
	m->h->objects_live--;
	free(m);
}

void hal_mutex_lock(struct hal_mutex *m)
{
	if (m->held)
		fake_die("mutex already held: deadlock\n");
	m->held = true;
}

void hal_mutex_unlock(struct hal_mutex *m)
{
	if (!m->held)
		fake_die("unlocking a mutex that is not held\n");
	m->held = false;
}

bool hal_mutex_held(struct hal_mutex *m)
{
	return m->held;
}

int hal_queue_work(struct hal *h, void (*fn)(void *arg), void *arg)
{
	return hal_task_create(h, HAL_TASK_KERNEL, "work", fn, arg) ? 0 : -ENOMEM;
}

/*
 * Works ran at once (FAKE_TASK_SYNC) or never run (FAKE_TASK_NEVER): there
 * is nothing to wait for. Deferred ones (FAKE_TASK_DEFER) run now, in
 * creation order, as a workqueue flush waits for them. Counted, for tests
 * of who flushes.
 */
int hal_flush_work(struct hal *h)
{
	struct hal_task *prev = h->current;
	unsigned int i;

	h->flushes++;
	for (i = 0; i < h->nr_tasks; i++) {
		struct hal_task *t = &h->tasks[i];

		if (!t->deferred)
			continue;
		t->deferred = false;
		h->current = t;
		t->fn(t->arg);
	}
	h->current = prev;
	return 0;
}

unsigned int fake_hal_deferred(struct hal *h)
{
	unsigned int i, n = 0;

	for (i = 0; i < h->nr_tasks; i++)
		n += h->tasks[i].deferred;
	return n;
}

unsigned int fake_hal_flushes(struct hal *h)
{
	return h->flushes;
}

/* ---- observability ------------------------------------------------------------------- */

void hal_log(struct hal *h, enum hal_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if ((unsigned int)lvl <= HAL_LOG_ERROR) {
		h->log_count[lvl]++;
		va_start(ap, fmt);
		vsnprintf(h->last_log[lvl], sizeof(h->last_log[lvl]), fmt, ap);
		va_end(ap);
	}
	if (!h->verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

unsigned int fake_hal_log_count(struct hal *h, enum hal_log_level lvl)
{
	return (unsigned int)lvl <= HAL_LOG_ERROR ? h->log_count[lvl] : 0;
}

const char *fake_hal_last_log(struct hal *h, enum hal_log_level lvl)
{
	return (unsigned int)lvl <= HAL_LOG_ERROR ? h->last_log[lvl] : "";
}

void fake_hal_set_verbose(struct hal *h, bool verbose)
{
	h->verbose = verbose;
}

unsigned int fake_hal_dma_live(struct hal *h)
{
	return h->dma_live;
}

unsigned int fake_hal_objects_live(struct hal *h)
{
	return h->objects_live;
}
