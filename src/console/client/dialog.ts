import { ApiError } from "./api.js";
import { type Child, field, h, replace, uid } from "./dom.js";

export interface DialogField {
  label: string;
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  hint?: string;
}

/** A refusal said in the page's words: the message, then each problem with its path. */
export function errorText(error: unknown): Child {
  if (error instanceof ApiError) {
    return [error.message, error.problems.length > 0 ? h("ul", null, error.problems.map((p) => h("li", null, `${p.path}: ${p.message}`))) : null];
  }
  return `Something went wrong: ${(error as Error).message}`;
}

/**
 * Asks before an act that changes something for a customer or a campaign, in a modal `<dialog>`:
 * focus moves into it, Escape or Cancel closes it, and focus returns to the button that opened it.
 * `act` runs on Confirm; a refusal is shown in the dialog and it stays open. Resolves true once done.
 */
export function confirmDialog(options: {
  title: string;
  description?: Child;
  fields?: DialogField[];
  confirm: string;
  danger?: boolean;
  act: () => Promise<unknown>;
}): Promise<boolean> {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = uid("dialog-title");
  const descriptionId = uid("dialog-description");
  const error = h("div", { class: "error", role: "alert" });
  const confirm = h("button", { type: "submit", class: options.danger ? "danger" : "primary" }, options.confirm);
  const cancel = h("button", { type: "button" }, "Cancel");
  const form = h(
    "form",
    { method: "dialog", novalidate: true },
    h("h2", { id: titleId }, options.title),
    options.description ? h("div", { id: descriptionId, class: "dialog-description" }, options.description) : null,
    (options.fields ?? []).map((f) => field(f.label, f.control, f.hint)),
    error,
    h("div", { class: "actions" }, cancel, confirm),
  );
  const dialog = h("dialog", { "aria-labelledby": titleId, ...(options.description && { "aria-describedby": descriptionId }) }, form);
  document.body.append(dialog);

  return new Promise((resolve) => {
    let done = false;
    const close = (result: boolean) => {
      done = result;
      dialog.close();
    };
    dialog.addEventListener("close", () => {
      dialog.remove();
      opener?.focus();
      resolve(done);
    });
    cancel.addEventListener("click", () => close(false));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      confirm.disabled = true;
      confirm.setAttribute("aria-busy", "true");
      replace(error);
      options
        .act()
        .then(() => close(true))
        .catch((failure: unknown) => {
          replace(error, errorText(failure));
          confirm.disabled = false;
          confirm.removeAttribute("aria-busy");
        });
    });
    dialog.showModal();
    (form.querySelector<HTMLElement>("input, select, textarea") ?? confirm).focus();
  });
}
