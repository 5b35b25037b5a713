/*
 * lib/render without the renderers: detection, paths that must stay in the tree, plain
 * directories, the child-process runner (deadline, process group, cap, clean environment, stderr
 * as the message) with small system tools, and staged copies wiped on every path.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#include "core/file.h"
#include "render/render_int.h"

/* a scratch tree under /tmp; files are "path=content" pairs */
static char *mktree(const char *const *files)
{
	char tmpl[] = "/tmp/gitseal-unit-render.XXXXXX",
	     *root = mkdtemp(tmpl) ? strdup(tmpl) : NULL;
	size_t i;

	for (i = 0; root && files[i]; i++) {
		const char *eq = strchr(files[i], '=');
		char path[4096], *slash;
		snprintf(path, sizeof(path), "%s/%.*s", root, (int)(eq - files[i]), files[i]);
		for (slash = path + strlen(root) + 1; (slash = strchr(slash, '/')); slash++) {
			*slash = '\0';
			mkdir(path, 0755);
			*slash = '/';
		}
		if (eq[1] == '@') {
			if (symlink(eq + 2, path) < 0)
				return NULL;
		} else if (file_write_atomic(path, eq + 1, strlen(eq + 1), 0644, 0) < 0) {
			return NULL;
		}
	}
	return root;
}

static void rmtree(char *root)
{
	if (root)
		render__wipe_tree(root);
	free(root);
}

/* a render context on a tree, for the private functions */
static int ctx_on(struct render__ctx *c, struct render_source *src, struct render_opts *opts,
                  struct render_result *res, const char *root)
{
	memset(c, 0, sizeof(*c));
	c->src = src;
	c->opts = opts;
	c->res = res;
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : 10000;
	c->output_max = opts->output_max ? opts->output_max : (size_t)1 << 20;
	if (!(c->root = realpath(root, NULL)) || !(c->app = strdup("")))
		return gs_error(GS_EIO, "realpath %s", root);
	return 0;
}

static void ctx_off(struct render__ctx *c)
{
	size_t n = 0;
	if (c->priv)
		render__wipe_tree(c->priv);
	while (c->env && c->env[n])
		n++;
	render__strv_free(c->env, n);
	free(c->root);
	free(c->app);
	free(c->tmpbase);
	free(c->priv);
	free(c->helm);
	free(c->kubectl);
	free(c->kustomize);
}

void test_render__detects_as_argo_cd(void)
{
	static const char *const files[] = { "k1/kustomization.yaml=resources: []\n",
		                             "k2/kustomization.yml=resources: []\n",
		                             "k3/Kustomization=resources: []\n",
		                             "h/Chart.yaml=name: h\n",
		                             "both/Chart.yaml=name: b\n",
		                             "both/kustomization.yaml=resources: []\n",
		                             "p/a.yaml=kind: A\n",
		                             NULL };
	struct render_source src;
	enum render_kind k;
	char *root = mktree(files);

	assert_true(root != NULL);
	memset(&src, 0, sizeof(src));
	src.root = root;
	src.path = "k1";
	must_pass(render_detect(&k, &src));
	assert_int(k, RENDER_KUSTOMIZE);
	src.path = "k2";
	must_pass(render_detect(&k, &src));
	assert_int(k, RENDER_KUSTOMIZE);
	src.path = "k3";
	must_pass(render_detect(&k, &src));
	assert_int(k, RENDER_KUSTOMIZE);
	src.path = "h";
	must_pass(render_detect(&k, &src));
	assert_int(k, RENDER_HELM);
	src.path = "both"; /* Kustomize first, as Argo CD */
	must_pass(render_detect(&k, &src));
	assert_int(k, RENDER_KUSTOMIZE);
	src.path = "p";
	must_pass(render_detect(&k, &src));
	assert_int(k, RENDER_PLAIN);
	assert_str(render_kind_name(k), "plain");
	src.chart = "nginx";
	must_pass(render_detect(&k, &src));
	assert_int(k, RENDER_HELM);
	src.chart = NULL;
	src.path = "missing";
	must_fail_with(render_detect(&k, &src), GS_ENOTFOUND);
	rmtree(root);
}

