// SPDX-License-Identifier: Apache-2.0
/*
 * RISC-V IOMMU driver: command queue (spec/riscv-iommu.md §6, §7, §10).
 *
 * Submitters serialise on cq_lock, wait for ring space by polling cqh, write
 * their commands at cqt and ring the doorbell once per call. Completion is
 * known only through IOFENCE.C (§6.2: cqh moving says nothing): each fence
 * stores an increasing sequence number into one DMA word with AV = 1, and a
 * waiter polls that word outside the lock. Fences complete in queue order,
 * so a word value >= our number means our fence (and everything before it)
 * completed.
 *
 * Error recovery (CQ interrupt thread, §7.2):
 *   cmd_to  - the ATS.INVAL before the fence at cqh timed out; W1C and the
 *             IOMMU re-executes the fence, which then completes.
 *   cmd_ill - the command at cqh is illegal. If the slot holds a command we
 *             know (we write no other), the IOMMU read something else: the
 *             first time at this cqh we only W1C, and the IOMMU fetches it
 *             again. Otherwise (or the second time) we skip it: the slot at
 *             cqh is overwritten with a harmless IOFENCE.C (AV = 1 to the
 *             fence word, DATA = the value already there, or the original
 *             DATA if the bad command was one of our fences) and cmd_ill is
 *             W1C'd, so the IOMMU resumes with the replacement and then the
 *             commands after it. The skipped command is logged.
 *   cqmf    - memory fault fetching the command at cqh or on its own store
 *             (§7.2: cqh stays on it). The first time at this cqh we W1C and
 *             the IOMMU retries the fetch (or the fence's store), as Linux's
 *             riscv_iommu_cmdq_process() does; a second fault at the same
 *             cqh skips the command like cmd_ill.
 *   Every error is logged with the bit and the queue; a retried one is a
 *   warning (nothing is lost), a skipped one an error.
 * After RISCV_IOMMU_CQ_MAX_RETRIES consecutive errors at the same cqh the
 * queue is declared broken: cie is cleared (no interrupt storm), the error
 * bit stays set, and submitters fail with -ETIMEDOUT.
 *
 * The slot at cqh belongs to the IOMMU side of the ring (between cqh and
 * cqt), so the recovery writes it without cq_lock: submitters only write at
 * cqt. This keeps the interrupt thread from waiting behind a submitter that
 * is itself waiting for ring space on the stalled queue.
 */
#include <errno.h>
#include <string.h>

#include "riscv_iommu_priv.h"

static struct riscv_iommu_command *riscv_iommu_cq_slot(struct riscv_iommu *iommu, uint32_t idx)
{
	return (struct riscv_iommu_command *)iommu->cmdq.base + (idx & iommu->cmdq.mask);
}

static void riscv_iommu_cq_write_slot(struct riscv_iommu *iommu, uint32_t idx,
				      const struct riscv_iommu_command *cmd)
{
	struct riscv_iommu_command *slot = riscv_iommu_cq_slot(iommu, idx);

	slot->dword0 = riscv_iommu_cpu_to_le64(cmd->dword0);
	slot->dword1 = riscv_iommu_cpu_to_le64(cmd->dword1);
}

