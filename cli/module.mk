# cli/: the gitseal command: main.c dispatches to one cmd_<verb>.c per subcommand.
CLI_SRCS += $(wildcard cli/*.c)
