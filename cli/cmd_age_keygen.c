/*
 * gitseal age-keygen: a stand-in for Go age 1.1.1's `age-keygen` (same flags,
 * output and messages). -o never overwrites; -y prints an identity file's recipients.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/file.h"
#include "sealer/age/age.h"

static const char keygen_usage[] =
    "Usage:\n"
    "    age-keygen [-o OUTPUT]\n"
    "    age-keygen -y [-o OUTPUT] [INPUT]\n"
    "\n"
    "Options:\n"
    "    -o, --output OUTPUT       Write the result to the file at path OUTPUT.\n"
    "    -y                        Convert an identity file to a recipients file.\n"
    "\n"
    "age-keygen generates a new native X25519 key pair, and outputs it to\n"
    "standard output or to the OUTPUT file.\n"
    "\n"
    "If an OUTPUT file is specified, the public key is printed to standard error.\n"
    "If OUTPUT already exists, it is not overwritten.\n"
    "\n"
    "In -y mode, age-keygen reads an identity file from INPUT or from standard\n"
    "input and writes the corresponding recipient(s) to OUTPUT or to standard\n"
    "output, one per line, with no comments.\n";

enum { O_VERSION = 256 };

static const struct cli_opt keygen_options[] = {
	{ "output", 'o', required_argument, "OUTPUT",
	  "Write the result to the file at path OUTPUT." },
	{ "y", 'y', no_argument, NULL, "Convert an identity file to a recipients file." },
	{ "version", O_VERSION, no_argument, NULL,
	  "Print age-keygen's version line (" CLI_AGE_VERSION "), then gitseal's." },
	{ "help", 'h', no_argument, NULL, "Print this help." },
	{ NULL, 0, 0, NULL, NULL },
};

const struct cli_spec cmd_age_keygen_spec = {
	.name = "age-keygen",
	.usage = "[-o OUTPUT]\n-y [-o OUTPUT] [INPUT]",
	.about =
	    "A stand-in for age 1.1.1's age-keygen: a new X25519 key pair to stdout or OUTPUT "
	    "(never\n"
	    "over an existing file, mode 0600), or with -y the recipients of an identity file.\n"
	    "Linked as age-keygen, gitseal behaves as it.",
	.opts = keygen_options,
	.args = "file",
	.text = keygen_usage,
};

static int keygen_error(const char *fmt, const char *a, const char *b)
{
	fputs("age-keygen: error: ", stderr);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return 1;
}

static const char *lower_strerror(int err)
{
	static char msg[256];
	snprintf(msg, sizeof(msg), "%s", strerror(err));
	msg[0] = (char)tolower((unsigned char)msg[0]);
	return msg;
}

/* RFC 3339 local time as Go prints it: 2021-01-02T15:30:45+01:00, or ...Z in UTC. */
static void rfc3339_now(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	char off[8];
	localtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	if (tm.tm_gmtoff == 0) {
		snprintf(out + strlen(out), n - strlen(out), "Z");
		return;
	}
	strftime(off, sizeof(off), "%z", &tm);
	snprintf(out + strlen(out), n - strlen(out), "%.3s:%.2s", off, off + 3);
}

static int generate(int fd, const char *name)
{
	struct buf sk = BUF_INIT_SECRET(256), pk = BUF_INIT(256), text = BUF_INIT_SECRET(1024);
	char created[64];
	int rc;

	if ((rc = age_keygen(&sk, &pk)) < 0) {
		keygen_error("internal error: %s%s", gs_error_last(), "");
		goto out;
	}
	if (!isatty(fd))
		fprintf(stderr, "Public key: %s\n", pk.p);
	rfc3339_now(created, sizeof(created));
	if ((rc = buf_addf(&text, "# created: %s\n# public key: %s\n%s\n", created, pk.p, sk.p)) <
	        0 ||
	    (rc = file_write_all(fd, text.p, text.len, name)) < 0)
		keygen_error("%s%s", gs_error_last(), "");
out:
	buf_release(&sk);
	buf_release(&pk);
	buf_release(&text);
	return rc < 0 ? 1 : 0;
}

static int convert(int in, const char *in_name, int fd, const char *name)
{
	struct buf text = BUF_INIT_SECRET((size_t)16 << 20), out = BUF_INIT(1 << 20);
	struct age_identity *ids = NULL;
	size_t i;
	int rc;

	if ((rc = file_read_fd(&text, in, in_name)) < 0 ||
	    (rc = age_identities_parse(&ids, text.p, text.len, in_name)) < 0) {
		keygen_error("failed to parse input: %s%s", gs_error_last(), "");
		goto out;
	}
	for (i = 0; age_identity_recipient(ids, i); i++)
		buf_addf(&out, "%s\n", age_identity_recipient(ids, i));
	if ((rc = file_write_all(fd, out.p, out.len, name)) < 0)
		keygen_error("%s%s", gs_error_last(), "");
out:
	age_identities_free(ids);
	buf_release(&text);
	buf_release(&out);
	return rc < 0 ? 1 : 0;
}

int cmd_age_keygen(int argc, char **argv)
{
	struct cli_getopt g;
	const char *outname = NULL, *inname = "standard input";
	int c, y = 0, fd = 1, in = 0, rc = 1;
	struct stat st;

	cli_getopt_init_mode(&g, keygen_options,
	                     CLI_GETOPT_STOP | CLI_GETOPT_LONG_ONLY | CLI_GETOPT_QUIET);
	optind = 1;
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case 'y': y = 1; break;
		case 'o': outname = optarg; break;
		case O_VERSION:
			printf("%s\ngitseal version %s\n", CLI_AGE_VERSION, GITSEAL_VERSION);
			return 0;
		case 'h': printf("%s", keygen_usage); return 0;
		default:
			if (optopt == 'o')
				fprintf(stderr, "flag needs an argument: -o\n");
			else
				fprintf(stderr, "flag provided but not defined: %s\n",
				        argv[optind - 1]);
			fprintf(stderr, "%s", keygen_usage);
			return 2;
		}
	}
	if ((argc - optind > 0 && !y) || argc - optind > 1)
		return keygen_error("too many arguments%s%s", "", "");
	if (outname) {
		/* O_EXCL: an existing key file is never overwritten */
		if ((fd = open(outname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
			fprintf(
			    stderr,
			    "age-keygen: error: failed to open output file \"%s\": open %s: %s\n",
			    outname, outname, lower_strerror(errno));
			return 1;
		}
	}
	if (argc - optind == 1 && strcmp(argv[optind], "-")) {
		inname = argv[optind];
		if ((in = open(inname, O_RDONLY | O_CLOEXEC)) < 0) {
			fprintf(
			    stderr,
			    "age-keygen: error: failed to open input file \"%s\": open %s: %s\n",
			    inname, inname, lower_strerror(errno));
			goto out;
		}
	}
	if (y) {
		rc = convert(in, inname, fd, outname ? outname : "standard output");
	} else {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0004))
			fprintf(
			    stderr,
			    "age-keygen: warning: writing secret key to a world-readable file\n");
		rc = generate(fd, outname ? outname : "standard output");
	}
out:
	if (in > 0)
		close(in);
	if (fd > 1 && close(fd) < 0 && rc == 0)
		rc = keygen_error("failed to close output file \"%s\": %s", outname,
		                  lower_strerror(errno));
	/* a failed -o leaves no half-written key file */
	if (rc && outname && fd > 1)
		unlink(outname);
	return rc;
}
