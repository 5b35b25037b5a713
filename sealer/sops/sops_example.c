/*
 * The file `sops edit new.yaml` starts from: each store's EmitExample() in sops
 * (stores/stores.go ExampleComplexTree for YAML and JSON, ExampleFlatTree for
 * dotenv, ExampleSimpleTree for INI, one line for binary), laid out as sops
 * emits it.
 */
#include <stdio.h>

#include "sealer/sops/sops.h"

#define HELLO "Welcome to SOPS! Edit this file as you please!"

static int yaml_example(struct buf *out, int indent)
{
	const char *pad = "                ";
	int n = indent > 0 && indent <= 16 ? indent : 4;
	return buf_addf(out,
	                "hello: " HELLO "\n"
	                "example_key: example_value\n"
	                "# Example comment\n"
	                "example_array:\n"
	                "%.*s- example_value1\n"
	                "%.*s- example_value2\n"
	                "example_number: 1234.56789\n"
	                "example_booleans:\n"
	                "%.*s- true\n"
	                "%.*s- false\n",
	                n, pad, n, pad, n, pad, n, pad);
}

static int json_example(struct buf *out, int indent)
{
	char one[17], two[33];
	int n = indent > 0 && indent <= 16 ? indent : 0, i;
	/* sops indents JSON with a tab unless told otherwise */
	for (i = 0; i < (n ? n : 1); i++)
		one[i] = n ? ' ' : '\t';
	one[i] = 0;
	snprintf(two, sizeof(two), "%s%s", one, one);
	return buf_addf(out,
	                "{\n"
	                "%s\"hello\": \"" HELLO "\",\n"
	                "%s\"example_key\": \"example_value\",\n"
	                "%s\"example_array\": [\n"
	                "%s\"example_value1\",\n"
	                "%s\"example_value2\"\n"
	                "%s],\n"
	                "%s\"example_number\": 1234.56789,\n"
	                "%s\"example_booleans\": [\n"
	                "%strue,\n"
	                "%sfalse\n"
	                "%s]\n"
	                "}\n",
	                one, one, one, two, two, one, one, one, two, two, one);
}

int sops_example(struct buf *out, enum sops_format fmt, int indent)
{
	switch (fmt) {
	case SOPS_FMT_YAML: return yaml_example(out, indent);
	case SOPS_FMT_JSON: return json_example(out, indent);
	case SOPS_FMT_DOTENV:
		return buf_adds(out, "# This is an example file.\n"
		                     "hello=" HELLO "\n"
		                     "example_key=example_value\n"
		                     "example_multiline=foo\\nbar\\nbaz\n");
	case SOPS_FMT_INI:
		return buf_adds(out, "[Welcome!]\n"
		                     "; This is an example file.\n"
		                     "hello = " HELLO "\n"
		                     "example_key = example_value\n");
	default: return buf_adds(out, HELLO);
	}
}
