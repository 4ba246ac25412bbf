// SPDX-License-Identifier: MIT
#include "source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"

static const struct source_ops *const source_kinds[] = {
	&source_dir_ops,
	&source_tar_ops,
	&source_oci_ops,
	&source_docker_ops,
};

int source_open(const char *spec, const struct source_opts *opts,
		struct source **out, struct error **err)
{
	const char *colon = strchr(spec, ':');
	size_t i;

	if (!colon)
		return error_set(err, EINVAL,
				 "source '%s': expected SCHEME:ARGUMENT, e.g. dir:/path",
				 spec);
	for (i = 0; i < ARRAY_SIZE(source_kinds); i++) {
		const struct source_ops *ops = source_kinds[i];
		struct source *s;

		if (strlen(ops->scheme) != (size_t)(colon - spec) ||
		    strncmp(ops->scheme, spec, (size_t)(colon - spec)))
			continue;
		if (ops->open(colon + 1, opts, &s, err) < 0)
			return -1;
		s->ops = ops;
		memset(&s->link, 0, sizeof(s->link));
		pthread_mutex_init(&s->link.lock, NULL);
		s->link.latency_ns = opts->latency_ms * 1000000ull;
		s->link.bandwidth_bps = opts->bandwidth_mbps * 1000000ull;
		*out = s;
		return 0;
	}
	return error_set(err, EINVAL, "source '%s': unknown kind '%.*s'", spec,
			 (int)(colon - spec), spec);
}

void source_close(struct source *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->link.lock);
	s->ops->close(s);
}

void source_print_help(FILE *f)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(source_kinds); i++)
		fprintf(f, "  %s:%s\n", source_kinds[i]->scheme,
			source_kinds[i]->help);
}

void link_round_trip(struct link_emulation *l)
{
	if (l->latency_ns)
		sleep_ns(l->latency_ns);
}

/*
 * One shared link: transfers queue behind each other, as they would on a
 * single connection of the given bandwidth.
 */
void link_transfer(struct link_emulation *l, uint64_t len)
{
	uint64_t now, start, done;

	if (!l->bandwidth_bps)
		return;
	pthread_mutex_lock(&l->lock);
	now = now_ns();
	start = l->next_free_ns > now ? l->next_free_ns : now;
	done = start + (uint64_t)((unsigned __int128)len * 1000000000u /
				  l->bandwidth_bps);
	l->next_free_ns = done;
	pthread_mutex_unlock(&l->lock);
	if (done > now)
		sleep_ns(done - now);
}
