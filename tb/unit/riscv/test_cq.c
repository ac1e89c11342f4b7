// SPDX-License-Identifier: Apache-2.0
/*
 * Description: command queue: ring-full wait (doorbell, polling charged as
 * CPU time), IOFENCE.C completion by sequence number, fence timeout, and the
 * CQ interrupt thread's recovery from cmd_ill (skip), cmd_to (W1C) and a
 * queue that keeps failing (left stopped, cie off).
 */
#include <errno.h>

#include "rv_test.h"

static const struct riscv_iommu_command bad_cmd = { .dword0 = 0x5, .dword1 = 0 }; /* opcode 5 */

static void test_fence_sequence(void **state)
{
	struct rv_env e;
	uint32_t before;

	(void)state;
	rv_env_up(&e);
	before = e.iommu->fence_seq;
	e.rv->iommu.cqt_writes = 0;
	assert_int_equal(riscv_iommu_cmd_sync(e.iommu), 0);
	assert_int_equal(riscv_iommu_cmd_sync(e.iommu), 0);
	assert_int_equal(e.iommu->fence_seq, before + 2);
	assert_int_equal(*e.iommu->fence_word, before + 2);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.fences"), 3); /* + the one of probe */
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.commands"), 5);
	assert_int_equal(fake_hal_charges(e.h, HAL_COST_CQ_SUBMIT), 5);
	/* one doorbell per call, commands and fence together */
	assert_int_equal(e.rv->iommu.cqt_writes, 2);
	rv_env_down(&e);
}

static void test_ring_full_waits(void **state)
{
	struct rv_env e;
	struct riscv_iommu_command cmds[5];
	uint64_t charged;
	unsigned int i;

	(void)state;
	e.rv = rv_fake_create();
	e.h = e.rv->hal;
	fake_hal_set_param_u64(e.h, "sw.driver.cq_log2sz", 2); /* 4 entries, 3 usable */
	e.iommu = rv_probe(e.h);
	for (i = 0; i < 5; i++) {
		riscv_iommu_cmd_iotinval_vma(&cmds[i]);
		riscv_iommu_cmd_inval_set_pscid(&cmds[i], i + 1);
	}
	e.rv->iommu.ncmds = 0;
	e.rv->iommu.cq_hold = true;
	e.rv->iommu.cq_run_after_polls = 3;
	charged = fake_hal_charged_ps(e.h);
	assert_int_equal(riscv_iommu_cmd_send(e.iommu, cmds, 5), 0);
	/* the first three were published before waiting, the rest after space freed */
	assert_int_equal(e.rv->iommu.ncmds, 3);
	assert_true(fake_hal_charged_ps(e.h) > charged);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.full_waits"), 1);
	assert_int_equal(e.rv->iommu.cqt, (e.iommu->cmdq.tail) & 3);
	rv_fake_cq_run(e.rv);
	assert_int_equal(e.rv->iommu.ncmds, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_IOTINVAL_PSCID,
					      e.rv->iommu.cmds[i].dword0), i + 1);

	/* a ring that never drains: bounded, -ETIMEDOUT with a message */
	e.rv->iommu.cq_run_after_polls = 0;
	assert_int_equal(riscv_iommu_cmd_send(e.iommu, cmds, 5), -ETIMEDOUT);
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_ERROR), "no free slot"));
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.timeouts"), 1);
	e.rv->iommu.cq_hold = false;
	rv_fake_cq_run(e.rv);
	rv_env_down(&e);
}

static void test_fence_timeout(void **state)
{
	struct rv_env e;

	(void)state;
	rv_env_up(&e);
	e.rv->iommu.fence_ignore = true;
	assert_int_equal(riscv_iommu_cmd_sync(e.iommu), -ETIMEDOUT);
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_ERROR), "IOFENCE.C"));
	assert_true(fake_hal_charged_ps(e.h) >= RISCV_IOMMU_POLL_SPIN_PS);
	assert_true(fake_hal_slept_ps(e.h) > 0);
	/* a later fence that completes also satisfies the earlier waiter's number */
	e.rv->iommu.fence_ignore = false;
	assert_int_equal(riscv_iommu_cmd_sync(e.iommu), 0);
	rv_env_down(&e);
}

