/* exec credential plugins (client.authentication.k8s.io/v1 and v1beta1 ExecCredential). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "kube/kube_int.h"

#define EXEC_OUT_MAX ((size_t)1 << 20)
#define EXEC_TIMEOUT_MS 60000

extern char **environ;

void kube__cred_init(struct kube__cred *c)
{
	c->token = NULL;
	buf_init(&c->cert_pem, 1 << 20, 0);
	buf_init(&c->key_pem, 1 << 20, 1);
	c->expires = 0;
}

void kube__cred_release(struct kube__cred *c)
{
	gs_free_secret_str(c->token);
	c->token = NULL;
	buf_release(&c->cert_pem);
	buf_release(&c->key_pem);
	c->expires = 0;
}

int kube__exec_parse(struct kube__cred *out, const char *json, size_t len, const char *command)
{
	struct doc *d = NULL;
	const struct doc *st;
	const char *kind, *tok, *cert, *key, *exp;
	int rc;

	if ((rc = doc_parse_one(&d, command, json, len, DOC_PARSE_JSON | DOC_PARSE_SECRET)) < 0)
		return gs_error_prefix(rc, "exec plugin %s: output is not an ExecCredential",
		                       command);
	kind = doc_str(doc_get(d, "kind"));
	st = doc_get(d, "status");
	if (!kind || strcmp(kind, "ExecCredential") || doc_kind(st) != DOC_MAP) {
		rc = gs_error(GS_EPARSE,
		              "exec plugin %s: output is not an ExecCredential with a status",
		              command);
		goto out;
	}
	tok = doc_str(doc_get(st, "token"));
	cert = doc_str(doc_get(st, "clientCertificateData"));
	key = doc_str(doc_get(st, "clientKeyData"));
	exp = doc_str(doc_get(st, "expirationTimestamp"));
	if (!tok && !(cert && key)) {
		rc = gs_error(GS_EPARSE,
		              "exec plugin %s: status has neither token nor "
		              "clientCertificateData+clientKeyData",
		              command);
		goto out;
	}
	if ((cert != NULL) != (key != NULL)) {
		rc = gs_error(
		    GS_EPARSE,
		    "exec plugin %s: clientCertificateData and clientKeyData come together",
		    command);
		goto out;
	}
	if (tok && !(out->token = strdup(tok))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	if (cert && ((rc = buf_set(&out->cert_pem, cert, strlen(cert))) < 0 ||
	             (rc = buf_set(&out->key_pem, key, strlen(key))) < 0))
		goto out;
	if (exp && (out->expires = kube__parse_time(exp)) == (time_t)-1) {
		rc = gs_error(GS_EPARSE, "exec plugin %s: bad expirationTimestamp \"%s\"", command,
		              exp);
		goto out;
	}
	rc = 0;
out:
	doc_free(d);
	return rc;
}

/* environ + the plugin's env (which wins) + KUBERNETES_EXEC_INFO. */
static char **make_env(const struct kube_exec_config *ex, char *info)
{
	size_t n = 0, i, j, k = 0;
	char **env;

	while (environ[n])
		n++;
	if (!(env = calloc(n + ex->nenv + 2, sizeof(char *))))
		return NULL;
	for (i = 0; i < n; i++) {
		size_t kl = strcspn(environ[i], "=");
		int dup = !strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21);
		for (j = 0; j < ex->nenv && !dup; j++)
			dup = !strncmp(environ[i], ex->env[j], kl + 1);
		if (!dup)
			env[k++] = environ[i];
	}
	for (j = 0; j < ex->nenv; j++)
		env[k++] = ex->env[j];
	env[k++] = info;
	env[k] = NULL;
	return env;
}

int kube__exec_run(struct kube__cred *out, const struct kube_exec_config *ex, const char *server)
{
	struct buf outb = BUF_INIT_SECRET(EXEC_OUT_MAX), infob = BUF_INIT(16 << 10);
	const char *api = ex->api_version ? ex->api_version : "client.authentication.k8s.io/v1";
	posix_spawn_file_actions_t fa;
	char **argv = NULL, **env = NULL, *info = NULL;
	int pfd[2] = { -1, -1 }, rc = 0, status = 0, spawned = 0;
	long long deadline = gs_mono_ms() + EXEC_TIMEOUT_MS;
	pid_t pid = -1;
	size_t i;

	/* spec.cluster (provideClusterInfo) carries the server only: no CA data or plugin config */
	if (buf_addf(&infob,
	             "KUBERNETES_EXEC_INFO={\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\","
	             "\"spec\":{\"interactive\":false",
	             api) < 0 ||
	    (ex->provide_cluster_info && server &&
	     (buf_adds(&infob, ",\"cluster\":{\"server\":") < 0 ||
	      buf_add_json_str(&infob, server, strlen(server)) < 0 || buf_addc(&infob, '}') < 0)) ||
	    buf_adds(&infob, "}}") < 0 || !(info = buf_detach(&infob, NULL)) ||
	    !(argv = calloc(ex->nargs + 2, sizeof(char *))) || !(env = make_env(ex, info))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	argv[0] = ex->command;
	for (i = 0; i < ex->nargs; i++)
		argv[i + 1] = ex->args[i];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		rc = gs_error(GS_EIO, "exec plugin %s: pipe: %s", ex->command, strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	rc = posix_spawnp(&pid, ex->command, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	pfd[1] = -1;
	if (rc != 0) {
		rc = gs_error(GS_ENOTFOUND, "exec plugin %s: %s%s%s", ex->command, strerror(rc),
		              ex->install_hint ? ": " : "",
		              ex->install_hint ? ex->install_hint : "");
		goto out;
	}
	spawned = 1;
	for (;;) {
		struct pollfd p = { pfd[0], POLLIN, 0 };
		long long left = deadline - gs_mono_ms();
		char tmp[4096];
		ssize_t r;
		if (left <= 0) {
			kill(pid, SIGKILL);
			rc = gs_error(GS_EIO, "exec plugin %s: no answer after %d s", ex->command,
			              EXEC_TIMEOUT_MS / 1000);
			goto out;
		}
		if (poll(&p, 1, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR) {
			rc = gs_error(GS_EIO, "exec plugin %s: poll: %s", ex->command,
			              strerror(errno));
			goto out;
		}
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		r = read(pfd[0], tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		rc = buf_add(&outb, tmp, (size_t)r);
		gs_wipe(tmp, sizeof(tmp));
		if (rc < 0) {
			kill(pid, SIGKILL);
			rc = gs_error(GS_ETOOBIG, "exec plugin %s: output over %zu bytes",
			              ex->command, EXEC_OUT_MAX);
			goto out;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	spawned = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = gs_error(GS_EAUTH, "exec plugin %s failed (exit status %d)", ex->command,
		              WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		goto out;
	}
	rc = kube__exec_parse(out, outb.p, outb.len, ex->command);
out:
	if (spawned)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(argv);
	free(env);
	free(info);
	buf_release(&infob);
	buf_release(&outb);
	return rc;
}
