/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own report, so
 * that CI tooling that does not parse vitest's format still reads the counts. Above it, one line per
 * skipped suite that says why (tests reading ../shared when it is absent, see shared.ts).
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const reasons: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
        if (state === 'skipped' && test.fullName.includes('skipped: needs ../shared/')) reasons.push(`${module.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}`);
      }
      // A file that failed to load has no tests but must count as a failure.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    if (reasons.length > 0) process.stdout.write(`\n${reasons.join('\n')}\n`);
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
