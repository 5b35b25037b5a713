/*
 * A plain main() for fuzz targets: runs LLVMFuzzerTestOneInput on every file
 * named (directories are walked one level), so `make test` replays the
 * committed corpora without libFuzzer. A crash kills the process: the last
 * "# replay FILE" line names the input.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t n = 0, cap = 0, got;

	if (!f) {
		fprintf(stderr, "replay: cannot open '%s'\n", path);
		return -1;
	}
	do {
		if (n == cap) {
			unsigned char *nd;
			cap = cap ? cap * 2 : 4096;
			if (!(nd = realloc(data, cap))) {
				free(data);
				fclose(f);
				return -1;
			}
			data = nd;
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	printf("# replay %s (%zu bytes)\n", path, n);
	fflush(stdout);
	/* an exact-size copy, so ASan sees reads past the end */
	unsigned char *exact = malloc(n ? n : 1);
	if (!exact) {
		free(data);
		return -1;
	}
	memcpy(exact, data, n);
	free(data);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int i, count = 0, bad = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			char **names = NULL;
			size_t nn = 0, k;
			while (d && (de = readdir(d))) {
				char **nn2;
				if (de->d_name[0] == '.')
					continue;
				if (!(nn2 = realloc(names, (nn + 1) * sizeof(*names))))
					break;
				names = nn2;
				if (asprintf(&names[nn], "%s/%s", argv[i], de->d_name) < 0)
					break;
				nn++;
			}
			if (d)
				closedir(d);
			qsort(names, nn, sizeof(*names), cmp);
			for (k = 0; k < nn; k++) {
				bad |= replay_file(names[k]) < 0;
				count++;
				free(names[k]);
			}
			free(names);
		} else {
			bad |= replay_file(argv[i]) < 0;
			count++;
		}
	}
	printf("# replayed %d inputs\n", count);
	return bad ? 1 : 0;
}