static void test_cmd_ill_is_skipped(void **state)
{
	struct rv_env e;
	uint32_t cqh;
	const struct riscv_iommu_command *slot;

	(void)state;
	rv_env_up(&e);
	e.rv->iommu.ncmds = 0;
	assert_int_equal(riscv_iommu_cmd_send(e.iommu, &bad_cmd, 1), 0);
	assert_true(e.rv->iommu.cqcsr & RISCV_IOMMU_CQCSR_CMD_ILL);
	assert_true(e.rv->iommu.ipsr & RISCV_IOMMU_IPSR_CIP);
	cqh = e.rv->iommu.cqh;

	rv_fake_run_irq(e.rv, rv_vec_civ(e.rv));
	/* the slot now holds a harmless IOFENCE.C, the queue ran on */
	slot = (const struct riscv_iommu_command *)e.iommu->cmdq.base + cqh;
	assert_int_equal(RV_FIELD_GET(RISCV_IOMMU_CMD_OPCODE, slot->dword0),
			 RISCV_IOMMU_CMD_IOFENCE_OPCODE);
	assert_int_equal(e.rv->iommu.cqcsr & RISCV_IOMMU_CQCSR_CMD_ILL, 0);
	assert_int_equal(e.rv->iommu.cqcsr, RISCV_IOMMU_CQCSR_CQEN | RISCV_IOMMU_CQCSR_CIE);
	assert_int_equal(e.rv->iommu.cqh, e.rv->iommu.cqt);
	assert_int_equal(e.rv->iommu.ipsr & RISCV_IOMMU_IPSR_CIP, 0);
	assert_int_equal(e.rv->iommu.ncmds, 1);
	/* the replacement wrote the already-completed value: nothing pretends to complete */
	assert_int_equal(*e.iommu->fence_word, e.iommu->fence_seq);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.cmd_ill"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.errors"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.skipped"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.irqs"), 1);
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_WARN), "skipping"));
	assert_int_equal(riscv_iommu_cmd_sync(e.iommu), 0);
	rv_env_down(&e);
}

/* A waiter behind an illegal command completes once the irq thread skipped it. */
static void test_fence_behind_cmd_ill(void **state)
{
	struct rv_env e;
	struct riscv_iommu_command cmds[2];

	(void)state;
	rv_env_up(&e);
	e.rv->irq_on_poll = true;
	cmds[0] = bad_cmd;
	riscv_iommu_cmd_iotinval_vma(&cmds[1]);
	assert_int_equal(riscv_iommu_cmd_send_sync(e.iommu, cmds, 2), 0);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.skipped"), 1);
	assert_int_equal(*e.iommu->fence_word, e.iommu->fence_seq);
	/* the IOTINVAL after the bad command was executed */
	assert_int_equal(rv_fake_count_cmds(e.rv, RISCV_IOMMU_CMD_IOTINVAL_OPCODE, 0), 2);
	rv_env_down(&e);
}

/*
 * cqmf on a command fetch (§7.2: cqh stays on it): the first time at a cqh
 * the driver only W1Cs and the IOMMU fetches it again, as Linux does; the
 * command is executed, nothing is skipped, and the log names cqmf as a
 * warning. A second fault at the same cqh skips the command.
 */
