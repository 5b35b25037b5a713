/* sealer/sops: `cluster:` recipients of .sops.yaml rules, resolved through the caller's function.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

#include "core/file.h"
#include "sealer/sops/sops.h"

#define R1 "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
#define R2 "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg"

static int calls;
static int resolve(void *ctx, const char *ref, struct buf *out)
{
	(void)ctx;
	calls++;
	if (!strcmp(ref, "prod"))
		return buf_adds(out, R1);
	if (!strcmp(ref, "https://dr.example/v1/age-recipient"))
		return buf_adds(out, R2);
	return gs_error(GS_ENOTFOUND, "unknown");
}

void test_sops_cluster__rules_name_clusters_resolved_once(void)
{
	char dir[] = "/tmp/gitseal-sops-cluster.XXXXXX", path[128];
	static const char conf[] = "creation_rules:\n"
	                           "  - path_regex: prod/.*\n"
	                           "    cluster: [prod, 'https://dr.example/v1/age-recipient']\n"
	                           "    age: " R1 "\n"
	                           "  - path_regex: fleet/.*\n"
	                           "    key_groups:\n"
	                           "      - cluster: prod\n"
	                           "      - cluster: https://dr.example/v1/age-recipient\n"
	                           "  - path_regex: bad/.*\n"
	                           "    cluster: {context: x}\n";
	struct sops_config c;
	struct sops_keyspec spec = { 0 };

	assert_true(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/.sops.yaml", dir);
	must_pass(file_write_atomic(path, conf,
	                            (size_t)(strstr(conf, "  - path_regex: bad") - conf), 0644, 0));
	must_pass(sops_config_load(&c, path));
	assert_int(c.nrules, 2);
	assert_str(c.rules[0].keys.groups[0][0], R1);
	assert_str(c.rules[0].keys.groups[0][1], SOPS_CLUSTER_PREFIX "prod");
	must_pass(sops_keyspec_from_rule(&spec, &c.rules[0]));
	calls = 0;
	must_pass(sops_keyspec_resolve(&spec, resolve, NULL));
	/* prod's recipient is R1, already in the group: once */
	assert_str(spec.groups[0][0], R1);
	assert_str(spec.groups[0][1], R2);
	assert_true(spec.groups[0][2] == NULL);
	assert_int(spec.clusters, 2);
	sops_keyspec_release(&spec);
	must_pass(sops_keyspec_from_rule(&spec, &c.rules[1]));
	must_pass(sops_keyspec_resolve(&spec, resolve, NULL));
	assert_int(spec.ngroups, 2);
	assert_str(spec.groups[1][0], R2);
	sops_keyspec_release(&spec);
	sops_config_release(&c);
	/* a map where a context or URL belongs */
	must_pass(file_write_atomic(path, conf, sizeof(conf) - 1, 0644, 0));
	assert_true(sops_config_load(&c, path) < 0);
	assert_contains(gs_error_last(),
	                "creation_rules[2]: cluster must be a context name or URL");
	unlink(path);
	rmdir(dir);
}