void test_render__paths_stay_in_the_tree(void)
{
	static const char *const files[] = { "a/b/c.yaml=x", "a/up=@../../..", "a/in=@b", NULL };
	struct render_source src;
	struct render_opts opts = RENDER_OPTS_INIT;
	struct render_result res = RENDER_RESULT_INIT;
	struct render__ctx c;
	char *root = mktree(files), *p = NULL;

	assert_true(root != NULL);
	memset(&src, 0, sizeof(src));
	must_pass(ctx_on(&c, &src, &opts, &res, root));
	must_pass(render__resolve(&p, &c, "a", "./b/../b/c.yaml", "valueFiles"));
	assert_str(p, "a/b/c.yaml");
	free(p);
	must_pass(
	    render__resolve(&p, &c, "a/b", "/a/b", "valueFiles")); /* leading '/': from the root */
	assert_str(p, "a/b");
	free(p);
	must_pass(render__resolve(&p, &c, "a", "..", "path"));
	assert_str(p, "");
	free(p);
	must_pass(render__resolve(&p, &c, "", "a/in/c.yaml", "link")); /* a link inside the tree */
	assert_str(p, "a/in/c.yaml");
	free(p);
	must_fail_with(render__resolve(&p, &c, "a", "../../etc/passwd", "valueFiles"), GS_EINVAL);
	assert_str(gs_error_last(), "valueFiles '../../etc/passwd' leaves the tree");
	assert_true(p == NULL);
	must_fail_with(render__resolve(&p, &c, "", "a/up", "link"), GS_EINVAL);
	assert_str(gs_error_last(), "link 'a/up' leaves the tree (through a symbolic link)");
	must_fail(render__resolve(&p, &c, "", "https://example.com/v.yaml", "valueFiles"));
	ctx_off(&c);
	render_result_release(&res);
	rmtree(root);
}

void test_render__plain_directory_objects_know_file_and_line(void)
{
	static const char *const files[] = {
		"app/a.yaml=apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: "
		"v1\nkind: Secret\nmetadata: {name: s}\n",
		"app/sub/b.yaml=apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
		"app/.sops.yaml=creation_rules: []\n", "app/notes.txt=hello\n", NULL
	};
	struct render_source src;
	struct render_opts opts = RENDER_OPTS_INIT;
	struct render_result res = RENDER_RESULT_INIT;
	char *root = mktree(files);

	assert_true(root != NULL);
	memset(&src, 0, sizeof(src));
	src.root = root;
	src.path = "app";
	must_pass(render(&res, &src, &opts));
	assert_int(res.kind, RENDER_PLAIN);
	assert_int(res.objs.n, 2);
	assert_str(doc_file(res.objs.objs[1]), "app/a.yaml");
	assert_int(doc_line(res.objs.objs[1]), 5);
	assert_str(doc_k8s_kind(res.objs.objs[1]), "Secret");
	render_result_release(&res);
	src.directory.recurse = 1;
	must_pass(render(&res, &src, &opts));
	assert_int(res.objs.n, 3);
	assert_str(doc_file(res.objs.objs[2]), "app/sub/b.yaml");
	render_result_release(&res);
	src.directory.exclude = "sub/[";
	must_fail_with(render(&res, &src, &opts), GS_EPARSE);
	assert_str(gs_error_last(), "directory.exclude:1: unterminated '[' in rule 'sub/['");
	assert_int(res.objs.n, 0);
	rmtree(root);
}

/* run argv in a fresh context; *out gets stdout */
static int run(struct render__ctx *c, const char *const *argv, struct buf *out, const char *cut)
{
	struct render__cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.what = "test: tool";
	cmd.cut = cut;
	return render__run(c, &cmd, out);
}

