/**
 * Which failures a pool user reports to its registrar (ASAP Endpoint
 * Unreachable). On a lossy path a pool user may fail to reach every PE of a
 * pool in turn although they are all healthy; if it reported each of them,
 * its own reports would help empty the pool. So a session reports each PE at
 * most once, and never the last PE of the pool it has not reported yet: once
 * every other PE it knows was reported, it stops reporting and just keeps
 * trying.
 *
 * @module
 */

/** Most PE ids remembered per session (bounded memory for huge pools). */
const MAX_KNOWN = 4096;

/** The report decisions of one session. */
export class FailureReportPolicy {
  private readonly known = new Set<number>();
  private readonly reported = new Set<number>();
  /** Reports held back because they would have covered the whole pool. */
  withheld = 0;

  /** PEs of the pool seen in resolutions (or connected to). */
  see(ids: Iterable<number>): void {
    for (const id of ids) {
      if (this.known.size >= MAX_KNOWN) return;
      this.known.add(id);
    }
  }

  /** Whether to report `id` now; records the report when it says yes. */
  shouldReport(id: number): boolean {
    this.see([id]);
    if (this.reported.has(id)) return false;
    let unreported = 0;
    for (const k of this.known) if (k !== id && !this.reported.has(k)) unreported++;
    if (unreported === 0) {
      this.withheld++;
      return false;
    }
    this.reported.add(id);
    return true;
  }
}
