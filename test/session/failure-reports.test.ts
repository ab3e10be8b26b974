import { describe, expect, it } from 'vitest';
import { FailureReportPolicy } from '../../src/session/failure-reports.js';

describe('which failures a pool user reports', () => {
  it('never reports every PE of a pool, and each PE at most once', () => {
    const p = new FailureReportPolicy();
    p.see([1, 2]);
    expect(p.shouldReport(1)).toBe(true);
    expect(p.shouldReport(1)).toBe(false); // once
    expect(p.shouldReport(2)).toBe(false); // the last one it has not reported: it keeps trying instead
    expect(p.withheld).toBe(1);
    // A PE that joins later may be reported while another stays unreported.
    p.see([3]);
    expect(p.shouldReport(2)).toBe(true);
    expect(p.shouldReport(3)).toBe(false);
  });

  it('a pool of one PE is never reported', () => {
    const p = new FailureReportPolicy();
    expect(p.shouldReport(9)).toBe(false);
  });
});
