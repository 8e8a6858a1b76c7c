import { basename, relative, sep } from "node:path";
import { watch } from "chokidar";

export interface TemplateWatcher {
  /** Resolves once every file under the folder is watched: a save after this is seen. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Files editors write beside the one being saved and remove again: hidden files (vim's swap, gedit's
 * `.goutputstream-*`), backups (`first.mjml~`), `*.tmp` written then renamed over the original,
 * JetBrains' `___jb_tmp___`/`___jb_old___`, and vim's `4913` (its check that the folder is writable).
 */
export function isEditorScratch(name: string): boolean {
  return name.startsWith(".") || name.endsWith("~") || /\.(tmp|swp|swx)$|___jb_(tmp|old)___$/.test(name) || name === "4913";
}

/**
 * Calls `reload` after files under `dir` change: once per burst of changes (an editor's save is
 * often a write, a rename and a chmod within milliseconds), and never twice at once — changes that
 * arrive during a reload bring one more reload after it. Editors' scratch files are ignored.
 *
 * chokidar watches each folder rather than each file: Node 20's recursive `fs.watch` on Linux
 * watches the files themselves, so a save by rename (vim, JetBrains, gedit write a new file and
 * move it over the old one) leaves it watching a file that is gone, and no later save is seen.
 * chokidar also folds the unlink-then-add of such a save into one change.
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
  let closed = false;

  const run = () => {
    timer = undefined;
    if (running || closed) return;
    const batch = [...changed].sort();
    changed = new Set();
    running = reload(batch)
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = undefined;
        if (changed.size > 0 && timer === undefined && !closed) timer = setTimeout(run, debounceMs);
      });
  };

  const watcher = watch(dir, {
    ignoreInitial: true,
    ignored: (path) => path !== dir && isEditorScratch(basename(path)),
  });
  watcher.on("all", (_event, path) => {
    changed.add(relative(dir, path).split(sep).join("/"));
    clearTimeout(timer);
    timer = setTimeout(run, debounceMs);
  });
  watcher.on("error", (error) => options.onError?.(error));
  const ready = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      await watcher.close();
      await running;
    },
  };
}
