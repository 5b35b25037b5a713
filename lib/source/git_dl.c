/*
 * libgit2 through dlopen(): loaded, checked and git_libgit2_init()ed once, by
 * the first source_cache_open() (git_dl_int.h). gitseal and gitseal-controller
 * carry no DT_NEEDED on libgit2, so offline commands start without mapping it
 * and its chain (libssh2, mbedTLS, http-parser, krb5, ...).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#define SOURCE__GIT_DL_IMPL
#include "source/git_dl_int.h"

/* The soname of the libgit2 we were compiled against: its ABI changes with each minor version. */
#define GIT_SONAME "libgit2.so." LIBGIT2_SOVERSION

struct source__git_api source__git;

/* Called once, under fetch.c's pthread_once. */
static char load_err[512];

int source__git_load(void)
{
	struct source__git_api api;
	int (*version)(int *, int *, int *);
	const char *missing = NULL, *why;
	int major = 0, minor = 0, rev = 0;
	void *lib, *sym;

	/* RTLD_LOCAL: libgit2's symbols stay out of the global scope. Never dlclose()d: libgit2
	 * keeps process-wide state (its init count, TLS, registered transports). */
	if (!(lib = dlopen(GIT_SONAME, RTLD_NOW | RTLD_LOCAL))) {
		why = dlerror();
		snprintf(load_err, sizeof(load_err),
		         GIT_SONAME " not found: install libgit2-" LIBGIT2_SOVERSION
		                    " (make deps)%s%s%s",
		         why ? " [" : "", why ? why : "", why ? "]" : "");
		return gs_error(GS_ENOTFOUND, "%s", load_err);
	}
	/* dlsym() into function pointers through memcpy: ISO C has no object->function cast */
	if (!(sym = dlsym(lib, "git_libgit2_version"))) {
		missing = "git_libgit2_version";
		goto fail;
	}
	memcpy(&version, &sym, sizeof(sym));
	if (version(&major, &minor, &rev) < 0 || major != LIBGIT2_VER_MAJOR ||
	    minor != LIBGIT2_VER_MINOR) {
		snprintf(load_err, sizeof(load_err),
		         GIT_SONAME " is version %d.%d.%d: libgit2 " LIBGIT2_SOVERSION
		                    ".x is needed",
		         major, minor, rev);
		return gs_error(GS_ENOTFOUND, "%s", load_err);
	}
#define SOURCE__GIT_RESOLVE(f)                                                                     \
	if (!missing) {                                                                            \
		if (!(sym = dlsym(lib, #f)))                                                       \
			missing = #f;                                                              \
		else                                                                               \
			memcpy(&api.f, &sym, sizeof(sym));                                         \
	}
	memset(&api, 0, sizeof(api));
	SOURCE__GIT_FUNCS(SOURCE__GIT_RESOLVE)
#undef SOURCE__GIT_RESOLVE
	if (missing)
		goto fail;
	source__git = api; /* all or nothing */
	return 0;
fail:
	snprintf(load_err, sizeof(load_err),
	         GIT_SONAME " has no %s: not a usable libgit2 (install libgit2-" LIBGIT2_SOVERSION
	                    ": make deps)",
	         missing);
	return gs_error(GS_ENOTFOUND, "%s", load_err);
}
