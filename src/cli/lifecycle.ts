/**
 * Process lifecycle helpers shared by the long-running `rsp` subcommands:
 * clean shutdown on SIGINT/SIGTERM, and on the death of the parent process
 * when started with an IPC channel.
 *
 * @module
 */

import { errorLine, errorText } from './common.js';

/** Why a long-running command stops: a signal, or its parent process is gone. */
export type StopReason = NodeJS.Signals | 'parent exited';

/** How long a shutdown after the parent's death may take before the process exits anyway. */
export const PARENT_EXIT_GRACE_MS = 5000;

/**
 * Calls `shutdown` once on the first SIGINT or SIGTERM, then exits with code
 * 0 (or 1 if shutdown failed). A second signal exits at once with code 130.
 *
 * When the process was started with an IPC channel (`child_process.fork`,
 * or `stdio` with `'ipc'`, as `rsp demo` starts its pool elements), the
 * channel closing means the parent is gone, even when it was SIGKILLed:
 * then `shutdown` runs too, bounded by {@link PARENT_EXIT_GRACE_MS}, so no
 * child outlives its parent. `command` names the subcommand in the error
 * line of a failed shutdown. Returns a function that removes the handlers.
 */
export function onTerminationSignal(shutdown: (reason: StopReason) => Promise<void>, command?: string): () => void {
  let stopping = false;
  const handler = (reason: StopReason): void => {
    if (stopping) {
      if (reason !== 'parent exited') process.exit(130);
      return;
    }
    stopping = true;
    if (reason === 'parent exited') setTimeout(() => process.exit(0), PARENT_EXIT_GRACE_MS).unref();
    shutdown(reason).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${errorLine(command, `shutdown failed: ${errorText(err)}`)}\n`);
        process.exit(1);
      },
    );
  };
  const onDisconnect = (): void => handler('parent exited');
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  if (process.channel) {
    process.once('disconnect', onDisconnect);
    // The channel alone must not keep the process alive; the command's own work does.
    process.channel.unref();
  }
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    process.off('disconnect', onDisconnect);
  };
}
