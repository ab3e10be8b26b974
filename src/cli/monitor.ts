/**
 * `rsp monitor`: a Component Status Protocol monitor. Receives the reports
 * of registrars, pool elements and pool users (ours and the reference
 * implementation's) and prints one line per component change, or, with
 * `--http`, shows them in the web view with a live feed.
 *
 * @module
 */
import { Option, type Command } from 'commander';
import { CSP_PORT, CspMonitor, cspIdText } from '../observe/csp.js';
import { componentViews, feedFromMonitor } from '../observe/csp-view.js';
import { EventFeed } from '../observe/feed.js';
import { startHttpServer } from '../observe/http-server.js';
import { createMetricsRegistry } from '../observe/metrics.js';
import type { TransportAddress } from '../transport/types.js';
import { addHttpOption, httpAllowedHosts, httpUrl } from './http-option.js';
import { onTerminationSignal } from './lifecycle.js';
import { parseAddress, parseDuration } from './parse.js';
import { Counter, Gauge } from 'prom-client';

/** Registers the `monitor` subcommand on `program`. */
export function registerMonitorCommand(program: Command): void {
  const cmd = program
    .command('monitor')
    .description('Component Status Protocol monitor: shows the registrars, PEs and PUs that report to it (--csp of the other commands).')
    .addOption(
      new Option('--listen <addr:port>', `UDP address to receive reports on (use 0.0.0.0:${CSP_PORT} or [::]:${CSP_PORT} for remote components)`)
        .argParser(parseAddress)
        .default({ address: '127.0.0.1', port: CSP_PORT }, `127.0.0.1:${CSP_PORT}`),
    )
    .option('--purge <ms>', 'forget a component after this long without reports (at most 10 of its report intervals)', parseDuration, 30_000)
    .option('-q, --quiet', 'no line per event on standard output', false)
    .configureHelp({ showGlobalOptions: false });
  addHttpOption(cmd);
  cmd.action(async (opts: { listen: TransportAddress; purge: number; quiet: boolean; http?: TransportAddress; httpAllowHost?: string[] }) => {
    let monitor: CspMonitor;
    try {
      monitor = await CspMonitor.listen({ listen: opts.listen, purgeInterval: opts.purge });
    } catch (err) {
      process.stderr.write(`rsp monitor: cannot listen on ${opts.listen.address}:${opts.listen.port}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
      return;
    }
    const out = (line: string): void => {
      if (!opts.quiet) process.stdout.write(`${new Date().toISOString()} ${line}\n`);
    };
    const feed = new EventFeed();
    const detach = feedFromMonitor(monitor, feed);
    feed.on('event', (e) => out(`${e.kind} ${e.text}`));
    monitor.on('invalid', (err, from) => out(`invalid report from ${from.address}:${from.port}: ${err.message}`));
    const a = monitor.address;
    process.stdout.write(`monitor listening on udp ${a.address}:${a.port}\n`);
    let http: Awaited<ReturnType<typeof startHttpServer>> | undefined;
    if (opts.http !== undefined) {
      const registry = createMetricsRegistry();
      new Gauge({ name: 'rserpool_csp_components', help: 'components reporting to this monitor', registers: [registry], collect(this: Gauge) { this.set(monitor.list().length); } });
      new Counter({ name: 'rserpool_csp_reports_total', help: 'CSP reports received', registers: [registry], collect(this: Counter) { this.reset(); this.inc(monitor.reports); } });
      new Counter({ name: 'rserpool_csp_invalid_total', help: 'datagrams that were not valid CSP reports', registers: [registry], collect(this: Counter) { this.reset(); this.inc(monitor.invalid); } });
      try {
        http = await startHttpServer({
          listen: opts.http,
          ...httpAllowedHosts(opts),
          metrics: registry,
          feed,
          state: () => ({ role: 'monitor', id: `udp ${a.address}:${a.port}`, reports: monitor.reports, components: componentViews(monitor.list()) }),
          routes: { 'GET /api/components': () => componentViews(monitor.list()) },
        });
        process.stdout.write(`http ${httpUrl(http.address)}\n`);
      } catch (err) {
        process.stderr.write(`rsp monitor: --http: ${err instanceof Error ? err.message : String(err)}\n`);
        await monitor.close();
        process.exitCode = 1;
        return;
      }
    }
    monitor.on('report', (c, prev) => {
      if (prev === undefined || prev.status !== c.last.status) out(`${cspIdText(c.id)} ${c.last.final ? 'final' : c.last.status}`);
    });
    onTerminationSignal(async () => {
      detach();
      await http?.close();
      await monitor.close();
    });
  });
}
