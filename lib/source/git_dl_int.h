#ifndef GS_SOURCE_GIT_DL_INT_H
#define GS_SOURCE_GIT_DL_INT_H
/*
 * libgit2 through dlopen() (git_dl.c), as lib/net does with libcurl: gitseal has no
 * DT_NEEDED on libgit2 (and its libssh2, mbedTLS, http-parser, krb5 chain), so the
 * commands that never touch Git do not map it at start. source__git_init() loads it
 * once (source_cache_open() calls it, and every Git operation needs a cache), then
 * every git_*() call of lib/source goes through the table below: the macros at the
 * end turn `git_tree_free(t)` into `source__git.git_tree_free(t)`. A function
 * lib/source starts to use goes into SOURCE__GIT_FUNCS (the build fails with an
 * undefined reference until it does, since the binary no longer links libgit2).
 *
 * The table is filled once under pthread_once and read-only afterwards. Calling a
 * git_*() function before source__git_init() succeeded is a bug (a NULL pointer).
 */
#include <git2.h>
#include <git2/sys/transport.h>

/* Every libgit2 function lib/source calls. */
#define SOURCE__GIT_FUNCS(X)                                                                       \
	X(git_buf_dispose)                                                                         \
	X(git_commit_free)                                                                         \
	X(git_commit_lookup)                                                                       \
	X(git_commit_tree)                                                                         \
	X(git_config_free)                                                                         \
	X(git_config_get_string_buf)                                                               \
	X(git_config_set_string)                                                                   \
	X(git_error_last)                                                                          \
	X(git_error_set_str)                                                                       \
	X(git_ignore_add_rule)                                                                     \
	X(git_ignore_clear_internal_rules)                                                         \
	X(git_ignore_path_is_ignored)                                                              \
	X(git_libgit2_init)                                                                        \
	X(git_libgit2_opts)                                                                        \
	X(git_object_free)                                                                         \
	X(git_object_id)                                                                           \
	X(git_object_lookup)                                                                       \
	X(git_object_lookup_prefix)                                                                \
	X(git_object_peel)                                                                         \
	X(git_object_type)                                                                         \
	X(git_object_type2string)                                                                  \
	X(git_odb_exists)                                                                          \
	X(git_odb_free)                                                                            \
	X(git_odb_hash)                                                                            \
	X(git_odb_object_data)                                                                     \
	X(git_odb_object_free)                                                                     \
	X(git_odb_object_size)                                                                     \
	X(git_odb_read)                                                                            \
	X(git_oid_cpy)                                                                             \
	X(git_oid_equal)                                                                           \
	X(git_oid_fromstr)                                                                         \
	X(git_oid_fromstrn)                                                                        \
	X(git_oid_tostr)                                                                           \
	X(git_oid_tostr_s)                                                                         \
	X(git_reference_create)                                                                    \
	X(git_reference_free)                                                                      \
	X(git_reference_lookup)                                                                    \
	X(git_reference_target)                                                                    \
	X(git_reference_type)                                                                      \
	X(git_remote_connect)                                                                      \
	X(git_remote_create_with_opts)                                                             \
	X(git_remote_disconnect)                                                                   \
	X(git_remote_download)                                                                     \
	X(git_remote_free)                                                                         \
	X(git_remote_init_callbacks)                                                               \
	X(git_remote_ls)                                                                           \
	X(git_repository_config)                                                                   \
	X(git_repository_free)                                                                     \
	X(git_repository_init)                                                                     \
	X(git_repository_odb)                                                                      \
	X(git_repository_open_bare)                                                                \
	X(git_transport_smart)                                                                     \
	X(git_tree_entry_byindex)                                                                  \
	X(git_tree_entry_byname)                                                                   \
	X(git_tree_entry_filemode)                                                                 \
	X(git_tree_entry_id)                                                                       \
	X(git_tree_entry_name)                                                                     \
	X(git_tree_entrycount)                                                                     \
	X(git_tree_free)                                                                           \
	X(git_tree_lookup)

