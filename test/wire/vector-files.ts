/**
 * Loads the conformance vectors kept in `test/fixtures/vectors/` (see the
 * README there for where each file came from). Resolved from this file,
 * never from the working directory.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Folder holding the conformance vectors. */
export const VECTOR_DIR = fileURLToPath(new URL('../fixtures/vectors/', import.meta.url));

/** One line of a vector file (only the fields the tests use). */
export interface Vector {
  protocol: 'asap' | 'enrp';
  ppid: number;
  type: number;
  name: string;
  label?: string;
  hex: string;
  length: number;
  rsplib_parser?: { result: 'accepted' | 'rejected' | 'crash'; error?: string; operation_error_code?: string; detail?: string };
  rsplib_parser_current?: { result: string; error?: string };
  wireshark: { version: string; malformed: boolean };
  capture?: { frame: number };
  decoded: { structured?: Record<string, unknown>; structured_legacy?: Record<string, unknown> };
}

/** Reads a `.jsonl` vector file by base name. */
export function loadVectors(file: 'rfc_rsplib_generated' | 'rfc_handcrafted_interop' | 'demo_pcap_legacy'): Vector[] {
  return readFileSync(`${VECTOR_DIR}${file}.jsonl`, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Vector);
}

/** The message bytes of a vector. */
export function vectorBytes(v: Vector): Uint8Array {
  return new Uint8Array(Buffer.from(v.hex, 'hex'));
}

/** Lower-case hex of bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
