/*
 * records.c: the fuzz target of a directory opened over hostile stored
 * records: the record codec and the checks a load runs, whatever a
 * host's store hands back.
 *
 * Each input is a list of (key, value) records (records.h) put in a
 * memory store, on which store.h opens directories, reads, and with the
 * input's first byte writes and tries secrets.
 *
 * Built as a libFuzzer binary with -Dfuzz=true (clang), and run over
 * corpus/records by replay.c under `meson test`.
 */
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const roster_storage *st = roster_memstore_methods();
	roster_memstore *ms = NULL;
	char key[FUZZ_KEY_MAX + 1];
	size_t pos = 1;
	uint64_t ver;
	int rc;

	if (size == 0)
		return 0;
	fuzz_check(roster_memstore_new(&ms) == ROSTER_OK);
	fuzz_check(st->begin(ms) == 0);
	while (size - pos >= 3) {
		size_t klen = data[pos], vlen;

		if (size - pos < 3 + klen)
			break;
		memcpy(key, data + pos + 1, klen);
		key[klen] = '\0';
		vlen = (size_t)data[pos + 1 + klen] |
		       (size_t)data[pos + 2 + klen] << 8;
		pos += 3 + klen;
		if (size - pos < vlen)
			break;
		rc = st->put(ms, key, data + pos, vlen, 0, &ver);
		fuzz_check(rc == 0 || rc == ROSTER_ECONFLICT);
		pos += vlen;
	}
	fuzz_check(st->commit(ms) == 0);
	fuzz_store_run(st, ms, ms, data[0]);
	roster_memstore_free(ms);
	return 0;
}
