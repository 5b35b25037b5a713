/*
 * gitseal check [PATH...] / --staged: the commit guard. The checks are the
 * library's (lib/check, sealer/inspect: the same codes and messages as the
 * decrypt stage of gitseal build); this file reads the flags and the keys and
 * prints the findings as text, JSON, GitHub or GitLab annotations.
 * Exit 0 clean, 1 findings, 2 usage or I/O error.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "cli/cli.h"
#include "cli/cmd_check.h"
#include "cli/cmd_seal.h"
#include "core/error.h"
#include "sealer/age/age.h"
#include "sealer/sops/sops.h"

enum { O_FORMAT = 256, O_STAGED, O_COLOR };

static const struct cli_opt check_options[] = {
	{ "format", O_FORMAT, required_argument, "text|json|github|gitlab",
	  "text (default), JSON, GitHub annotations, GitLab Code Quality" },
	{ "staged", O_STAGED, no_argument, NULL,
	  "the staged version of each staged file (the pre-commit hook)" },
	{ "key", 'k', required_argument, "KEY",
	  "sealing key: each SealedSecret must open with one (repeatable)" },
	{ "identity", 'i', required_argument, "IDENTITY",
	  "age identity of an encrypted --key file" },
	{ "color", O_COLOR, required_argument, "auto|always|never",
	  "colour on a terminal (default auto; NO_COLOR)" },
	{ "quiet", 'q', no_argument, NULL, "no summary line on stderr" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

const struct cli_spec cmd_check_spec = {
	.name = "check",
	.usage = "[--format text|json|github|gitlab] [--key KEY]... [PATH...]\n"
	         "--staged [--format ...] [--key KEY]...",
	.about =
	    "Find what must not be committed: a Secret whose data or stringData is neither sealed "
	    "nor\n"
	    "SOPS-encrypted, a SOPS file whose sops block is missing or broken or whose values are "
	    "not\n"
	    "all ENC[...] where its rule says, a file a .sops.yaml creation rule names that is "
	    "not\n"
	    "encrypted, a .sops.yaml rule that leaves a Secret's data in plaintext, a SealedSecret "
	    "whose\n"
	    "scope annotations contradict its template, a kustomization secretGenerator fed by a\n"
	    "plaintext file or literal, an Application with fields its CRD does not know.\n\n"
	    "PATH (default .) is walked, skipping what .gitignore and .gitsealignore exclude; "
	    "files\n"
	    "named are always checked. With keys it also checks what needs them: each SOPS file's\n"
	    "MAC (with SOPS_AGE_KEY, SOPS_AGE_KEY_FILE or SOPS_AGE_KEY_CMD set), and that each\n"
	    "SealedSecret opens with one of the --key keys (the wrong cluster or a moved scope "
	    "shows\n"
	    "here; one private-key operation per key tried).",
	.opts = check_options,
	.args = "file",
	.more =
	    "Exit status: 0 nothing found, 1 findings, 2 usage or I/O error.\n"
	    "Each finding is 'file:line:col: message [code]'; the codes are stable: "
	    "unencrypted-secret,\n"
	    "sops-metadata-missing, sops-metadata-malformed, sops-value-not-encrypted,\n"
	    "sops-rule-unencrypted-data, sops-file-not-encrypted, sealed-scope-mismatch,\n"
	    "application-field, parse-error, sops-config-invalid, and with keys "
	    "sops-mac-mismatch,\n"
	    "sops-no-key, sealed-no-key.\n\n"
	    "The pre-commit hook: gitseal hook install (or the pre-commit framework, see README).",
};

int cmd_check(int argc, char **argv)
{
	struct cli_getopt g;
	struct check_report r = CHECK_REPORT_INIT;
	struct check_opts o = CHECK_OPTS_INIT;
	struct keys_ring ring = KEYS_RING_INIT;
	struct age_identity *ids = NULL;
	struct buf where = BUF_INIT(8192);
	char **keys = calloc((size_t)argc + 1, sizeof(*keys)),
	     **idf = calloc((size_t)argc + 1, sizeof(*idf));
	const char *const *paths;
	const char *dot[] = { "." };
	size_t nkeys = 0, nids = 0, npaths;
	int opt, staged = 0, quiet = 0, color = CLI_COLOR_AUTO, ret = 2, rc;
	enum check_format fmt = CHECK_FMT_TEXT;

	if (!keys || !idf) {
		fprintf(stderr, "error: out of memory\n");
		goto done;
	}
	cli_getopt_init(&g, check_options);
	optind = 1;
	while ((opt = cli_getopt(&g, argc, argv)) != -1) {
		switch (opt) {
		case O_FORMAT:
			if ((int)(fmt = check_format_parse(optarg)) < 0) {
				fprintf(stderr,
				        "error: --format %s: want text, json, github or gitlab\n",
				        optarg);
				goto done;
			}
			break;
		case O_STAGED: staged = 1; break;
		case 'k': keys[nkeys++] = optarg; break;
		case 'i': idf[nids++] = optarg; break;
		case O_COLOR:
			if ((color = cli_color_parse(optarg)) < 0) {
				fprintf(stderr, "error: --color %s: want auto, always or never\n",
				        optarg);
				goto done;
			}
			break;
		case 'q': quiet = 1; break;
		case 'h':
			cli_usage(stdout, &cmd_check_spec);
			ret = 0;
			goto done;
		default: cli_usage(stderr, &cmd_check_spec); goto done;
		}
	}
	if (staged && optind < argc) {
		fprintf(stderr, "error: gitseal check --staged reads the staged files: no PATH\n");
		goto done;
	}
	if (nkeys) {
		if (seal_cli_load_keys(&ring, keys, nkeys, idf, nids) < 0) {
			cli_die_last(NULL);
			goto done;
		}
		o.sealing = &ring;
	}
	/* SOPS MACs are checked when keys are given the way sops takes them */
	if ((getenv("SOPS_AGE_KEY") && *getenv("SOPS_AGE_KEY")) ||
	    (getenv("SOPS_AGE_KEY_FILE") && *getenv("SOPS_AGE_KEY_FILE")) ||
	    (getenv("SOPS_AGE_KEY_CMD") && *getenv("SOPS_AGE_KEY_CMD"))) {
		if (sops_identities_load(&ids, &where) < 0) {
			cli_die_last("reading age identities");
			goto done;
		}
		o.sops_ids = ids;
		o.sops_where = where.p;
	}
	/* git may go away while its stdin is written: an error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	if (staged) {
		rc = check_staged(&r, &o);
	} else {
		paths = optind < argc ? (const char *const *)argv + optind : dot;
		npaths = optind < argc ? (size_t)(argc - optind) : 1;
		rc = check_paths(&r, paths, npaths, &o);
	}
	if (rc < 0) {
		fprintf(stderr, "error: gitseal check: %s\n", gs_error_last());
		goto done;
	}
	cli_color_init(color, 1);
	if (check_print(stdout, &r, fmt) < 0) {
		fprintf(stderr, "error: gitseal check: cannot write the report\n");
		goto done;
	}
	if (fmt == CHECK_FMT_TEXT && !quiet) {
		if (r.n)
			fprintf(stderr, "gitseal check: %zu finding%s in %zu file%s checked\n", r.n,
			        r.n == 1 ? "" : "s", r.files, r.files == 1 ? "" : "s");
	}
	ret = r.n ? 1 : 0;
done:
	check_report_release(&r);
	keys_ring_release(&ring);
	age_identities_free(ids);
	buf_release(&where);
	free(keys);
	free(idf);
	return ret;
}
