// `lint` and `fix`: the analysis core for a user's own CI and terminal.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fixText, goHelperDeclaredIn } from '../analysis/analyzer';
import { GO_UNTIL_DONE } from '../analysis/goFixes';
import { lintPaths, registrationsNear, unreadable, type FileProblem } from '../analysis/lint';
import { ALL_FIXES, DEFAULT_FIX_OPTIONS, type FixKind } from '../analysis/types';
import { errorMessage } from '../inspector/errors';
import { parseDuration } from '../model/listJson';
import { parseArgs, UsageError } from './args';
import { moduleGoVersion } from '../analysis/goModule';

export const LINT_HELP = `Usage: grpc-streams lint [paths...] [--json] [--allow-parse-errors]

Finds gRPC receive loops that wait forever when a client vanishes, and servers without
keepalive, in Go, TypeScript and JavaScript files (default path: .). Exits 1 when it finds any,
2 when it cannot lint (a path that does not exist or cannot be read, or a file that does not
parse or is not text).
  --json                 print [{ "file", "line", "column", "rule", "message", "fixes" }] (1-based)
  --allow-parse-errors   report files that do not parse, but do not fail for them`;

export const FIX_HELP = `Usage: grpc-streams fix FILE --line N --pattern context-aware|async-receive|keepalive|select-context|cleanup-on-end [--write]

Applies one fix to the finding on line N (1-based) and prints the fixed file, or writes it.
  --idle-timeout D        idle timeout of the async-receive fix (default 30s)
  --keepalive-time D      keepalive ping interval of the keepalive fix (default 30s)
  --keepalive-timeout D   keepalive ping timeout (default 10s)
  --write                 write the file instead of printing it`;

export async function runLint(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [], ['--json', '--allow-parse-errors', '--help', '-h']);
  if (args.switches.has('--help') || args.switches.has('-h')) {
    process.stdout.write(LINT_HELP + '\n');
    return 0;
  }
  let findings;
  const problems: FileProblem[] = [];
  try {
    findings = await lintPaths(args.positionals.length > 0 ? args.positionals : ['.'], process.cwd(), problems);
  } catch (e) {
    // 2, not 1: a CI step must tell "the code has findings" from "the lint could not run".
    process.stderr.write(`grpc-streams lint: ${errorMessage(e)}\n`);
    return 2;
  }
  if (args.switches.has('--json')) {
    const out = findings.map((f) => ({ file: f.file, line: f.range.start.line + 1, column: f.range.start.column + 1, rule: f.rule, message: f.message, fixes: f.fixes }));
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else {
    for (const f of findings) {
      process.stdout.write(`${f.file}:${f.range.start.line + 1}:${f.range.start.column + 1}  ${f.rule}  ${f.message}${f.fixes.length ? `  (fixes: ${f.fixes.join(', ')})` : ''}\n`);
    }
    const unanalysed = problems.length > 0 ? `; ${problems.length} file${problems.length === 1 ? '' : 's'} could not be analysed` : '';
    process.stderr.write(findings.length === 0 ? `No findings${unanalysed}.\n` : `${findings.length} finding${findings.length === 1 ? '' : 's'}${unanalysed}.\n`);
  }
  // On stderr in both forms: --json's stdout stays the findings document.
  for (const p of problems) process.stderr.write(`grpc-streams lint: ${p.file}${p.line !== null ? `:${p.line}` : ''}: ${p.message}\n`);
  if (problems.length > 0 && !args.switches.has('--allow-parse-errors')) return 2;
  return findings.length > 0 ? 1 : 0;
}

export async function runFix(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['--line', '--pattern', '--idle-timeout', '--keepalive-time', '--keepalive-timeout'], ['--write', '--help', '-h']);
  if (args.switches.has('--help') || args.switches.has('-h')) {
    process.stdout.write(FIX_HELP + '\n');
    return 0;
  }
  const file = args.positionals[0];
  const lineText = args.values.get('--line');
  const pattern = args.values.get('--pattern') as FixKind | undefined;
  if (!file || !lineText || !pattern) throw new UsageError('Usage: grpc-streams fix FILE --line N --pattern context-aware|async-receive|keepalive|select-context|cleanup-on-end [--write]');
  if (!ALL_FIXES.includes(pattern)) throw new UsageError(`--pattern must be one of ${ALL_FIXES.join(', ')}, not "${pattern}".`);
  const line = Number(lineText);
  if (!Number.isInteger(line) || line < 1) throw new UsageError(`--line needs a line number from 1, not "${lineText}".`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw unreadable(file, e);
  }
  const options = {
    idleTimeoutMs: parseDuration(args.values.get('--idle-timeout') ?? `${DEFAULT_FIX_OPTIONS.idleTimeoutMs}ms`),
    keepaliveTimeMs: parseDuration(args.values.get('--keepalive-time') ?? `${DEFAULT_FIX_OPTIONS.keepaliveTimeMs}ms`),
    keepaliveTimeoutMs: parseDuration(args.values.get('--keepalive-timeout') ?? `${DEFAULT_FIX_OPTIONS.keepaliveTimeoutMs}ms`),
    goHelperDeclaredElsewhere: false,
    goUntilDoneDeclaredElsewhere: false,
    goVersion: undefined as string | undefined,
  };
  if (file.endsWith('.go') && (pattern === 'async-receive' || pattern === 'select-context')) {
    const dir = dirname(file);
    const siblings = readdirSync(dir)
      .filter((f) => f.endsWith('.go') && join(dir, f) !== join(dir, file.split(/[\\/]/).pop() as string))
      .map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
    options.goHelperDeclaredElsewhere = await goHelperDeclaredIn(siblings, file);
    options.goUntilDoneDeclaredElsewhere = await goHelperDeclaredIn(siblings, file, GO_UNTIL_DONE);
    options.goVersion = moduleGoVersion(dir) ?? undefined;
  }
  const fixed = await fixText(file, text, { line: line - 1, registered: registrationsNear(file) }, pattern, options);
  if (args.switches.has('--write')) {
    writeFileSync(file, fixed);
    process.stderr.write(`Fixed ${file}:${line} (${pattern}).\n`);
  } else {
    process.stdout.write(fixed);
  }
  return 0;
}
