// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel tracepoints found by name: the scheduler's fork/exec and the
 * signal generation events are not exported as symbols, but every kernel
 * tracepoint can be reached through for_each_kernel_tracepoint().
 */
#include <linux/tracepoint.h>
#include <linux/string.h>
#include "kq.h"

struct kq_tp_find {
	const char *name;
	struct tracepoint *tp;
};

static void kq_tp_match(struct tracepoint *tp, void *priv)
{
	struct kq_tp_find *f = priv;

	if (!strcmp(tp->name, f->name))
		f->tp = tp;
}

struct tracepoint *kq_tp_register(const char *name, void *probe)
{
	struct kq_tp_find f = { .name = name };
	int err;

	for_each_kernel_tracepoint(kq_tp_match, &f);
	if (!f.tp) {
		pr_warn("kqueue: tracepoint %s not found\n", name);
		return NULL;
	}
	err = tracepoint_probe_register(f.tp, probe, NULL);
	if (err) {
		pr_warn("kqueue: tracepoint %s: %d\n", name, err);
		return NULL;
	}
	return f.tp;
}

void kq_tp_unregister(struct tracepoint *tp, void *probe)
{
	if (tp)
		tracepoint_probe_unregister(tp, probe, NULL);
}