/* Wait until one more slot is free; publishes pending commands first. */
static int riscv_iommu_cq_wait_space(struct riscv_iommu *iommu, uint32_t *published)
{
	struct riscv_iommu_queue *q = &iommu->cmdq;
	uint64_t waited = 0, interval = 0;
	bool counted = false;

	for (;;) {
		if (((q->tail + 1) & q->mask) != q->head)
			return 0;
		q->head = riscv_iommu_readl(iommu, RISCV_IOMMU_REG_CQH) & q->mask;
		if (((q->tail + 1) & q->mask) != q->head)
			return 0;
		if (*published != q->tail) {
			/* the IOMMU must see what we queued, or it never frees a slot */
			hal_wmb(iommu->hal);
			riscv_iommu_writel(iommu, RISCV_IOMMU_REG_CQT, q->tail);
			*published = q->tail;
		}
		if (!counted) {
			riscv_iommu_stat(iommu, NULL, iommu->stats.cq_full_waits, 1);
			counted = true;
		}
		if (waited >= RISCV_IOMMU_QUEUE_TIMEOUT_PS) {
			riscv_iommu_err(iommu, "cq: no free slot after %llu ns (cqh=%u cqt=%u cqcsr=%#x)",
					(unsigned long long)(waited / 1000), q->head, q->tail,
					riscv_iommu_readl(iommu, RISCV_IOMMU_REG_CQCSR));
			riscv_iommu_stat(iommu, NULL, iommu->stats.cq_timeouts, 1);
			return -ETIMEDOUT;
		}
		waited += riscv_iommu_poll_delay(iommu, waited, &interval);
	}
}

/* Write n commands at cqt; cq_lock held. *published tracks the doorbell. */
static int riscv_iommu_cq_push_locked(struct riscv_iommu *iommu,
				      const struct riscv_iommu_command *cmds, unsigned int n,
				      uint32_t *published)
{
	struct riscv_iommu_queue *q = &iommu->cmdq;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		ret = riscv_iommu_cq_wait_space(iommu, published);
		if (ret)
			break;
		riscv_iommu_cq_write_slot(iommu, q->tail, &cmds[i]);
		hal_charge(iommu->hal, HAL_COST_CQ_SUBMIT);
		q->tail = (q->tail + 1) & q->mask;
	}
	if (i)
		riscv_iommu_stat(iommu, NULL, iommu->stats.cq_commands, i);
	return ret;
}

/* Ring the doorbell for what was written since *published; cq_lock held. */
static void riscv_iommu_cq_doorbell_locked(struct riscv_iommu *iommu, uint32_t *published)
{
	if (iommu->cmdq.tail == *published)
		return;
	hal_wmb(iommu->hal);
	riscv_iommu_writel(iommu, RISCV_IOMMU_REG_CQT, iommu->cmdq.tail);
	*published = iommu->cmdq.tail;
}

/**
 * riscv_iommu_cmd_send - queue commands without waiting for completion
 * @iommu: the IOMMU
 * @cmds: commands, in order
 * @n: how many
 *
 * Return: 0, or -ETIMEDOUT if the ring stayed full (the commands queued
 * before that point stay queued).
 */
int riscv_iommu_cmd_send(struct riscv_iommu *iommu, const struct riscv_iommu_command *cmds,
			 unsigned int n)
{
	uint32_t published;
	int ret;

	hal_mutex_lock(iommu->cq_lock);
	published = iommu->cmdq.tail;
	ret = riscv_iommu_cq_push_locked(iommu, cmds, n, &published);
	riscv_iommu_cq_doorbell_locked(iommu, &published);
	hal_mutex_unlock(iommu->cq_lock);
	return ret;
}

static bool riscv_iommu_fence_done(struct riscv_iommu *iommu, uint32_t seq)
{
	uint32_t done = riscv_iommu_le32_to_cpu(*(volatile uint32_t *)iommu->fence_word);

	return (int32_t)(done - seq) >= 0;
}

static int riscv_iommu_fence_wait(struct riscv_iommu *iommu, uint32_t seq)
{
	uint64_t waited = 0, interval = 0;

	for (;;) {
		hal_rmb(iommu->hal);
		if (riscv_iommu_fence_done(iommu, seq)) {
			riscv_iommu_stat(iommu, NULL, iommu->stats.cq_fence_wait_ns, waited / 1000);
			return 0;
		}
		if (waited >= RISCV_IOMMU_IOTINVAL_TIMEOUT_PS)
			break;
		waited += riscv_iommu_poll_delay(iommu, waited, &interval);
	}
	riscv_iommu_err(iommu, "IOFENCE.C #%u not completed after %llu ns "
			"(fence word %u, cqh=%u cqt=%u cqcsr=%#x)", seq,
			(unsigned long long)(waited / 1000),
			riscv_iommu_le32_to_cpu(*iommu->fence_word),
			riscv_iommu_readl(iommu, RISCV_IOMMU_REG_CQH), iommu->cmdq.tail,
			riscv_iommu_readl(iommu, RISCV_IOMMU_REG_CQCSR));
	riscv_iommu_stat(iommu, NULL, iommu->stats.cq_timeouts, 1);
	return -ETIMEDOUT;
}

