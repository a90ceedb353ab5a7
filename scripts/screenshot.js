// Takes the README screenshot (media/dashboard-dark.png): the demo server in a real VS Code,
// dark theme, Streams view and dashboard open, after the frozen client has turned suspect.
//   node scripts/screenshot.js
'use strict';
const path = require('node:path');
const { startServer, startClient, killAll } = require('../test/helpers/procs');
const { CodeServer } = require('../test/e2e/codeServer');

(async () => {
  const server = await startServer();
  await startClient(server.port, 'chat,watch', ['--chat-every', '700', '--watch-every', '1000']);
  await startClient(server.port, 'chat,upload', ['--chat-every', '1300']);
  const frozen = await startClient(server.port, 'upload,chat');
  frozen.freeze();
  const cs = await CodeServer.start({ settings: { 'grpcStreams.idleWarningSeconds': 10, 'grpcStreams.suspectAfterSeconds': 20, 'workbench.colorTheme': 'Default Dark Modern' } });
  try {
    const page = await cs.openBrowser();
    await page.setViewportSize({ width: 1500, height: 900 });
    await cs.runCommand('gRPC Streams: Attach to Inspector Address…');
    await cs.answerInput(`127.0.0.1:${server.inspectPort}`);
    await cs.runCommand('View: Hide Secondary Side Bar').catch(() => undefined);
    await cs.runCommand('View: Show gRPC Streams');
    await cs.runCommand('gRPC Streams: Show Dashboard');
    await page.waitForTimeout(45000);
    await page.screenshot({ path: path.join(__dirname, '..', 'media', 'dashboard-dark.png') });
    console.log('wrote media/dashboard-dark.png');
  } finally {
    await cs.stop();
    killAll();
  }
})().catch((e) => {
  console.error(e);
  killAll();
  process.exit(1);
});