struct source__git_api {
#define SOURCE__GIT_MEMBER(f) __typeof__(&f) f;
	SOURCE__GIT_FUNCS(SOURCE__GIT_MEMBER)
#undef SOURCE__GIT_MEMBER
};
extern struct source__git_api source__git;

/* Load libgit2 (once per process) and git_libgit2_init() it; the message names the library. */
int source__git_load(void);

#ifndef SOURCE__GIT_DL_IMPL
#define git_buf_dispose (source__git.git_buf_dispose)
#define git_commit_free (source__git.git_commit_free)
#define git_commit_lookup (source__git.git_commit_lookup)
#define git_commit_tree (source__git.git_commit_tree)
#define git_config_free (source__git.git_config_free)
#define git_config_get_string_buf (source__git.git_config_get_string_buf)
#define git_config_set_string (source__git.git_config_set_string)
#define git_error_last (source__git.git_error_last)
#define git_error_set_str (source__git.git_error_set_str)
#define git_ignore_add_rule (source__git.git_ignore_add_rule)
#define git_ignore_clear_internal_rules (source__git.git_ignore_clear_internal_rules)
#define git_ignore_path_is_ignored (source__git.git_ignore_path_is_ignored)
#define git_libgit2_init (source__git.git_libgit2_init)
#define git_libgit2_opts (source__git.git_libgit2_opts)
#define git_object_free (source__git.git_object_free)
#define git_object_id (source__git.git_object_id)
#define git_object_lookup (source__git.git_object_lookup)
#define git_object_lookup_prefix (source__git.git_object_lookup_prefix)
#define git_object_peel (source__git.git_object_peel)
#define git_object_type (source__git.git_object_type)
#define git_object_type2string (source__git.git_object_type2string)
#define git_odb_exists (source__git.git_odb_exists)
#define git_odb_free (source__git.git_odb_free)
#define git_odb_hash (source__git.git_odb_hash)
#define git_odb_object_data (source__git.git_odb_object_data)
#define git_odb_object_free (source__git.git_odb_object_free)
#define git_odb_object_size (source__git.git_odb_object_size)
#define git_odb_read (source__git.git_odb_read)
#define git_oid_cpy (source__git.git_oid_cpy)
#define git_oid_equal (source__git.git_oid_equal)
#define git_oid_fromstr (source__git.git_oid_fromstr)
#define git_oid_fromstrn (source__git.git_oid_fromstrn)
#define git_oid_tostr (source__git.git_oid_tostr)
#define git_oid_tostr_s (source__git.git_oid_tostr_s)
#define git_reference_create (source__git.git_reference_create)
#define git_reference_free (source__git.git_reference_free)
#define git_reference_lookup (source__git.git_reference_lookup)
#define git_reference_target (source__git.git_reference_target)
#define git_reference_type (source__git.git_reference_type)
#define git_remote_connect (source__git.git_remote_connect)
#define git_remote_create_with_opts (source__git.git_remote_create_with_opts)
#define git_remote_disconnect (source__git.git_remote_disconnect)
#define git_remote_download (source__git.git_remote_download)
#define git_remote_free (source__git.git_remote_free)
#define git_remote_init_callbacks (source__git.git_remote_init_callbacks)
#define git_remote_ls (source__git.git_remote_ls)
#define git_repository_config (source__git.git_repository_config)
#define git_repository_free (source__git.git_repository_free)
#define git_repository_init (source__git.git_repository_init)
#define git_repository_odb (source__git.git_repository_odb)
#define git_repository_open_bare (source__git.git_repository_open_bare)
#define git_transport_smart (source__git.git_transport_smart)
#define git_tree_entry_byindex (source__git.git_tree_entry_byindex)
#define git_tree_entry_byname (source__git.git_tree_entry_byname)
#define git_tree_entry_filemode (source__git.git_tree_entry_filemode)
#define git_tree_entry_id (source__git.git_tree_entry_id)
#define git_tree_entry_name (source__git.git_tree_entry_name)
#define git_tree_entrycount (source__git.git_tree_entrycount)
#define git_tree_free (source__git.git_tree_free)
#define git_tree_lookup (source__git.git_tree_lookup)
#endif

#endif
