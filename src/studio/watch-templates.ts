import { watch } from "node:fs";

export interface TemplateWatcher {
  close(): void;
}

/**
 * Calls `reload` after files under `dir` change: once per burst of changes (an editor's save is
 * often a write, a rename and a chmod within milliseconds), and never twice at once — changes that
 * arrive during a reload bring one more reload after it. Hidden files (editor swap files) are ignored.
 */
export function watchTemplates(
  dir: string,
  reload: (changed: string[]) => Promise<void>,
  options: { debounceMs?: number; onError?: (error: unknown) => void } = {},
): TemplateWatcher {
  const debounceMs = options.debounceMs ?? 150;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let changed = new Set<string>();

  const run = () => {
    timer = undefined;
    if (running) return;
    const batch = [...changed].sort();
    changed = new Set();
    running = reload(batch)
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = undefined;
        if (changed.size > 0 && timer === undefined) timer = setTimeout(run, debounceMs);
      });
  };

  const watcher = watch(dir, { recursive: true }, (_event, file) => {
    const name = file?.toString() ?? "";
    if (name.split(/[\\/]/).some((part) => part.startsWith(".") || part.endsWith("~"))) return;
    changed.add(name);
    clearTimeout(timer);
    timer = setTimeout(run, debounceMs);
  });
  watcher.on("error", (error) => options.onError?.(error));
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