static void test_cqmf_is_retried(void **state)
{
	struct rv_env e;
	struct riscv_iommu_command cmd;
	unsigned int ncmds, inval;

	(void)state;
	rv_env_up(&e);
	ncmds = e.rv->iommu.ncmds;
	inval = rv_fake_count_cmds(e.rv, RISCV_IOMMU_CMD_IOTINVAL_OPCODE, 0);
	riscv_iommu_cmd_iotinval_vma(&cmd);
	e.rv->iommu.cq_fetch_faults = 1;
	assert_int_equal(riscv_iommu_cmd_send(e.iommu, &cmd, 1), 0);
	assert_true(e.rv->iommu.cqcsr & RISCV_IOMMU_CQCSR_CQMF);
	rv_fake_run_irq(e.rv, rv_vec_civ(e.rv));
	assert_int_equal(e.rv->iommu.cqcsr, RISCV_IOMMU_CQCSR_CQEN | RISCV_IOMMU_CQCSR_CIE);
	assert_int_equal(e.rv->iommu.cqh, e.rv->iommu.cqt);
	assert_int_equal(rv_fake_count_cmds(e.rv, RISCV_IOMMU_CMD_IOTINVAL_OPCODE, 0), inval + 1);
	assert_int_equal(e.rv->iommu.ncmds, ncmds + 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.cqmf"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.retried"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.skipped"), 0);
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_WARN), "cqmf"));
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_ERROR), 0);

	/* twice at the same cqh: skipped, an error */
	e.rv->iommu.cq_fetch_faults = 2;
	assert_int_equal(riscv_iommu_cmd_send(e.iommu, &cmd, 1), 0);
	rv_fake_run_irq(e.rv, rv_vec_civ(e.rv));
	rv_fake_run_irq(e.rv, rv_vec_civ(e.rv));
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.retried"), 2);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.skipped"), 1);
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_ERROR), 1);
	assert_int_equal(e.rv->iommu.cqh, e.rv->iommu.cqt);
	assert_int_equal(riscv_iommu_cmd_sync(e.iommu), 0);
	rv_env_down(&e);
}

/*
 * A fault at the same cqh after the ring came round again (fences completed
 * in between) is a new error, retried first, not the second fault of the
 * old one.
 */
static void test_error_after_wrap_is_retried(void **state)
{
	struct rv_env e;
	struct riscv_iommu_command cmd;
	uint32_t x;
	unsigned int n = 0;

	(void)state;
	rv_env_up(&e);
	riscv_iommu_cmd_iotinval_vma(&cmd);
	x = e.rv->iommu.cqt;
	e.rv->iommu.cq_fetch_faults = 1;
	assert_int_equal(riscv_iommu_cmd_send(e.iommu, &cmd, 1), 0);
	rv_fake_run_irq(e.rv, rv_vec_civ(e.rv));
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.retried"), 1);
	/* fences until the next command lands at x again */
	while (e.rv->iommu.cqt != x) {
		assert_int_equal(riscv_iommu_cmd_sync(e.iommu), 0);
		assert_true(++n < 1024);
	}
	e.rv->iommu.cq_fetch_faults = 1;
	assert_int_equal(riscv_iommu_cmd_send(e.iommu, &cmd, 1), 0);
	assert_true(e.rv->iommu.cqcsr & RISCV_IOMMU_CQCSR_CQMF);
	rv_fake_run_irq(e.rv, rv_vec_civ(e.rv));
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.retried"), 2);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.skipped"), 0);
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_ERROR), 0);
	assert_int_equal(riscv_iommu_cmd_sync(e.iommu), 0);
	rv_env_down(&e);
}

/*
 * cmd_ill for a command the slot holds well-formed: the IOMMU read it
 * corrupted; retried once, executed, nothing skipped.
 */
