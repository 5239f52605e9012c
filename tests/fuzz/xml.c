/*
 * xml.c: the fuzz target of the XML importer (bulk.h of this directory).
 *
 * Built as a libFuzzer binary with -Dfuzz=true (clang), and run over
 * corpus/xml by replay.c under `meson test`.
 */
#include "bulk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_import(ROSTER_FORMAT_XML, data, size);
	return 0;
}
