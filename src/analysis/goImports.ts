// Adds Go imports so the file stays gofmt-clean: into the standard-library group or the group
// that holds the other third-party imports, in sorted position; each path once.
import type { Node } from 'web-tree-sitter';
import { importSpecs } from './goSyntax';
import type { TextEdit } from './types';

const isStd = (path: string): boolean => !path.split('/')[0].includes('.');

export function goImportEdits(source: string, root: Node, paths: string[]): TextEdit[] {
  const specs = importSpecs(root);
  const have = new Set(specs.map((s) => s.childForFieldName('path')?.text.slice(1, -1)));
  const missing = [...new Set(paths)].filter((p) => !have.has(p)).sort();
  if (missing.length === 0) return [];
  const decls = root.namedChildren.filter((n): n is Node => !!n && n.type === 'import_declaration');
  const grouped = decls.find((d) => d.namedChildren.some((c) => c && c.type === 'import_spec_list'));
  if (!grouped) {
    const after = decls.length > 0 ? decls[decls.length - 1] : root.namedChildren.find((n) => n && n.type === 'package_clause');
    const at = after ? after.endIndex : 0;
    const blocks = [missing.filter(isStd), missing.filter((p) => !isStd(p))].filter((b) => b.length > 0);
    const lines = blocks.map((b) => b.map((p) => `\t"${p}"`).join('\n')).join('\n\n');
    return [{ start: at, end: at, newText: `\n\nimport (\n${lines}\n)` }];
  }
  const list = grouped.namedChildren.find((c) => c && c.type === 'import_spec_list') as Node;
  // Groups: runs of specs with no blank line between them.
  const listSpecs = list.namedChildren.filter((c): c is Node => !!c && c.type === 'import_spec');
  const groups: Node[][] = [];
  for (const s of listSpecs) {
    const prev = groups.length > 0 ? groups[groups.length - 1][groups[groups.length - 1].length - 1] : null;
    if (prev && s.startPosition.row - prev.endPosition.row <= 1) groups[groups.length - 1].push(s);
    else groups.push([s]);
  }
  const pathOf = (s: Node): string => s.childForFieldName('path')?.text.slice(1, -1) ?? '';
  const edits: TextEdit[] = [];
  const newGroup: string[] = [];
  for (const p of missing) {
    const group = isStd(p)
      ? groups.find((g) => g.every((s) => isStd(pathOf(s))))
      : groups.find((g) => g.some((s) => pathOf(s).startsWith('google.golang.org/grpc'))) ?? [...groups].reverse().find((g) => g.every((s) => !isStd(pathOf(s))));
    if (!group) {
      newGroup.push(p);
      continue;
    }
    const before = group.find((s) => pathOf(s) > p);
    if (before) {
      const lineStart = source.lastIndexOf('\n', before.startIndex - 1) + 1;
      edits.push({ start: lineStart, end: lineStart, newText: `\t"${p}"\n` });
    } else {
      const last = group[group.length - 1];
      const lineEnd = source.indexOf('\n', last.endIndex);
      const at = lineEnd < 0 ? last.endIndex : lineEnd;
      edits.push({ start: at, end: at, newText: `\n\t"${p}"` });
    }
  }
  if (newGroup.length > 0) {
    const std = newGroup.filter(isStd);
    const other = newGroup.filter((p) => !isStd(p));
    const last = listSpecs[listSpecs.length - 1];
    const lineEnd = source.indexOf('\n', last.endIndex);
    const at = lineEnd < 0 ? last.endIndex : lineEnd;
    const blocks = [std, other].filter((b) => b.length > 0).map((b) => b.map((p) => `\t"${p}"`).join('\n'));
    if (listSpecs.length === 0) edits.push({ start: list.startIndex + 1, end: list.startIndex + 1, newText: `\n${blocks.join('\n\n')}` });
    else edits.push({ start: at, end: at, newText: `\n\n${blocks.join('\n\n')}` });
  }
  // Several imports added at one place must come out in sorted order: merge them.
  const merged = new Map<number, TextEdit>();
  for (const e of edits) {
    const m = merged.get(e.start);
    if (m) m.newText = e.newText.startsWith('\n') ? m.newText + e.newText : m.newText + e.newText;
    else merged.set(e.start, { ...e });
  }
  return [...merged.values()];
}
