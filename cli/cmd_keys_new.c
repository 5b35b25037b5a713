/*
 * gitseal keys new: a sealing key made exactly as the Sealed Secrets controller makes
 * it, printed as its `kubernetes.io/tls` key Secret (ready for `kubectl apply`) or
 * written as PEM files (the key 0600, never over an existing file).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_keys.h"
#include "cli/cmd_seal.h"
#include "core/file.h"

enum { O_NAME = 256, O_BITS, O_TTL, O_CN, O_DIR, O_KEY_OUT, O_CERT_OUT };

static const struct cli_opt new_options[] = {
	{ "format", 'o', required_argument, "yaml|json", "the key Secret's format (default yaml)" },
	{ "name", O_NAME, required_argument, "NAME",
	  "the Secret's name (default sealed-secrets-keyXXXXX)" },
	{ "namespace", 'n', required_argument, "NS",
	  "the Secret's namespace (default kube-system)" },
	{ "bits", O_BITS, required_argument, "N", "RSA key size (2048-8192, default 4096)" },
	{ "key-size", O_BITS, required_argument, "N", NULL },
	{ "ttl", O_TTL, required_argument, "DUR",
	  "certificate validity: 87600h, 3650d, 30m, 3600s" },
	{ "key-ttl", O_TTL, required_argument, "DUR", NULL },
	{ "cn", O_CN, required_argument, "CN", "certificate common name" },
	{ "my-cn", O_CN, required_argument, "CN", NULL },
	{ "out-dir", O_DIR, required_argument, "DIR",
	  "write DIR/tls.key (0600) and DIR/tls.crt instead" },
	{ "key-out", O_KEY_OUT, required_argument, "FILE",
	  "write the key there (with --cert-out)" },
	{ "cert-out", O_CERT_OUT, required_argument, "FILE",
	  "write the certificate there (with --key-out)" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

const struct cli_spec keys_cmd_new_spec = {
	.name = "keys new",
	.usage = "[-o yaml|json] [--name N] [--namespace NS] [--bits N] [--ttl DUR] [--cn CN]\n"
	         "[--out-dir DIR | --key-out FILE --cert-out FILE]",
	.about = "Generate an RSA key and self-signed certificate as the sealing controller does; "
	         "print its\n"
	         "key Secret (kube-system, sealed-secrets-keyXXXXX, label ...sealed-secrets-key: "
	         "active) or\n"
	         "write PEM files (the key 0600, never over an existing file).",
	.opts = new_options,
};

/* A new file only (O_EXCL), written fully or removed. */
static int write_new(const char *path, const struct buf *b, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode), rc;
	if (fd < 0)
		return gs_error(errno == EEXIST ? GS_ECONFLICT : GS_EIO, "%s: %s", path,
		                errno == EEXIST ? "already exists (not overwritten)"
		                                : strerror(errno));
	rc = file_write_all(fd, b->p, b->len, path);
	if (rc >= 0 && fsync(fd) < 0)
		rc = gs_error(GS_EIO, "%s: fsync: %s", path, strerror(errno));
	if (close(fd) < 0 && rc >= 0)
		rc = gs_error(GS_EIO, "%s: close: %s", path, strerror(errno));
	if (rc < 0)
		unlink(path);
	return rc;
}

/* "87600h", "3650d", "30m", "3600s" or plain seconds. */
static int parse_ttl(time_t *out, const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || v <= 0)
		return -1;
	switch (*end) {
	case 'd':
		v *= 86400;
		end++;
		break;
	case 'h':
		v *= 3600;
		end++;
		break;
	case 'm':
		v *= 60;
		end++;
		break;
	case 's': end++; break;
	case '\0': break;
	default: return -1;
	}
	if (*end)
		return -1;
	*out = (time_t)v;
	return 0;
}

int keys_cmd_new(int argc, char **argv)
{
	struct cli_getopt g;
	struct keys_gen_opts go = KEYS_GEN_OPTS_INIT;
	struct keys_secret_opts so = KEYS_SECRET_OPTS_INIT;
	struct keys_pair p;
	struct doc *sec = NULL;
	struct buf out = BUF_INIT_SECRET(1 << 20), kpath = BUF_INIT(4096), cpath = BUF_INIT(4096);
	const char *format = "yaml", *dir = NULL, *kout = NULL, *cout = NULL;
	int opt, rc = 0, ret = 1;

	keys_pair_init(&p);
	cli_getopt_init(&g, new_options);
	optind = 1;
	while ((opt = getopt_long(argc, argv, g.shortopts, g.longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': format = optarg; break;
		case O_NAME: so.name = optarg; break;
		case 'n': so.namespace = optarg; break;
		case O_BITS:
			if (cli_int_arg(&go.bits, "bits", optarg, 1, 1 << 20) < 0) {
				ret = 2;
				goto done;
			}
			break;
		case O_TTL:
			if (parse_ttl(&go.ttl, optarg) < 0) {
				fprintf(stderr, "error: invalid --ttl '%s' (e.g. 87600h)\n",
				        optarg);
				ret = 2;
				goto done;
			}
			break;
		case O_CN: go.cn = optarg; break;
		case O_DIR: dir = optarg; break;
		case O_KEY_OUT: kout = optarg; break;
		case O_CERT_OUT: cout = optarg; break;
		case 'h':
			cli_usage(stdout, &keys_cmd_new_spec);
			ret = 0;
			goto done;
		default:
			cli_usage(stderr, &keys_cmd_new_spec);
			ret = 2;
			goto done;
		}
	}
	if (strcmp(format, "yaml") && strcmp(format, "json")) {
		fprintf(stderr, "error: unsupported output format: %s\n", format);
		goto done;
	}
	if ((kout || cout) && (!kout || !cout || dir)) {
		fprintf(stderr, "error: give --out-dir, or both --key-out and --cert-out\n");
		ret = 2;
		goto done;
	}
	if (dir) {
		if ((rc = buf_addf(&kpath, "%s/tls.key", dir)) < 0 ||
		    (rc = buf_addf(&cpath, "%s/tls.crt", dir)) < 0)
			goto done;
		kout = kpath.p;
		cout = cpath.p;
		if (access(kout, F_OK) == 0 || access(cout, F_OK) == 0) {
			rc = gs_error(GS_ECONFLICT, "%s: already exists (not overwritten)",
			              access(kout, F_OK) == 0 ? kout : cout);
			goto done;
		}
	}
	if ((rc = keys_generate(&p, &go)) < 0)
		goto done;
	if (kout) {
		if ((rc = write_new(kout, &p.key_pem, 0600)) < 0)
			goto done;
		if ((rc = write_new(cout, &p.cert_pem, 0644)) < 0) {
			unlink(kout);
			goto done;
		}
		fprintf(stderr, "wrote %s (private key, 0600) and %s\n", kout, cout);
		ret = 0;
		goto done;
	}
	if ((rc = keys_pair_secret(&sec, &p, &so)) < 0 ||
	    (rc = seal_cli_emit(&out, sec, !strcmp(format, "json"), 0)) < 0 ||
	    (rc = file_write_atomic("-", out.p, out.len, 0600, 0)) < 0)
		goto done;
	ret = 0;
done:
	if (rc < 0)
		ret = cli_die_last(NULL);
	doc_free(sec);
	keys_pair_release(&p);
	buf_release(&out);
	buf_release(&kpath);
	buf_release(&cpath);
	return ret;
}