void test_render__child_gets_a_clean_environment(void)
{
	static const char *const argv[] = { "/usr/bin/env", NULL };
	struct render_source src;
	struct render_opts opts = RENDER_OPTS_INIT;
	struct render_result res = RENDER_RESULT_INIT;
	struct render__ctx c;
	struct buf out = BUF_INIT(1 << 20);

	memset(&src, 0, sizeof(src));
	setenv("GITSEAL_GIT_PASSWORD", "do-not-leak", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak", 1);
	must_pass(ctx_on(&c, &src, &opts, &res, "/tmp"));
	must_pass(run(&c, argv, &out, NULL));
	assert_true(!strstr(out.p, "do-not-leak"));
	assert_contains(out.p, "HTTPS_PROXY=http://127.0.0.1:9\n");
	assert_contains(out.p, "HTTP_PROXY=http://127.0.0.1:9\n");
	assert_contains(out.p, "HOME=/");
	assert_contains(out.p, "HELM_CACHE_HOME=");
	assert_true(strstr(out.p, c.priv) !=
	            NULL); /* HOME and helm's dirs live in the private dir */
	{
		struct stat st;
		assert_true(stat(c.priv, &st) == 0 && (st.st_mode & 0777) == 0700);
	}
	unsetenv("GITSEAL_GIT_PASSWORD");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	buf_release(&out);
	ctx_off(&c);
	render_result_release(&res);
}

void test_render__deadline_kills_the_whole_process_group(void)
{
	/* a tool that starts a grandchild holding the pipes open, then both sleep */
	static const char *const argv[] = {
		"/bin/sh", "-c", "sleep 30 & echo $! > \"$HOME/../grandchild\"; sleep 30", NULL
	};
	struct render_source src;
	struct render_opts opts = RENDER_OPTS_INIT;
	struct render_result res = RENDER_RESULT_INIT;
	struct render__ctx c;
	struct buf out = BUF_INIT(1 << 20), pid = BUF_INIT(64);
	char path[4200];
	long gc;

	memset(&src, 0, sizeof(src));
	opts.timeout_ms = 300;
	must_pass(ctx_on(&c, &src, &opts, &res, "/tmp"));
	must_fail_with(run(&c, argv, &out, NULL), GS_EIO);
	assert_str(gs_error_last(), "test: tool: deadline of 0.3s exceeded");
	assert_int(out.len, 0);
	snprintf(path, sizeof(path), "%s/grandchild", c.priv);
	must_pass(file_read(&pid, path));
	gc = strtol(pid.p, NULL, 10);
	assert_true(gc > 0);
	/* killed with its parent (a zombie until init reaps it is fine: it no longer runs) */
	usleep(100000);
	if (kill((pid_t)gc, 0) == 0) {
		char stat[256];
		struct buf st = BUF_INIT(4096);
		snprintf(stat, sizeof(stat), "/proc/%ld/stat", gc);
		if (file_read(&st, stat) == 0)
			assert_true(strstr(st.p, ") Z ") != NULL);
		buf_release(&st);
	}
	buf_release(&out);
	buf_release(&pid);
	ctx_off(&c);
	render_result_release(&res);
}

void test_render__output_cap_exit_status_and_stderr(void)
{
	static const char *const big[] = { "/usr/bin/head", "-c", "300000", "/dev/zero", NULL };
	static const char *const fail[] = { "/bin/sh", "-c",
		                            "echo 'WARNING: noise' >&2; echo 'Error: "
		                            "/tree/root/app/x.yaml:3: bad\n  indented' >&2; exit 3",
		                            NULL };
	static const char *const quiet[] = { "/bin/sh", "-c", "exit 4", NULL };
	static const char *const sig[] = { "/bin/sh", "-c", "kill -9 $$", NULL };
	static const char *const ok[] = { "/bin/sh", "-c",
		                          "printf 'kind: A\\n'; echo '# Warning: deprecated' >&2",
		                          NULL };
	struct render_source src;
	struct render_opts opts = RENDER_OPTS_INIT;
	struct render_result res = RENDER_RESULT_INIT;
	struct render__ctx c;
	struct buf out = BUF_INIT(1 << 20);

	memset(&src, 0, sizeof(src));
	opts.output_max = 100000;
	must_pass(ctx_on(&c, &src, &opts, &res, "/tmp"));
	must_fail_with(run(&c, big, &out, NULL), GS_ETOOBIG);
	assert_str(gs_error_last(), "test: tool: output over 100000 bytes");
	assert_int(out.len, 0);
	must_fail_with(run(&c, fail, &out, "/tree/root/"), GS_EIO);
	assert_str(gs_error_last(), "test: tool: app/x.yaml:3: bad; indented");
	must_fail(run(&c, quiet, &out, NULL));
	assert_str(gs_error_last(), "test: tool: exit status 4 without a message");
	must_fail(run(&c, sig, &out, NULL));
	assert_str(gs_error_last(), "test: tool: killed by signal 9");
	must_pass(run(&c, ok, &out, NULL));
	assert_str(out.p, "kind: A\n");
	assert_int(res.nwarnings, 1);
	assert_str(res.warnings[0], "test: tool: # Warning: deprecated");
	buf_release(&out);
	ctx_off(&c);
	render_result_release(&res);
}

void test_render__staged_copy_is_wiped(void)
{
	static const char *const files[] = { "base/k.yaml=resources: []\n", "base/sub/x.env=A=1\n",
		                             "app/kustomization.yaml=resources: [../base]\n",
		                             NULL };
	struct render_source src;
	struct render_opts opts = RENDER_OPTS_INIT;
	struct render_result res = RENDER_RESULT_INIT;
	struct render__stage st = RENDER__STAGE_INIT;
	struct render__ctx c;
	struct buf b = BUF_INIT(1 << 16);
	char *root = mktree(files), path[4200], *priv;
	struct stat sb;

	assert_true(root != NULL);
	memset(&src, 0, sizeof(src));
	must_pass(ctx_on(&c, &src, &opts, &res, root));
	must_pass(render__stage_new(&c, &st));
	assert_true(stat(st.dir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	must_pass(render__stage_copy_dir(&c, &st, "base"));
	must_pass(render__stage_write(&st, "base/sub/x.env", "A=plaintext\n", 12));
	snprintf(path, sizeof(path), "%s/base/sub/x.env", st.dir);
	must_pass(file_read(&b, path));
	assert_str(b.p, "A=plaintext\n");
	buf_reset(&b);
	snprintf(path, sizeof(path), "%s/base/sub/x.env", root); /* the tree keeps its own bytes */
	must_pass(file_read(&b, path));
	assert_str(b.p, "A=1\n");
	snprintf(path, sizeof(path), "%s", st.dir);
	render__stage_wipe(&st);
	assert_true(stat(path, &sb) < 0);
	priv = strdup(c.priv);
	ctx_off(&c);
	assert_true(stat(priv, &sb) < 0); /* the private directory goes too */
	free(priv);
	buf_release(&b);
	render_result_release(&res);
	rmtree(root);
}
