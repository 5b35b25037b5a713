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

#endif
