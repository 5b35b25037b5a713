#ifndef GS_FILE_H
#define GS_FILE_H
/*
 * Files: whole reads with a cap, and writes that happen only on success
 * (temp file in the same directory + fsync + rename), so a failed command
 * never leaves a partial output file. "-" means stdin/stdout.
 */
#include <stddef.h>
#include <sys/types.h>

#include "core/buf.h"

/* Append the whole file (or stdin for "-") to out; GS_ETOOBIG past out->max. */
int file_read(struct buf *out, const char *path);
int file_read_fd(struct buf *out, int fd, const char *name);
/*
 * Write data to path atomically with the given mode (the existing file's mode
 * is kept when it exists and keep_mode is set). "-" writes to stdout.
 */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int keep_mode);
/* Write all of data to fd (retrying on EINTR / short writes). */
int file_write_all(int fd, const void *data, size_t len, const char *name);
int file_exists(const char *path);

/*
 * Several files replaced all together or not at all (fileset.c): file_set_add() stages each
 * new content in a temp file beside its target (fsync'd; the target's mode kept, else mode),
 * file_set_commit() renames them all; file_set_free() removes what was not committed. Nothing
 * is replaced before the commit, so a failure while staging changes nothing.
 */
struct file_set;
int file_set_new(struct file_set **out);
int file_set_add(struct file_set *s, const char *path, const void *data, size_t len, mode_t mode);
int file_set_commit(struct file_set *s);
size_t file_set_count(const struct file_set *s);
void file_set_free(struct file_set *s); /* NULL is fine */

#endif