static void test_corrupted_fetch_is_retried(void **state)
{
	struct rv_env e;
	struct riscv_iommu_command cmd;
	unsigned int inval;

	(void)state;
	rv_env_up(&e);
	inval = rv_fake_count_cmds(e.rv, RISCV_IOMMU_CMD_IOTINVAL_OPCODE, 0);
	riscv_iommu_cmd_iotinval_vma(&cmd);
	e.rv->iommu.cq_fetch_corrupt = 1;
	assert_int_equal(riscv_iommu_cmd_send(e.iommu, &cmd, 1), 0);
	assert_true(e.rv->iommu.cqcsr & RISCV_IOMMU_CQCSR_CMD_ILL);
	rv_fake_run_irq(e.rv, rv_vec_civ(e.rv));
	assert_int_equal(e.rv->iommu.cqcsr, RISCV_IOMMU_CQCSR_CQEN | RISCV_IOMMU_CQCSR_CIE);
	assert_int_equal(rv_fake_count_cmds(e.rv, RISCV_IOMMU_CMD_IOTINVAL_OPCODE, 0), inval + 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.cmd_ill"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.retried"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.skipped"), 0);
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_WARN), "cmd_ill"));
	assert_int_equal(fake_hal_log_count(e.h, HAL_LOG_ERROR), 0);
	rv_env_down(&e);
}

static void test_cmd_to_is_cleared(void **state)
{
	struct rv_env e;
	unsigned int ncmds;

	(void)state;
	rv_env_up(&e);
	e.rv->iommu.cqcsr |= (uint32_t)RISCV_IOMMU_CQCSR_CMD_TO;
	e.rv->iommu.ipsr |= (uint32_t)RISCV_IOMMU_IPSR_CIP;
	ncmds = e.rv->iommu.ncmds;
	rv_fake_run_irq(e.rv, rv_vec_civ(e.rv));
	assert_int_equal(e.rv->iommu.cqcsr, RISCV_IOMMU_CQCSR_CQEN | RISCV_IOMMU_CQCSR_CIE);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.cmd_to"), 1);
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.skipped"), 0);
	assert_int_equal(e.rv->iommu.ncmds, ncmds);
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_WARN), "timed out"));
	rv_env_down(&e);
}

static void test_broken_queue_left_stopped(void **state)
{
	struct rv_env e;
	unsigned int i;

	(void)state;
	rv_env_up(&e);
	e.rv->iommu.cq_force_ill = true;
	assert_int_equal(riscv_iommu_cmd_send(e.iommu, &bad_cmd, 1), 0);
	for (i = 0; i < RISCV_IOMMU_CQ_MAX_RETRIES; i++) {
		rv_fake_run_irq(e.rv, rv_vec_civ(e.rv));
		assert_true(e.rv->iommu.cqcsr & RISCV_IOMMU_CQCSR_CIE);
	}
	rv_fake_run_irq(e.rv, rv_vec_civ(e.rv));
	/* given up: cie off (no interrupt storm), cmd_ill left set */
	assert_int_equal(e.rv->iommu.cqcsr & RISCV_IOMMU_CQCSR_CIE, 0);
	assert_true(e.rv->iommu.cqcsr & RISCV_IOMMU_CQCSR_CMD_ILL);
	assert_non_null(strstr(fake_hal_last_log(e.h, HAL_LOG_ERROR), "stopped"));
	assert_int_equal(fake_hal_stat(e.h, "sw.cq.errors"), RISCV_IOMMU_CQ_MAX_RETRIES + 1);
	e.rv->iommu.cq_force_ill = false;
	rv_env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fence_sequence),
		cmocka_unit_test(test_ring_full_waits),
		cmocka_unit_test(test_fence_timeout),
		cmocka_unit_test(test_cmd_ill_is_skipped),
		cmocka_unit_test(test_fence_behind_cmd_ill),
		cmocka_unit_test(test_cqmf_is_retried),
		cmocka_unit_test(test_corrupted_fetch_is_retried),
		cmocka_unit_test(test_error_after_wrap_is_retried),
		cmocka_unit_test(test_cmd_to_is_cleared),
		cmocka_unit_test(test_broken_queue_left_stopped),
	};

	return cmocka_run_group_tests_name("unit.riscv.cq", tests, NULL, NULL);
}
