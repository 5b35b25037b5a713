/*
 * gitseal-controller: for now a stub that prints its version. The unsealing
 * controller (drop-in for the Sealed Secrets controller) lands with issue 5.
 */
#include <stdio.h>
#include <string.h>

#define CONTROLLER_VERSION "0.1.0"

int main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: gitseal-controller [--version]\n\n"
		       "The in-cluster controller. This build is a stub that only prints its version:\n"
		       "unsealing SealedSecrets and the GitOps reconciler are not implemented yet.\n");
		return 0;
	}
	printf("gitseal-controller version %s (stub)\n", CONTROLLER_VERSION);
	return 0;
}