/**
 * riscv_iommu_cmd_send_sync - queue commands plus an IOFENCE.C and wait for it
 * @iommu: the IOMMU
 * @cmds: commands, in order (may be NULL when @n is 0)
 * @n: how many
 *
 * When this returns 0, every command queued before the fence (by anyone)
 * has completed. Blocks, charging the polling as CPU time.
 *
 * Return: 0 or -ETIMEDOUT (logged).
 */
int riscv_iommu_cmd_send_sync(struct riscv_iommu *iommu,
			      const struct riscv_iommu_command *cmds, unsigned int n)
{
	struct riscv_iommu_command fence;
	uint32_t seq = 0, published;
	int ret;

	hal_mutex_lock(iommu->cq_lock);
	published = iommu->cmdq.tail;
	ret = riscv_iommu_cq_push_locked(iommu, cmds, n, &published);
	if (!ret) {
		seq = ++iommu->fence_seq;
		riscv_iommu_cmd_iofence_c(&fence, iommu->fence_pa, seq);
		ret = riscv_iommu_cq_push_locked(iommu, &fence, 1, &published);
	}
	/* one doorbell for the commands and their fence */
	riscv_iommu_cq_doorbell_locked(iommu, &published);
	hal_mutex_unlock(iommu->cq_lock);
	if (ret)
		return ret;
	riscv_iommu_stat(iommu, NULL, iommu->stats.cq_fences, 1);
	return riscv_iommu_fence_wait(iommu, seq);
}

/**
 * riscv_iommu_cmd_sync - wait until every command queued so far completed
 * @iommu: the IOMMU
 *
 * Return: 0 or -ETIMEDOUT.
 */
int riscv_iommu_cmd_sync(struct riscv_iommu *iommu)
{
	return riscv_iommu_cmd_send_sync(iommu, NULL, 0);
}

/**
 * riscv_iommu_cmdq_irq - CQ hard interrupt: count it, defer to the thread
 * @arg: the IOMMU
 * @irq: unused (one vector per queue)
 *
 * Return: HAL_IRQ_WAKE_THREAD.
 */
enum hal_irq_ret riscv_iommu_cmdq_irq(void *arg, unsigned int irq)
{
	struct riscv_iommu *iommu = arg;

	(void)irq;
	riscv_iommu_stat(iommu, NULL, iommu->stats.cq_irqs, 1);
	return HAL_IRQ_WAKE_THREAD;
}

static const char *riscv_iommu_cmd_name(const struct riscv_iommu_command *cmd)
{
	unsigned int op = (unsigned int)RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, cmd->dword0);
	unsigned int fn = (unsigned int)RV_FIELD_GET(RISCV_IOMMU_CMD_FUNC, cmd->dword0);

	switch (op) {
	case RISCV_IOMMU_CMD_IOTINVAL_OPCODE:
		return fn == RISCV_IOMMU_CMD_IOTINVAL_FUNC_VMA ? "IOTINVAL.VMA" :
		       fn == RISCV_IOMMU_CMD_IOTINVAL_FUNC_GVMA ? "IOTINVAL.GVMA" : "IOTINVAL.?";
	case RISCV_IOMMU_CMD_IOFENCE_OPCODE:
		return fn == RISCV_IOMMU_CMD_IOFENCE_FUNC_C ? "IOFENCE.C" : "IOFENCE.?";
	case RISCV_IOMMU_CMD_IODIR_OPCODE:
		return fn == RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_DDT ? "IODIR.INVAL_DDT" :
		       fn == RISCV_IOMMU_CMD_IODIR_FUNC_INVAL_PDT ? "IODIR.INVAL_PDT" : "IODIR.?";
	case RISCV_IOMMU_CMD_ATS_OPCODE:
		return fn == RISCV_IOMMU_CMD_ATS_FUNC_INVAL ? "ATS.INVAL" :
		       fn == RISCV_IOMMU_CMD_ATS_FUNC_PRGR ? "ATS.PRGR" : "ATS.?";
	default:
		return "unknown";
	}
}

