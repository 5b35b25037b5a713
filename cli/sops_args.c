/*
 * sops' command line: one option table (getopt_long and the help come from it), the
 * verb from -e/-d/-r or the first word, and the checks sops makes before any verb.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_sops.h"
#include "core/file.h"

enum {
	O_AGE = 256,
	O_ADD_AGE,
	O_RM_AGE,
	O_ENC_RE,
	O_UNENC_RE,
	O_ENC_SUF,
	O_UNENC_SUF,
	O_ENC_CRE,
	O_UNENC_CRE,
	O_MAC_ONLY,
	O_SHAMIR,
	O_IN_TYPE,
	O_OUT_TYPE,
	O_OUTPUT,
	O_EXTRACT,
	O_IGNORE_MAC,
	O_FNAME,
	O_CONFIG,
	O_INDENT,
	O_VALUE_STDIN,
	O_VALUE_FILE,
	O_IDEMPOTENT,
	O_PREVIOUS,
	O_NO_PREVIOUS,
	O_PRISTINE,
	O_FILENAME,
	O_IGNORED,
	O_FILE,
};

const struct cli_opt sops_cli_options[] = {
	{ "encrypt", 'e', no_argument, NULL, "the verb, sops 3.x style: encrypt FILE" },
	{ "decrypt", 'd', no_argument, NULL, "decrypt FILE" },
	{ "rotate", 'r', no_argument, NULL, "rotate FILE's data key" },
	{ "in-place", 'i', no_argument, NULL,
	  "write the result back to FILE (temp file + rename)" },
	{ "output", O_OUTPUT, required_argument, "FILE", "write the result to FILE" },
	{ "age", O_AGE, required_argument, "R1,R2",
	  "age recipients (default $SOPS_AGE_RECIPIENTS, else .sops.yaml)" },
	{ "add-age", O_ADD_AGE, required_argument, "R", "rotate: add recipients" },
	{ "rm-age", O_RM_AGE, required_argument, "R", "rotate: remove recipients" },
	{ "encrypted-regex", O_ENC_RE, required_argument, "RE",
	  "encrypt only the values whose key matches" },
	{ "unencrypted-regex", O_UNENC_RE, required_argument, "RE",
	  "leave the values whose key matches in plaintext" },
	{ "encrypted-suffix", O_ENC_SUF, required_argument, "S",
	  "encrypt only the values whose key ends with S" },
	{ "unencrypted-suffix", O_UNENC_SUF, required_argument, "S",
	  "leave the values whose key ends with S in plaintext" },
	{ "encrypted-comment-regex", O_ENC_CRE, required_argument, "RE",
	  "encrypt the values under a matching comment" },
	{ "unencrypted-comment-regex", O_UNENC_CRE, required_argument, "RE",
	  "leave the values under a matching comment" },
	{ "mac-only-encrypted", O_MAC_ONLY, no_argument, NULL,
	  "the MAC covers encrypted values only" },
	{ "shamir-secret-sharing-threshold", O_SHAMIR, required_argument, "N",
	  "key groups needed to recover the data key" },
	{ "input-type", O_IN_TYPE, required_argument, "TYPE",
	  "yaml|json|dotenv|ini|binary (default: by extension)" },
	{ "output-type", O_OUT_TYPE, required_argument, "TYPE", "yaml|json|dotenv|ini|binary" },
	{ "extract", O_EXTRACT, required_argument, "PATH",
	  "decrypt: print one value ('[\"a\"][\"b\"]')" },
	{ "ignore-mac", O_IGNORE_MAC, no_argument, NULL,
	  "decrypt even when the MAC does not match" },
	{ "filename-override", O_FNAME, required_argument, "P",
	  "name used for .sops.yaml rules and the format (stdin)" },
	{ "config", O_CONFIG, required_argument, "FILE",
	  "the .sops.yaml to use (default $SOPS_CONFIG, else found from the current directory "
	  "up)" },
	{ "indent", O_INDENT, required_argument, "N", "output indentation" },
	{ "value-stdin", O_VALUE_STDIN, no_argument, NULL,
	  "set: read the JSON value from stdin (argv is visible)" },
	{ "value-file", O_VALUE_FILE, required_argument, "F", "set: read the JSON value from F" },
	{ "idempotent", O_IDEMPOTENT, no_argument, NULL,
	  "set/unset: do not write when nothing changes" },
	{ "previous", O_PREVIOUS, required_argument, "FILE",
	  "encrypt: keep the ciphertext of values unchanged since FILE (default with -i under git: "
	  "HEAD's)" },
	{ "no-previous", O_NO_PREVIOUS, no_argument, NULL, "encrypt: do not use HEAD's version" },
	{ "yes", 'y', no_argument, NULL, "updatekeys: do not ask" },
	{ "pristine", O_PRISTINE, no_argument, NULL,
	  "exec-env: only the file's values in the environment" },
	{ "filename", O_FILENAME, required_argument, "NAME",
	  "exec-file: the plaintext file's name" },
	{ "file", O_FILE, required_argument, "FILE", "groups: the file to change" },
	{ "help", 'h', no_argument, NULL,
	  "this help (a verb's own after the verb: sops set --help)" },
	{ "version", 'v', no_argument, NULL, "print sops' version line, then gitseal's" },
	/* accepted as sops does, without effect here */
	{ "show-master-keys", 's', no_argument, NULL, NULL },
	{ "no-fifo", O_IGNORED, no_argument, NULL, NULL },
	{ "verbose", O_IGNORED, no_argument, NULL, NULL },
	{ "disable-version-check", O_IGNORED, no_argument, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static void set_rule(struct sops_opts *o, enum sops_rule_kind k, const char *v)
{
	if (!v || !*v)
		return;
	o->enc.rule = k;
	o->enc.rule_value = v;
	o->enc.rule_count++;
}

int sops_cli_version(void)
{
	printf("sops %s\ngitseal version %s\n", SOPS_VERSION, GITSEAL_VERSION);
	return 0;
}

int sops_cli_parse(struct sops_opts *o, int argc, char **argv, const struct cli_spec *self)
{
	struct cli_getopt g;
	int c, first, help = 0, verb_given = 0;
	size_t i;

	cli_getopt_init(&g, sops_cli_options);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			o->verb = "encrypt";
			verb_given = 1;
			break;
		case 'd':
			o->verb = "decrypt";
			verb_given = 1;
			break;
		case 'r':
			o->verb = "rotate";
			verb_given = 1;
			break;
		case 'i': o->in_place = 1; break;
		case 'y': o->yes = 1; break;
		case 's': break;
		case 'h': help = 1; break;
		case 'v': return sops_cli_version();
		case O_AGE: o->enc.age = optarg; break;
		case O_ADD_AGE: o->add_age = optarg; break;
		case O_RM_AGE: o->rm_age = optarg; break;
		case O_ENC_RE: set_rule(o, SOPS_RULE_ENCRYPTED_REGEX, optarg); break;
		case O_UNENC_RE: set_rule(o, SOPS_RULE_UNENCRYPTED_REGEX, optarg); break;
		case O_ENC_SUF: set_rule(o, SOPS_RULE_ENCRYPTED_SUFFIX, optarg); break;
		case O_UNENC_SUF: set_rule(o, SOPS_RULE_UNENCRYPTED_SUFFIX, optarg); break;
		case O_ENC_CRE: set_rule(o, SOPS_RULE_ENCRYPTED_COMMENT_REGEX, optarg); break;
		case O_UNENC_CRE: set_rule(o, SOPS_RULE_UNENCRYPTED_COMMENT_REGEX, optarg); break;
		case O_MAC_ONLY: o->enc.mac_only_encrypted = 1; break;
		case O_SHAMIR:
			if (cli_int_arg(&o->enc.shamir_threshold, "shamir-secret-sharing-threshold",
			                optarg, 0, 255) < 0)
				return 1;
			break;
		case O_IN_TYPE: o->input_type = optarg; break;
		case O_OUT_TYPE: o->output_type = optarg; break;
		case O_OUTPUT: o->output = optarg; break;
		case O_EXTRACT: o->extract = optarg; break;
		case O_IGNORE_MAC: o->ignore_mac = 1; break;
		case O_FNAME: o->filename_override = optarg; break;
		case O_CONFIG: o->config = optarg; break;
		case O_INDENT:
			if (cli_int_arg(&o->indent, "indent", optarg, 0, 64) < 0)
				return 1;
			break;
		case O_VALUE_STDIN: o->value_stdin = 1; break;
		case O_VALUE_FILE: o->value_file = optarg; break;
		case O_IDEMPOTENT: o->idempotent = 1; break;
		case O_PREVIOUS: o->previous = optarg; break;
		case O_NO_PREVIOUS: o->no_git_previous = 1; break;
		case O_PRISTINE: o->pristine = 1; break;
		case O_FILENAME: o->exec_filename = optarg; break;
		case O_FILE: o->file = optarg; break;
		case O_IGNORED: break;
		default:
			fprintf(stderr, "Incorrect Usage. flag provided but not defined: %s\n\n",
			        argv[optind - 1]);
			cli_usage(stderr, self);
			return 1;
		}
	}
	first = optind;
	if (!o->verb && first < argc)
		for (i = 0; i < sops_nverbs; i++)
			if (!strcmp(argv[first], sops_verbs[i].name)) {
				o->verb = sops_verbs[i].name;
				verb_given = 1;
				first++;
				break;
			}
	if (help) {
		/* `sops set --help`: the verb's own help; `gitseal encrypt --help`: its own */
		const struct cli_command *v =
		    verb_given && self == &cmd_sops_spec ? cli_spec_sub(self, o->verb) : NULL;
		cli_usage(stdout, v && v->spec ? v->spec : self);
		return 0;
	}
	if (!o->verb)
		o->verb = "edit";
	if (!strcmp(o->verb, "groups")) {
		o->args = argv + first;
		o->nargs = argc - first;
		return -1;
	}
	if (first < argc && !o->file)
		o->file = argv[first++];
	/* sops >= 3.10 reads stdin without FILE, unless stdin is a terminal ("no file specified")
	 */
	if (!o->file && (!strcmp(o->verb, "encrypt") || !strcmp(o->verb, "decrypt")) && !isatty(0))
		o->file = "-";
	o->args = argv + first;
	o->nargs = argc - first;
	return -1;
}

int sops_cli_check(const struct sops_opts *o)
{
	const char *v = o->verb;
	if (!o->file) {
		fprintf(stderr, "Error: no file specified\n");
		return SOPS_EXIT_NO_FILE;
	}
	if (o->in_place && o->output) {
		fprintf(stderr, "Error: cannot operate on both --output and --in-place\n");
		return SOPS_EXIT_CONFLICT;
	}
	if (!strcmp(o->file, "-") && o->in_place) {
		fprintf(stderr, "Error: cannot use --in-place when reading from stdin\n");
		return SOPS_EXIT_CONFLICT;
	}
	if (!strcmp(v, "encrypt") && !strcmp(o->file, "-") && !o->filename_override) {
		fprintf(stderr,
		        "Error: must specify --filename-override when reading from stdin\n");
		return SOPS_EXIT_CONFLICT;
	}
	if (strcmp(o->file, "-") && strcmp(v, "edit") && strcmp(v, "filestatus") &&
	    !file_exists(o->file)) {
		fprintf(stderr, "Error: cannot operate on non-existent file \"%s\"\n", o->file);
		return SOPS_EXIT_NO_FILE;
	}
	return -1;
}
