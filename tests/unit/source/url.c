/* lib/source URLs: every form git fetches from; userinfo never shown. */
#include <string.h>

#include "core/buf.h"
#include "source/source_int.h"
#include "test.h"

void test_source_url__https_with_userinfo_is_hidden_and_kept_apart(void)
{
	struct source__url u;
	must_pass(
	    source__url_parse(&u, "https://alice:s%40cret@Git.Example.com:8443/org/Repo.git/"));
	assert_int(u.scheme, SOURCE_HTTPS);
	assert_str(u.user, "alice");
	assert_str(u.password, "s@cret");
	assert_str(u.host, "Git.Example.com");
	assert_int(u.port, 8443);
	assert_str(u.path, "/org/Repo.git/");
	assert_str(u.display, "https://Git.Example.com:8443/org/Repo.git/");
	assert_str(u.key, "https://git.example.com:8443/org/Repo.git");
	assert_true(!strstr(u.git_url, "cret"));
	source__url_release(&u);
}

void test_source_url__ssh_forms(void)
{
	struct source__url u;
	must_pass(source__url_parse(&u, "ssh://git@host.example:2222/srv/r.git"));
	assert_int(u.scheme, SOURCE_SSH);
	assert_str(u.user, "git");
	assert_int(u.port, 2222);
	assert_str(u.path, "/srv/r.git");
	assert_str(u.display, "ssh://host.example:2222/srv/r.git");
	source__url_release(&u);

	must_pass(source__url_parse(&u, "git@github.com:org/r.git"));
	assert_int(u.scheme, SOURCE_SSH);
	assert_true(u.scp);
	assert_str(u.user, "git");
	assert_str(u.host, "github.com");
	assert_str(u.path, "org/r.git");
	assert_str(u.display, "github.com:org/r.git");
	assert_str(u.key, "ssh://github.com/~/org/r.git");
	source__url_release(&u);

	must_pass(source__url_parse(&u, "ssh://[::1]:22/x"));
	assert_str(u.host, "::1");
	assert_str(u.display, "ssh://[::1]:22/x");
	source__url_release(&u);

	must_pass(source__url_parse(&u, "git+ssh://h/x"));
	assert_int(u.scheme, SOURCE_SSH);
	source__url_release(&u);
}

void test_source_url__git_http_and_files(void)
{
	struct source__url u;
	must_pass(source__url_parse(&u, "git://127.0.0.1:9418/r.git"));
	assert_int(u.scheme, SOURCE_GIT);
	assert_int(u.port, 9418);
	source__url_release(&u);
	must_pass(source__url_parse(&u, "HTTP://h/r"));
	assert_int(u.scheme, SOURCE_HTTP);
	assert_str(u.key, "http://h/r");
	source__url_release(&u);
	must_pass(source__url_parse(&u, "file:///srv/git/r.git"));
	assert_int(u.scheme, SOURCE_FILE);
	assert_str(u.git_url, "/srv/git/r.git");
	source__url_release(&u);
	must_pass(source__url_parse(&u, "/srv/git/r.git"));
	assert_int(u.scheme, SOURCE_FILE);
	source__url_release(&u);
}

void test_source_url__refuses_what_would_be_an_option_or_is_unclear(void)
{
	struct source__url u;
	struct buf b = BUF_INIT(1024);
	must_fail_with(source__url_parse(&u, "ssh://-oProxyCommand=x/r"), GS_EPARSE);
	must_fail_with(source__url_parse(&u, "-oProxyCommand=x:r"), GS_EPARSE);
	must_fail_with(source__url_parse(&u, "ssh://-l@h/r"), GS_EPARSE);
	must_fail_with(source__url_parse(&u, "ftp://h/r"), GS_EPARSE);
	assert_contains(gs_error_last(), "unsupported URL scheme 'ftp'");
	must_fail_with(source__url_parse(&u, "https://h"), GS_EPARSE);
	must_fail_with(source__url_parse(&u, "https://h:99999/r"), GS_EPARSE);
	must_fail_with(source__url_parse(&u, "https://h/r\n"), GS_EPARSE);
	must_fail_with(source__url_parse(&u, "https://u:%zz@h/r"), GS_EPARSE);
	must_fail_with(source__url_parse(&u, "ssh://u:pw@h/r"), GS_EPARSE);
	must_fail_with(source__url_parse(&u, "relative/path"), GS_EPARSE);
	must_fail_with(source__url_parse(&u, ""), GS_EPARSE);
	/* and the messages never carry the password */
	must_fail(source__url_parse(&u, "https://u:topsecret@h"));
	assert_true(!strstr(gs_error_last(), "topsecret"));
	must_pass(source_url_display(&b, "https://u:topsecret@h/r.git"));
	assert_str(b.p, "https://h/r.git");
	buf_reset(&b);
	must_pass(source_url_key(&b, "HTTPS://u:topsecret@Git.Example.COM/Org/R.git/"));
	assert_str(b.p, "https://git.example.com/Org/R.git");
	buf_release(&b);
}
