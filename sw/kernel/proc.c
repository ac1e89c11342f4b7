// SPDX-License-Identifier: Apache-2.0
/*
 * Simulated processes as the kernel sees them: the process list, the fatal
 * signal that px_kernel_shutdown() sends to every process (the SIGKILL of a
 * system going down), and the wait for all of them to exit.
 *
 * A killed process is not torn down by the kernel: like a Linux task with
 * SIGKILL pending, its blocking call returns -EINTR, and the process exits
 * itself by closing its files (px_proc_destroy), which takes the ordinary
 * release paths (VFIO unbind, iommufd auto-response, IOPF disable).
 *
 * Locking: none; the simulation is cooperative and nothing here blocks
 * except px_kernel_wait_procs_exit().
 */
#include <errno.h>

#include "kernel/kernel.h"

/**
 * px_kernel_add_proc - put a new process on the process list
 * @k: kernel
 * @kp: the process's kernel part (wq set by the caller)
 *
 * Return: 0, or -ESHUTDOWN once px_kernel_shutdown() has begun.
 */
int px_kernel_add_proc(struct px_kernel *k, struct px_kproc *kp)
{
	if (k->shutting_down)
		return -ESHUTDOWN;
	kp->kill_pending = false;
	list_add_tail(&kp->node, &k->procs);
	return 0;
}

/**
 * px_kernel_del_proc - take an exiting process off the list
 * @k: kernel
 * @kp: the process's kernel part
 *
 * Wakes a shutdown waiting for the processes to exit.
 */
void px_kernel_del_proc(struct px_kernel *k, struct px_kproc *kp)
{
	list_del_init(&kp->node);
	if (k->exit_wq)
		hal_wake_up(k->exit_wq);
}

/**
 * px_kproc_kill - send the fatal signal to one process
 * @kp: the process's kernel part
 *
 * Sets the pending flag and wakes the wait queue the process may sleep on,
 * so that a blocked call re-checks and returns -EINTR (signal_wake_up).
 */
void px_kproc_kill(struct px_kproc *kp)
{
	kp->kill_pending = true;
	if (kp->wq)
		hal_wake_up(kp->wq);
}

/**
 * px_kernel_kill_all - send the fatal signal to every process
 * @k: kernel
 *
 * Return: the number of processes signalled.
 */
unsigned int px_kernel_kill_all(struct px_kernel *k)
{
	struct px_kproc *kp;
	unsigned int n = 0;

	list_for_each_entry(kp, &k->procs, node) {
		px_kproc_kill(kp);
		n++;
	}
	return n;
}

static bool px_kernel_procs_gone(void *arg)
{
	const struct px_kernel *k = arg;

	return list_empty(&k->procs) && !k->user_tasks;
}

/**
 * px_kernel_wait_procs_exit - wait until every process has exited and every
 * spawned user task has finished
 * @k: kernel
 * @timeout_ps: simulated time to wait at most (HAL_WAIT_FOREVER: no limit)
 *
 * Must run in a HAL task. Creates the exit wait queue on first use; it is
 * freed with the kernel.
 *
 * Return: 0, -ENOMEM, or the error of hal_wait_event() (-ETIMEDOUT if
 * processes are still alive).
 */
int px_kernel_wait_procs_exit(struct px_kernel *k, uint64_t timeout_ps)
{
	if (px_kernel_procs_gone(k))
		return 0;
	if (!k->exit_wq) {
		k->exit_wq = hal_waitq_create(k->hal);
		if (!k->exit_wq)
			return -ENOMEM;
	}
	return hal_wait_event(k->exit_wq, px_kernel_procs_gone, k, timeout_ps);
}

/**
 * px_kernel_user_task_get - count a user task that is about to be spawned
 * @k: kernel
 *
 * Covers the time between hal_task_create() and the task's px_proc_create():
 * a shutdown waits for the task even before its process exists.
 */
void px_kernel_user_task_get(struct px_kernel *k)
{
	k->user_tasks++;
}

/**
 * px_kernel_user_task_put - a spawned user task is finished
 * @k: kernel
 *
 * The task's last use of @k: once this returns, a waiting shutdown may free
 * the kernel.
 */
void px_kernel_user_task_put(struct px_kernel *k)
{
	if (!k->user_tasks) {
		hal_log(k->hal, HAL_LOG_ERROR, "kernel: user task count underflow\n");
		return;
	}
	k->user_tasks--;
	if (k->exit_wq)
		hal_wake_up(k->exit_wq);
}
