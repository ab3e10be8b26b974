#!/usr/bin/env node
/**
 * The `rsp` command.
 *
 * @module
 */
import { VERSION } from '../version.js';

const [, , command] = process.argv;
if (command === '--version' || command === '-v') {
  process.stdout.write(`${VERSION}\n`);
} else {
  process.stdout.write(
    `rserpool ${VERSION}\n` +
      'Planned subcommands: registrar, server, terminal, pingpong, hsdump, demo.\n' +
      'None is available yet in this version; see README.md.\n',
  );
}
