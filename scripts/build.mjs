// Bundles the extension, the CLI, the agent and the webview with esbuild.
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const watch = process.argv.includes('--watch');
const common = { bundle: true, sourcemap: true, logLevel: 'warning', target: 'node18', platform: 'node' };
const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', format: 'cjs', external: ['vscode'] },
  { ...common, entryPoints: ['src/cli/cli.ts'], outfile: 'dist/cli.js', format: 'cjs', banner: { js: '#!/usr/bin/env node' } },
  // The parsers: loaded by the CLI's lint/fix and the extension's diagnostics on first use.
  { ...common, entryPoints: ['src/analysisBundle.ts'], outfile: 'dist/analysis.js', format: 'cjs', minify: true, sourcemap: false },
  // The channelz source (grpc-js and its proto loader): loaded only by `--channelz`.
  { ...common, entryPoints: ['src/sources/channelz/index.ts'], outfile: 'dist/channelz.js', format: 'cjs', sourcemap: false },
  // IIFE: it is evaluated as a plain script through the inspector, and also works under --require.
  { ...common, entryPoints: ['src/agent/index.ts'], outfile: 'dist/agent.js', format: 'iife', sourcemap: false },
  { ...common, entryPoints: ['webview/dashboard/main.ts'], outfile: 'dist/webview/dashboard.js', format: 'iife', platform: 'browser', target: 'es2022' },
].filter((b) => existsSync(b.entryPoints[0]));

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
}
// tree-sitter's runtime and Go grammar load from next to the bundles.
mkdirSync('dist', { recursive: true });
copyFileSync(require.resolve('web-tree-sitter/tree-sitter.wasm'), 'dist/tree-sitter.wasm');
copyFileSync(require.resolve('tree-sitter-go/tree-sitter-go.wasm'), 'dist/tree-sitter-go.wasm');