/* The slot at cqh holds a command this driver writes (opcode and function known). */
static bool riscv_iommu_cq_slot_known(struct riscv_iommu *iommu, uint32_t cqh)
{
	const struct riscv_iommu_command *slot = riscv_iommu_cq_slot(iommu, cqh);
	struct riscv_iommu_command cmd;
	const char *name;

	cmd.dword0 = riscv_iommu_le64_to_cpu(slot->dword0);
	cmd.dword1 = riscv_iommu_le64_to_cpu(slot->dword1);
	name = riscv_iommu_cmd_name(&cmd);
	return name[strlen(name) - 1] != '?' && strcmp(name, "unknown") != 0;
}

/* Replace the command at cqh by a fence that changes nothing (see top). */
static void riscv_iommu_cq_skip(struct riscv_iommu *iommu, uint32_t cqh)
{
	struct riscv_iommu_command *slot = riscv_iommu_cq_slot(iommu, cqh);
	struct riscv_iommu_command bad, repl;
	uint32_t data = riscv_iommu_le32_to_cpu(*iommu->fence_word);

	bad.dword0 = riscv_iommu_le64_to_cpu(slot->dword0);
	bad.dword1 = riscv_iommu_le64_to_cpu(slot->dword1);
	if (RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, bad.dword0) == RISCV_IOMMU_CMD_IOFENCE_OPCODE &&
	    (bad.dword0 & RISCV_IOMMU_CMD_IOFENCE_AV) &&
	    RV_FIELD_GET(RISCV_IOMMU_CMD_IOFENCE_ADDR, bad.dword1) == iommu->fence_pa >> 2)
		data = (uint32_t)RV_FIELD_GET(RISCV_IOMMU_CMD_IOFENCE_DATA, bad.dword0);
	riscv_iommu_warn(iommu, "cq: skipping %s at cqh=%u (dword0=%#018llx dword1=%#018llx)",
			 riscv_iommu_cmd_name(&bad), cqh, (unsigned long long)bad.dword0,
			 (unsigned long long)bad.dword1);
	riscv_iommu_cmd_iofence_c(&repl, iommu->fence_pa, data);
	riscv_iommu_cq_write_slot(iommu, cqh, &repl);
	hal_wmb(iommu->hal);
	riscv_iommu_stat(iommu, NULL, iommu->stats.cq_skipped, 1);
}

/**
 * riscv_iommu_cmdq_irq_thread - CQ interrupt thread: report and recover
 * @arg: the IOMMU
 * @irq: unused
 *
 * cip is a level of the error bits (§8.1), so it is cleared after them.
 * Return: HAL_IRQ_HANDLED.
 */
enum hal_irq_ret riscv_iommu_cmdq_irq_thread(void *arg, unsigned int irq)
{
	struct riscv_iommu *iommu = arg;
	uint32_t csr, err, cqh, fence;
	bool retry;

