/*
 * records.h: the input format of the records fuzz target (records.c),
 * and what the storage targets and their seeds (seeds.c) agree on.
 *
 *   input  = what record*
 *   what   = byte: FUZZ_WRITE, FUZZ_SECRETS (other bits ignored)
 *   record = klen key vlen value
 *   klen   = byte, the key's size (a NUL in the key ends it early)
 *   vlen   = u16 little-endian, the value's size
 *
 * Each record is put in a memory store under its key as it is, in the
 * order given (a key given again is skipped); a record cut short by the
 * end of the input is dropped.
 */
#ifndef ROSTER_FUZZ_RECORDS_H
#define ROSTER_FUZZ_RECORDS_H

/* After the reads: the writes, each checked against a reopen. */
#define FUZZ_WRITE 1u
/* A wrong password and wrong tokens tried on a user (hashes run). */
#define FUZZ_SECRETS 2u

#define FUZZ_KEY_MAX 255
#define FUZZ_VALUE_MAX 65535

/* The clock of the directories, seeds and fuzzing alike, so that the
 * tokens of the seeds stay live (2023-11-14). */
#define FUZZ_NOW 1700000000

#endif
