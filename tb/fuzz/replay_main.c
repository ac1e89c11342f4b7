// SPDX-License-Identifier: Apache-2.0
/*
 * main() of the replay build of a fuzz target: runs LLVMFuzzerTestOneInput
 * once per file named on the command line (a directory: every regular file
 * in it, in name order). Built with any compiler, without libFuzzer, so the
 * corpus and the saved crashes run in every `make test`. Each input is
 * passed in a buffer of exactly its size, as libFuzzer does.
 *
 * Like libFuzzer's -rss_limit_mb, the address space is limited (2 GiB,
 * FUZZ_REPLAY_LIMIT_MB to change it, 0 for none) unless a sanitizer that
 * reserves a large shadow is built in: an input that makes the code under
 * test allocate without end fails at once instead of exhausting the machine.
 *
 * Exit status: 0 if at least one input ran (an invariant broken aborts),
 * 1 if no input was found or a file cannot be read.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_SHADOW 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || \
	__has_feature(thread_sanitizer)
#define REPLAY_SHADOW 1
#endif
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (getenv("FUZZ_REPLAY_VERBOSE"))
		fprintf(stderr, "replay: %s (%ld bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Return: inputs run, or -1 on an unreadable file or directory. */
static int run_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int total = 0, rc;
	DIR *d;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: no such file or directory\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "replay: cannot open directory %s\n", path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *full;

		if (de->d_name[0] == '.')
			continue; /* ., .., and hidden files such as .gitkeep */
		full = malloc(strlen(path) + strlen(de->d_name) + 2);
		if (!full)
			abort();
		sprintf(full, "%s/%s", path, de->d_name);
		if (stat(full, &st) || !S_ISREG(st.st_mode)) {
			free(full);
			continue;
		}
		if (n == cap) {
			char **nn = realloc(names, (cap = cap * 2 + 16) * sizeof(*names));

			if (!nn)
				abort();
			names = nn;
		}
		names[n++] = full;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		rc = total >= 0 ? run_file(names[i]) : 0;
		total = rc < 0 ? -1 : total + rc;
		free(names[i]);
	}
	free(names);
	return total;
}

static void limit_memory(void)
{
#ifndef REPLAY_SHADOW
	const char *env = getenv("FUZZ_REPLAY_LIMIT_MB");
	unsigned long mb = env ? strtoul(env, NULL, 10) : 2048;
	struct rlimit rl;

	if (!mb)
		return;
	rl.rlim_cur = rl.rlim_max = (rlim_t)mb << 20;
	if (setrlimit(RLIMIT_AS, &rl))
		perror("replay: setrlimit");
#endif
}

int main(int argc, char **argv)
{
	int total = 0, i, rc;

	limit_memory();
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		rc = run_path(argv[i]);
		if (rc < 0)
			return 1;
		total += rc;
	}
	if (!total) {
		fprintf(stderr, "replay: no input found\n");
		return 1;
	}
	printf("replay: %d inputs, no invariant broken\n", total);
	return 0;
}
