// Entry of dist/analysis.js: everything that needs the parsers (TypeScript's compiler is large),
// loaded on first use so that `grpc-streams list` and the extension's activation stay fast.
export { analyze, fixEdits, fixText, goHelperDeclaredIn, mentionsGrpc } from './analysis/analyzer';
export { analyzeWhole, DocumentAnalysis } from './analysis/documentAnalysis';
export { lintPaths, registrationsNear } from './analysis/lint';
export { runFix, runLint } from './cli/lintCommands';

export type AnalysisBundle = typeof import('./analysisBundle');
