// What the analysis reports and how fixes are expressed: plain data shared by the CLI and VS Code.

export type RuleId = 'recv-without-idle-timeout' | 'server-without-keepalive' | 'stream-handler-ignores-cancel' | 'stream-wait-ignores-context' | 'stream-subscription-outlives-call';

/** Ids that rules had before, as settings may still spell them. */
export const RENAMED_RULES: Record<string, RuleId> = { 'recv-loop-ignores-context': 'recv-without-idle-timeout' };
export type FixKind = 'context-aware' | 'async-receive' | 'keepalive' | 'select-context' | 'cleanup-on-end';
export type Language = 'go' | 'typescript' | 'javascript';

export const ALL_FIXES: FixKind[] = ['context-aware', 'async-receive', 'keepalive', 'select-context', 'cleanup-on-end'];

/** 0-based line and UTF-16 column, as editors count. */
export interface Position {
  line: number;
  column: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface Finding {
  rule: RuleId;
  language: Language;
  range: Range;
  message: string;
  fixes: FixKind[];
}

/** Replace [start, end) of the text (UTF-16 offsets) with newText. */
/** Findings without the syntax nodes behind them (safe to keep or send). */
export function publicFinding(f: Finding): Finding {
  return { rule: f.rule, language: f.language, range: f.range, message: f.message, fixes: f.fixes };
}

export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

export interface FixOptions {
  idleTimeoutMs: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** True when another file of the same Go package already declares the helper. */
  goHelperDeclaredElsewhere?: boolean;
  /** The same for the untilDone helper of the select-context fix. */
  goUntilDoneDeclaredElsewhere?: boolean;
  /** The `go` directive of the file's go.mod (the helper needs generics: 1.18). */
  goVersion?: string;
}

export const DEFAULT_FIX_OPTIONS: FixOptions = { idleTimeoutMs: 30_000, keepaliveTimeMs: 30_000, keepaliveTimeoutMs: 10_000 };

export const FIX_TITLES: Record<FixKind, (o: FixOptions, language?: Language) => string> = {
  'context-aware': (_o, language) =>
    language === 'go'
      ? 'Check the stream context between messages (stops the handler\'s own work once the stream ends; it does not unblock Recv)'
      : 'Stop the receive loop when the stream context is done',
  'async-receive': (o) => `Receive asynchronously with a ${Math.round(o.idleTimeoutMs / 1000)} s idle timeout (ends a silent client with DEADLINE_EXCEEDED)`,
  'cleanup-on-end': () => 'Stop it when the call ends (on \'cancelled\' and \'close\')',
  'select-context': () => 'Also wait for the stream\'s context (the handler returns once the client is gone)',
  keepalive: (o) => `Add server keepalive (ping every ${Math.round(o.keepaliveTimeMs / 1000)} s, timeout ${Math.round(o.keepaliveTimeoutMs / 1000)} s)`,
};

export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

export function languageOf(fileName: string): Language | null {
  if (/\.go$/.test(fileName)) return 'go';
  if (/\.(ts|mts|cts|tsx)$/.test(fileName) && !/\.d\.[mc]?ts$/.test(fileName)) return 'typescript';
  if (/\.(js|mjs|cjs|jsx)$/.test(fileName)) return 'javascript';
  return null;
}

export class AnalysisError extends Error {}
