// SPDX-License-Identifier: GPL-2.0
/*
 * kq-load: the test VM's module loader, a thin libkmod client.
 *
 *   kq-load insert FILE.ko...   insert modules in order (dependencies first)
 *   kq-load remove FILE.ko...   remove them; fails if a module is still in use,
 *                               so a leaked reference fails the test run
 *
 * The guest has no /lib/modules tree for our module, hence paths, not names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libkmod.h>

static int for_each_module(struct kmod_ctx *ctx, const char *op, char **paths)
{
	int failed = 0;

	for (; *paths; paths++) {
		struct kmod_module *mod;
		int err = kmod_module_new_from_path(ctx, *paths, &mod);

		if (err < 0) {
			fprintf(stderr, "kq-load: %s: %s\n", *paths, strerror(-err));
			failed = 1;
			continue;
		}
		if (!strcmp(op, "insert")) {
			err = kmod_module_insert_module(mod, 0, NULL);
			if (err == -EEXIST)
				err = 0;	/* already there, e.g. built in */
		} else {
			int refs = kmod_module_get_refcnt(mod);

			err = kmod_module_remove_module(mod, 0);
			if (err < 0 && refs > 0)
				fprintf(stderr, "kq-load: %s still has %d reference(s)\n",
					kmod_module_get_name(mod), refs);
		}
		if (err < 0) {
			fprintf(stderr, "kq-load: %s %s: %s\n", op, *paths, strerror(-err));
			failed = 1;
		}
		kmod_module_unref(mod);
	}
	return failed;
}

int main(int argc, char **argv)
{
	struct kmod_ctx *ctx;
	int failed;

	if (argc < 3 || (strcmp(argv[1], "insert") && strcmp(argv[1], "remove"))) {
		fprintf(stderr, "usage: kq-load insert|remove FILE.ko...\n");
		return 2;
	}
	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		fprintf(stderr, "kq-load: kmod_new failed\n");
		return 1;
	}
	failed = for_each_module(ctx, argv[1], argv + 2);
	kmod_unref(ctx);
	return failed;
}
