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

/*
 * @probe on the tracepoint @name, into *@tpp.  A kernel without it: a
 * warning, *@tpp NULL and 0 (the module does without).  A registration
 * that fails (ENOMEM): its error, for the module's load to fail with
 * rather than run without the probe.
 */
int kq_tp_register(const char *name, void *probe, struct tracepoint **tpp)
{
	struct kq_tp_find f = { .name = name };
	int err;

	*tpp = NULL;
	for_each_kernel_tracepoint(kq_tp_match, &f);
	if (!f.tp) {
		pr_warn("kqueue: tracepoint %s not found\n", name);
		return 0;
	}
	err = tracepoint_probe_register(f.tp, probe, NULL);
	if (!err)
		*tpp = f.tp;
	return err;
}

void kq_tp_unregister(struct tracepoint *tp, void *probe)
{
	if (tp)
		tracepoint_probe_unregister(tp, probe, NULL);
}
