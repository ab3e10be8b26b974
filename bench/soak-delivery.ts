/**
 * Soak version of test/integration/session-delivery.test.ts with the full
 * counts of the delivery issue: 200 send-after-kill trials, 200 request
 * trials against PEs that answer after 0–300 ms (the suite runs 30: each
 * waits for slow replies), 1,000 pipelined requests with 20 kills. Needs
 * `npm run build` (the PE processes run dist/).
 */
import { spawn } from 'node:child_process';

const env = {
  ...process.env,
  RSP_SEND_TRIALS: process.env.RSP_SEND_TRIALS ?? '200',
  RSP_REQUEST_TRIALS: process.env.RSP_REQUEST_TRIALS ?? '200',
  RSP_PIPELINE_REQUESTS: process.env.RSP_PIPELINE_REQUESTS ?? '1000',
  RSP_PIPELINE_KILLS: process.env.RSP_PIPELINE_KILLS ?? '20',
};
const code = await new Promise<number>((resolve) => {
  const child = spawn('npx', ['vitest', 'run', 'test/integration/session-delivery.test.ts', 'test/integration/readme-pool-user.test.ts'], { stdio: 'inherit', env });
  child.on('exit', (c) => resolve(c ?? 1));
});
process.exit(code);