	(void)irq;
	/* The FQ thread runs this too after a lost MSI (fq.c): one at a time. */
	hal_mutex_lock(iommu->cq_err_lock);
	csr = riscv_iommu_readl(iommu, RISCV_IOMMU_REG_CQCSR);
	err = csr & (uint32_t)(RISCV_IOMMU_CQCSR_CQMF | RISCV_IOMMU_CQCSR_CMD_TO |
			       RISCV_IOMMU_CQCSR_CMD_ILL);
	if (err) {
		cqh = riscv_iommu_readl(iommu, RISCV_IOMMU_REG_CQH) & iommu->cmdq.mask;
		riscv_iommu_stat(iommu, NULL, iommu->stats.cq_errors, 1);
		fence = riscv_iommu_le32_to_cpu(*(volatile uint32_t *)iommu->fence_word);
		if (cqh == iommu->cq_err_head && iommu->cq_err_streak && fence == iommu->cq_err_fence) {
			iommu->cq_err_streak++;
		} else {
			iommu->cq_err_head = cqh;
			iommu->cq_err_fence = fence;
			iommu->cq_err_streak = 1;
		}
		/* first error at this cqh with a command we wrote there: fetch it again */
		retry = iommu->cq_err_streak == 1 && riscv_iommu_cq_slot_known(iommu, cqh);
		if (err & RISCV_IOMMU_CQCSR_CMD_ILL) {
			riscv_iommu_stat(iommu, NULL, iommu->stats.cq_cmd_ill, 1);
			riscv_iommu_log(iommu, retry ? HAL_LOG_WARN : HAL_LOG_ERROR,
					"cq: illegal command at cqh=%u (cqcsr=%#x, cmd_ill)%s", cqh, csr,
					retry ? ": the slot holds a well-formed command, so the "
						"IOMMU read it corrupted; retrying it" : "");
		}
		if (err & RISCV_IOMMU_CQCSR_CQMF) {
			riscv_iommu_stat(iommu, NULL, iommu->stats.cq_cqmf, 1);
			riscv_iommu_log(iommu, retry ? HAL_LOG_WARN : HAL_LOG_ERROR,
					"cq: memory fault at cqh=%u (cqcsr=%#x, cqmf)%s", cqh, csr,
					retry ? ": retrying the command" : "");
		}
		if (err & RISCV_IOMMU_CQCSR_CMD_TO) {
			riscv_iommu_stat(iommu, NULL, iommu->stats.cq_cmd_to, 1);
			riscv_iommu_warn(iommu, "cq: ATS.INVAL timed out before the IOFENCE.C at "
					 "cqh=%u; a device ATC may hold stale translations", cqh);
		}
		if (iommu->cq_err_streak > RISCV_IOMMU_CQ_MAX_RETRIES) {
			riscv_iommu_err(iommu, "cq: %u consecutive errors at cqh=%u; leaving the "
					"command queue stopped", iommu->cq_err_streak, cqh);
			riscv_iommu_writel(iommu, RISCV_IOMMU_REG_CQCSR, RISCV_IOMMU_CQCSR_CQEN);
			riscv_iommu_writel(iommu, RISCV_IOMMU_REG_IPSR, RISCV_IOMMU_IPSR_CIP);
			hal_mutex_unlock(iommu->cq_err_lock);
			return HAL_IRQ_HANDLED;
		}
		if (retry && (err & (RISCV_IOMMU_CQCSR_CMD_ILL | RISCV_IOMMU_CQCSR_CQMF)))
			riscv_iommu_stat(iommu, NULL, iommu->stats.cq_retried, 1);
		else if (err & (RISCV_IOMMU_CQCSR_CMD_ILL | RISCV_IOMMU_CQCSR_CQMF))
			riscv_iommu_cq_skip(iommu, cqh);
		riscv_iommu_writel(iommu, RISCV_IOMMU_REG_CQCSR,
				   (uint32_t)(RISCV_IOMMU_CQCSR_CQEN | RISCV_IOMMU_CQCSR_CIE) | err);
	}
	riscv_iommu_writel(iommu, RISCV_IOMMU_REG_IPSR, RISCV_IOMMU_IPSR_CIP);
	hal_mutex_unlock(iommu->cq_err_lock);
	return HAL_IRQ_HANDLED;
}
