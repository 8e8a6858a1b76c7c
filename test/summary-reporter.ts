import type { File, Reporter, Task } from "vitest";

function collect(tasks: Task[], counts: { passed: number; failed: number; skipped: number }) {
  for (const task of tasks) {
    if (task.type === "suite") collect(task.tasks, counts);
    else if (task.result?.state === "pass") counts.passed++;
    else if (task.result?.state === "fail") counts.failed++;
    else counts.skipped++;
  }
}

/** Ends the run with one plain line, `tests: N passed, N failed, N skipped`, that any CI can read. */
export default class SummaryReporter implements Reporter {
  onFinished(files: File[] = [], errors: unknown[] = []) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    collect(files, counts);
    const failed = counts.failed + errors.length + files.filter((f) => f.result?.state === "fail" && f.tasks.length === 0).length;
    process.stdout.write(`\ntests: ${counts.passed} passed, ${failed} failed, ${counts.skipped} skipped\n`);
  }
}
