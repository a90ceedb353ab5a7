// Finds where a server without keepalive is created in the workspace, so the dashboard's Fix
// button can open the keepalive quick fix there.
import * as vscode from 'vscode';
import type { ServerFixInfo } from '../dashboard/protocol';
import type { AnalysisLoader } from './analysisLoader';
import type { Attachment } from './attachments';

const PATTERN = '**/*.{js,cjs,mjs,ts,cts,mts}';
const EXCLUDE = '**/{node_modules,dist,out,.git}/**';

interface Site {
  file: string;
  line: number;
}

export async function locateKeepaliveFixes(attachment: Attachment, loader: AnalysisLoader, token?: vscode.CancellationToken): Promise<ServerFixInfo[]> {
  const needing = [...attachment.store.servers.values()].filter((s) => s.keepalive !== null && s.keepalive.timeMs === null);
  if (needing.length === 0) return [];
  const sites: Site[] = [];
  const analysis = loader.get();
  for (const uri of await vscode.workspace.findFiles(PATTERN, EXCLUDE, 500, token)) {
    const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    if (!analysis.mentionsGrpc(uri.fsPath, text)) continue;
    for (const f of await analysis.analyze(uri.fsPath, text)) if (f.rule === 'server-without-keepalive') sites.push({ file: uri.fsPath, line: f.range.start.line });
  }
  const out: ServerFixInfo[] = [];
  for (const server of needing) {
    let site: Site | undefined = sites.length === 1 ? sites[0] : undefined;
    if (!site && sites.length > 1) {
      // Prefer the file that also defines this server's handlers.
      const method = server.methods[0]?.path;
      const loc = method && attachment.session ? await attachment.session.handlerLocation(server.id, method).catch(() => null) : null;
      const file = loc?.url.startsWith('file:') ? vscode.Uri.parse(loc.url).fsPath : null;
      site = sites.find((s) => s.file === file) ?? sites[0];
    }
    out.push({ serverId: server.id, file: site?.file ?? null, line: site?.line ?? null });
  }
  return out;
}
