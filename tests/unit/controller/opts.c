/* controller/opts.c: upstream flags and SEALED_SECRETS_* env, Go durations, key=value lists. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#include "controller/opts.h"

void test_ctl_opts__go_durations(void)
{
	double s;
	must_pass(ctl_parse_duration("720h", &s));
	assert_int((long long)s, 720 * 3600);
	must_pass(ctl_parse_duration("1h30m2.5s", &s));
	assert_int((long long)(s * 10), 54025);
	must_pass(ctl_parse_duration("0", &s));
	assert_int((long long)s, 0);
	must_pass(ctl_parse_duration("250ms", &s));
	assert_int((long long)(s * 1000), 250);
	must_fail(ctl_parse_duration("10", &s));
	assert_contains(gs_error_last(), "missing unit");
	must_fail(ctl_parse_duration("3d", &s));
	must_fail(ctl_parse_duration("", &s));
}

void test_ctl_opts__defaults_env_then_flags(void)
{
	struct ctl_opts o;
	const char *argv[] = { "gitseal-controller",
		               "--key-renew-period=1h",
		               "--update-status=false",
		               "--workers",
		               "3",
		               "--label-selector",
		               "a=b",
		               "--skip-recreate",
		               NULL };

	unsetenv("SEALED_SECRETS_KEY_RENEW_PERIOD");
	setenv("SEALED_SECRETS_ADDITIONAL_NAMESPACES", "x,y", 1);
	setenv("SEALED_SECRETS_KEY_RENEW_PERIOD", "2h", 1);
	setenv("POD_NAMESPACE", "ctl-ns", 1);
	assert_int(ctl_opts_parse(&o, 8, argv), 0);
	assert_int((long long)o.key_renew_period, 3600); /* the flag wins over the env */
	assert_str(o.additional_namespaces, "x,y");
	assert_int(o.update_status, 0);
	assert_int(o.skip_recreate, 1);
	assert_int(o.workers, 3);
	assert_str(o.label_selector, "a=b");
	assert_str(o.key_prefix, "sealed-secrets-key");
	assert_int(o.key_size, 4096);
	assert_str(o.listen_addr, ":8080");
	assert_str(o.listen_metrics_addr, ":8081");
	assert_int(o.accept_v1_data, 1);
	assert_int(o.max_unseal_retries, 5);
	assert_str(o.namespace, "ctl-ns");
	ctl_opts_release(&o);
	unsetenv("SEALED_SECRETS_ADDITIONAL_NAMESPACES");
	unsetenv("SEALED_SECRETS_KEY_RENEW_PERIOD");
	unsetenv("POD_NAMESPACE");
}

void test_ctl_opts__bad_values_are_errors(void)
{
	struct ctl_opts o;
	const char *a1[] = { "c", "--key-renew-period=soon", NULL };
	const char *a2[] = { "c", "--no-such-flag", NULL };
	const char *a3[] = { "c", "--key-prefix=Bad_Prefix", NULL };
	const char *a4[] = { "c", "--key-cutoff-time=yesterday", NULL };
	const char *a5[] = { "c", "--key-cutoff-time=Wed, 25 Nov 2026 08:00:00 +0100", NULL };
	FILE *saved = stderr;

	stderr = fopen("/dev/null", "w");
	assert_int(ctl_opts_parse(&o, 2, a1), 1);
	assert_contains(gs_error_last(), "--key-renew-period");
	ctl_opts_release(&o);
	assert_int(ctl_opts_parse(&o, 2, a2), 1);
	assert_contains(gs_error_last(), "unknown flag: --no-such-flag");
	ctl_opts_release(&o);
	assert_int(ctl_opts_parse(&o, 2, a3), 1);
	ctl_opts_release(&o);
	assert_int(ctl_opts_parse(&o, 2, a4), 1);
	ctl_opts_release(&o);
	fclose(stderr);
	stderr = saved;
	assert_int(ctl_opts_parse(&o, 2, a5), 0);
	assert_int(o.key_cutoff_time, 1795590000); /* 07:00:00Z */
	ctl_opts_release(&o);
}

void test_ctl_opts__kv_lists(void)
{
	struct doc *m = NULL;
	must_pass(ctl_parse_kv_list(&m, "a=1,b=x=y", "privatekey-labels"));
	assert_str(doc_str(doc_get(m, "a")), "1");
	assert_str(doc_str(doc_get(m, "b")), "x=y");
	doc_free(m);
	must_fail(ctl_parse_kv_list(&m, "a=1,oops", "privatekey-labels"));
	assert_contains(gs_error_last(), "--privatekey-labels: \"oops\"");
}
