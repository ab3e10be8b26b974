/**
 * Process lifecycle helpers shared by the long-running `rsp` subcommands:
 * clean shutdown on SIGINT/SIGTERM.
 *
 * @module
 */

/**
 * Calls `shutdown` once on the first SIGINT or SIGTERM, then exits with code
 * 0 (or 1 if shutdown failed). A second signal exits at once with code 130.
 * Returns a function that removes the handlers.
 */
export function onTerminationSignal(shutdown: (signal: NodeJS.Signals) => Promise<void>): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
