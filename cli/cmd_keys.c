/*
 * gitseal keys: sealing keys made exactly as the Sealed Secrets controller
 * makes them, printed as its `kubernetes.io/tls` key Secret (ready for
 * `kubectl apply`) or written as PEM files; and the certificate of a key.
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
#include "cli/cmd_seal.h"
#include "core/file.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gitseal keys new [-o yaml|json] [--name N] [--namespace NS] [--bits N] [--ttl DUR] [--cn CN]\n"
	           "                        [--out-dir DIR | --key-out FILE --cert-out FILE]\n"
	           "       gitseal keys cert --key KEY [-i IDENTITY]\n\n"
	           "new   generate an RSA key and self-signed certificate as the sealing controller does; print\n"
	           "      its key Secret (kube-system, sealed-secrets-keyXXXXX, label ...sealed-secrets-key: active)\n"
	           "      or write PEM files (the key 0600, never over an existing file)\n"
	           "cert  print the certificate (PEM) of the newest key in KEY (PEM, key Secret or List)\n");
}

/* A new file only (O_EXCL), written fully or removed. */
static int write_new(const char *path, const struct buf *b, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode), rc;
	if (fd < 0)
		return gs_error(errno == EEXIST ? GS_ECONFLICT : GS_EIO, "%s: %s", path,
		                errno == EEXIST ? "already exists (not overwritten)" : strerror(errno));
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
	case 'd': v *= 86400; end++; break;
	case 'h': v *= 3600; end++; break;
	case 'm': v *= 60; end++; break;
	case 's': end++; break;
	case '\0': break;
	default: return -1;
	}
	if (*end)
		return -1;
	*out = (time_t)v;
	return 0;
}

static int keys_new(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'N' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "bits", required_argument, NULL, 'b' },
		{ "key-size", required_argument, NULL, 'b' },
		{ "ttl", required_argument, NULL, 't' },
		{ "key-ttl", required_argument, NULL, 't' },
		{ "cn", required_argument, NULL, 'C' },
		{ "my-cn", required_argument, NULL, 'C' },
		{ "out-dir", required_argument, NULL, 'd' },
		{ "key-out", required_argument, NULL, 'K' },
		{ "cert-out", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct keys_gen_opts go = KEYS_GEN_OPTS_INIT;
	struct keys_secret_opts so = KEYS_SECRET_OPTS_INIT;
	struct keys_pair p;
	struct doc *sec = NULL;
	struct buf out = BUF_INIT_SECRET(1 << 20), kpath = BUF_INIT(4096), cpath = BUF_INIT(4096);
	const char *format = "yaml", *dir = NULL, *kout = NULL, *cout = NULL;
	int opt, rc = 0, ret = 1;

	keys_pair_init(&p);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': format = optarg; break;
		case 'N': so.name = optarg; break;
		case 'n': so.namespace = optarg; break;
		case 'b': go.bits = atoi(optarg); break;
		case 't':
			if (parse_ttl(&go.ttl, optarg) < 0) {
				fprintf(stderr, "error: invalid --ttl '%s' (e.g. 87600h)\n", optarg);
				ret = 2;
				goto done;
			}
			break;
		case 'C': go.cn = optarg; break;
		case 'd': dir = optarg; break;
		case 'K': kout = optarg; break;
		case 'c': cout = optarg; break;
		case 'h': usage(stdout); ret = 0; goto done;
		default: usage(stderr); ret = 2; goto done;
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
		if ((rc = buf_addf(&kpath, "%s/tls.key", dir)) < 0 || (rc = buf_addf(&cpath, "%s/tls.crt", dir)) < 0)
			goto done;
		kout = kpath.p;
		cout = cpath.p;
		if (access(kout, F_OK) == 0 || access(cout, F_OK) == 0) {
			rc = gs_error(GS_ECONFLICT, "%s: already exists (not overwritten)", access(kout, F_OK) == 0 ? kout : cout);
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
	if ((rc = keys_pair_secret(&sec, &p, &so)) < 0 || (rc = seal_cli_emit(&out, sec, !strcmp(format, "json"), 0)) < 0 ||
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

static int keys_cert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "identity", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct keys_ring ring = KEYS_RING_INIT;
	char **keys = calloc((size_t)argc + 1, sizeof(*keys)), **ids = calloc((size_t)argc + 1, sizeof(*ids));
	const char *pem;
	size_t nkeys = 0, nids = 0, len;
	int opt, ret = 1;

	if (!keys || !ids) {
		free(keys);
		free(ids);
		return 1;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "k:i:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': keys[nkeys++] = optarg; break;
		case 'i': ids[nids++] = optarg; break;
		case 'h': usage(stdout); ret = 0; goto done;
		default: usage(stderr); ret = 2; goto done;
		}
	}
	for (; optind < argc; optind++)
		keys[nkeys++] = argv[optind];
	if (!nkeys) {
		usage(stderr);
		ret = 2;
		goto done;
	}
	if (seal_cli_load_keys(&ring, keys, nkeys, ids, nids) < 0 || keys_ring_newest_cert_pem(&ring, &pem, &len) < 0) {
		ret = cli_die_last(NULL);
		goto done;
	}
	fwrite(pem, 1, len, stdout);
	ret = fflush(stdout) == 0 ? 0 : 1;
done:
	keys_ring_release(&ring);
	free(keys);
	free(ids);
	return ret;
}

int cmd_keys(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "new"))
		return keys_new(argc - 1, argv + 1);
	if (!strcmp(argv[1], "cert"))
		return keys_cert(argc - 1, argv + 1);
	if (!strcmp(argv[1], "backup") || !strcmp(argv[1], "restore")) { /* cli/cmd_keys_backup.c */
		int cmd_keys_backup(int argc, char **argv), cmd_keys_restore(int argc, char **argv);
		return (argv[1][0] == 'b' ? cmd_keys_backup : cmd_keys_restore)(argc - 1, argv + 1);
	}
	fprintf(stderr, "gitseal keys: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
