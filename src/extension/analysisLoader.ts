// dist/analysis.js (the parsers) is loaded on the first gRPC file, not at activation.
import { join } from 'node:path';
import type { AnalysisBundle } from '../analysisBundle';

export class AnalysisLoader {
  private bundle: AnalysisBundle | null = null;

  constructor(private readonly extensionPath: string) {}

  get(): AnalysisBundle {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (!this.bundle) this.bundle = require(join(this.extensionPath, 'dist', 'analysis.js')) as AnalysisBundle;
    return this.bundle;
  }
}
