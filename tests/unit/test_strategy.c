// SPDX-License-Identifier: MIT
/* The strategy table: what auto picks and what is refused, for kernels
 * described by injected probe results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "../../ovlmig/strategy.h"

static const struct overlay_features stock = { .data_layers = true, .fuse_passthrough = true };
static const struct overlay_features no_passthrough = { .data_layers = true };
static const struct overlay_features patched = { .xino_nofollow = true, .data_layers = true,
						 .fuse_passthrough = true };
static const struct overlay_features nofollow_only = { .xino_nofollow = true };
static const struct overlay_features old = { 0 };

/* a mount over --source, nothing else asked */
static const struct strategy_wish image = { .source = true };
static const struct strategy_wish lower_mount = { .source = false };
static const struct strategy_wish own_meta = { .source = true, .meta = true };

/* WANT on a kernel with F, for a mount asking W, picks NAME. */
static void picks_for(const char *want, const struct overlay_features *f,
		      const struct strategy_wish *w, const char *name)
{
	const struct strategy *st = NULL;
	struct error *err = NULL;

	assert_int_equal(strategy_pick(want, f, w, &st, &err), 0);
	assert_null(err);
	assert_non_null(st);
	assert_string_equal(st->name, name);
	assert_ptr_equal(strategy_find(name), st);
}

/* WANT on a kernel with F, for a mount over --source, picks NAME. */
static void picks(const char *want, const struct overlay_features *f,
		  const char *name)
{
	picks_for(want, f, &image, name);
}

/* WANT on a kernel with F is refused with ERRNUM and a message holding SAYS. */
static void refused(const char *want, const struct overlay_features *f,
		    int errnum, const char *says)
{
	const struct strategy *st = NULL;
	struct error *err = NULL;

	assert_int_equal(strategy_pick(want, f, &image, &st, &err), -1);
	assert_null(st);
	assert_non_null(err);
	assert_int_equal(err->errnum, errnum);
	if (!strstr(err->msg, says))
		fail_msg("'%s' does not say '%s'", err->msg, says);
	error_free(&err);
}

static void auto_takes_store_on_a_stock_kernel(void **state)
{
	(void)state;
	picks("auto", &stock, "store");
	picks_for("auto", &stock, NULL, "store");
	picks("store", &stock, "store");
	picks("datadir", &stock, "datadir");
}

/* datadir where store cannot run: the kernel, or what the mount asks */
static void auto_falls_back_to_datadir(void **state)
{
	(void)state;
	picks("auto", &no_passthrough, "datadir");
	picks("datadir", &no_passthrough, "datadir");
	refused("store", &no_passthrough, EOPNOTSUPP, "FUSE has no passthrough");
	picks_for("auto", &stock, &lower_mount, "datadir");
	picks_for("auto", &stock, &own_meta, "datadir");
	/* a name is taken as it is: the mount refuses what does not fit */
	picks_for("store", &stock, &lower_mount, "store");
}

static void auto_takes_nofollow_where_the_kernel_has_it(void **state)
{
	(void)state;
	picks("auto", &patched, "nofollow");
	picks("auto", &nofollow_only, "nofollow");
	picks_for("auto", &patched, &lower_mount, "nofollow");
	picks_for("auto", &patched, &own_meta, "datadir");
	picks("datadir", &patched, "datadir");
}

static void store_needs_data_layers(void **state)
{
	(void)state;
	picks("store", &patched, "store");
	refused("store", &nofollow_only, EOPNOTSUPP, "no data-only lower layers");
}

/* nothing fits the mount: the first the kernel runs, the mount says why not */
static void auto_with_nothing_fitting_takes_the_kernels_first(void **state)
{
	(void)state;
	picks_for("auto", &nofollow_only, &own_meta, "nofollow");
}

static void nofollow_refused_without_the_option(void **state)
{
	(void)state;
	refused("nofollow", &stock, EOPNOTSUPP, "rejects xino=nofollow");
	refused("nofollow", &old, EOPNOTSUPP, "rejects xino=nofollow");
}

static void datadir_refused_without_data_layers(void **state)
{
	(void)state;
	refused("datadir", &nofollow_only, EOPNOTSUPP, "no data-only lower layers");
}

static void auto_refused_when_nothing_fits(void **state)
{
	(void)state;
	refused("auto", &old, EOPNOTSUPP, "no strategy can detach the lower");
}

static void unknown_names_are_bad_usage(void **state)
{
	(void)state;
	refused("fanotify", &patched, EINVAL, "unknown strategy 'fanotify'");
	refused("", &patched, EINVAL, "unknown strategy");
	assert_null(strategy_find("Auto"));
	assert_null(strategy_find(NULL));
}

static void every_entry_is_complete(void **state)
{
	const char *names[] = { "datadir", "nofollow", "store" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct strategy *st = strategy_find(names[i]);

		assert_non_null(st);
		assert_non_null(st->probe);
		assert_non_null(st->needs);
		assert_non_null(st->mount);
		assert_non_null(st->remount);
		assert_non_null(st->migrate);
		assert_non_null(st->detach);
	}
}

static void a_state_names_its_strategy(void **state)
{
	struct mount_state s = { .target = "/m", .strategy = "datadir" };
	struct error *err = NULL;

	(void)state;
	assert_ptr_equal(strategy_of(&s, &err), &strategy_datadir);
	s.strategy = "nofollow";
	assert_ptr_equal(strategy_of(&s, &err), &strategy_nofollow);
	s.strategy = "store";
	assert_ptr_equal(strategy_of(&s, &err), &strategy_store);
	s.strategy = "fanotify";
	assert_null(strategy_of(&s, &err));
	assert_non_null(err);
	assert_int_equal(err->errnum, EINVAL);
	assert_non_null(strstr(err->msg, "/m: unknown strategy 'fanotify'"));
	error_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auto_takes_store_on_a_stock_kernel),
		cmocka_unit_test(auto_falls_back_to_datadir),
		cmocka_unit_test(auto_takes_nofollow_where_the_kernel_has_it),
		cmocka_unit_test(store_needs_data_layers),
		cmocka_unit_test(auto_with_nothing_fitting_takes_the_kernels_first),
		cmocka_unit_test(nofollow_refused_without_the_option),
		cmocka_unit_test(datadir_refused_without_data_layers),
		cmocka_unit_test(auto_refused_when_nothing_fits),
		cmocka_unit_test(unknown_names_are_bad_usage),
		cmocka_unit_test(every_entry_is_complete),
		cmocka_unit_test(a_state_names_its_strategy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
