import { api, ApiError, query } from "../api.js";
import { errorText } from "../dialog.js";
import { field, h, replace, uid } from "../dom.js";
import { navigate } from "../router.js";
import { announce, campaignTabs, type Context, loading, page, routeParam } from "../ui.js";
import { invalidCampaign } from "./campaign.js";

/** The widths an email is shown at: a desktop mail client's reading pane, and a phone. */
const WIDTHS = { desktop: 640, mobile: 375 } as const;
type Width = keyof typeof WIDTHS;

/** The locale value that asks for the default variant whatever the customer's own language ("undetermined" in BCP-47). */
const DEFAULT_VARIANT = "und";

interface Choice {
  email: string;
  /** "" = the customer's own (or the sample's); else a variant's locale, or `und` for the default variant. */
  locale: string;
  customer: string;
  width: Width;
}

/**
 * Studio: every email of a campaign as the customer will see it — desktop and phone width, each
 * language, with the sample customer or a real one — with subject, preheader and text part beside
 * it, and a test send. The choices live in the address, so a preview can be linked. Under
 * `rekindle studio` it renders again whenever a template is saved.
 */
export async function studioView(ctx: Context): Promise<void> {
  const id = routeParam(ctx, "id");
  const body = page(ctx, `Studio: ${id}`, loading("Loading the emails"));
  const list = await api("GET /api/campaigns");
  if (!ctx.current()) return;
  const invalid = list.invalid.find((c) => c.id === id);
  const summary = list.campaigns.find((c) => c.id === id);
  const studio = await api("GET /api/studio");
  if (!ctx.current()) return;
  // Until the preview exists, a change has nothing to render again.
  let onChange = () => {};
  if (studio.watching) watchForChanges(ctx, id, studio.revision, () => onChange());
  const watchNote = studio.watching ? h("p", { class: "watching" }, h("span", { class: "dot", "aria-hidden": "true" }), "Watching the templates folder: each save shows here.") : null;
  if (invalid || !summary) {
    replace(body, campaignTabs(ctx, id, "studio"), watchNote, invalid ? invalidCampaign(invalid.problems) : h("p", { class: "notice error", role: "alert" }, `There is no campaign ${id}.`));
    return;
  }
  const heading = ctx.main.querySelector("h1");
  if (heading) heading.textContent = `Studio: ${summary.name}`;
  const { emails } = await api("GET /api/campaigns/:id/emails", { params: { id } });
  if (!ctx.current()) return;
  const [first] = emails;
  if (!first) {
    replace(body, campaignTabs(ctx, id, "studio"), watchNote, h("p", null, "This campaign sends no email (its steps are waits, branches and webhooks)."));
    return;
  }

  const wanted = ctx.query.get("email");
  const choice: Choice = {
    email: emails.find((e) => e.step === wanted)?.step ?? first.step,
    locale: ctx.query.get("locale") ?? "",
    customer: ctx.query.get("customer") ?? "",
    width: ctx.query.get("width") === "mobile" ? "mobile" : "desktop",
  };

  // The controls.
  const emailSelect = h("select", { name: "email" }, emails.map((e) => h("option", { value: e.step, selected: e.step === choice.email }, `${e.step} (${e.template}.mjml)`)));
  const localeSelect = h("select", { name: "locale" });
  const sampleRadio = h("input", { type: "radio", name: "who", value: "sample", id: uid("who"), checked: !choice.customer });
  const customerRadio = h("input", { type: "radio", name: "who", value: "customer", id: uid("who"), checked: Boolean(choice.customer) });
  const customerInput = h("input", { type: "text", name: "customer", value: choice.customer, autocomplete: "off", spellcheck: "false", disabled: !choice.customer });
  const widthRadios = (Object.keys(WIDTHS) as Width[]).map((width) =>
    h("input", { type: "radio", name: "width", value: width, id: uid("width"), checked: width === choice.width }),
  );

  const fillLocales = () => {
    const variants = emails.find((e) => e.step === choice.email)?.locales ?? [];
    const forCustomer = Boolean(choice.customer);
    const options: [string, string][] = [
      ...(forCustomer ? ([["", "The customer's own language"]] as [string, string][]) : []),
      ...variants.map((v): [string, string] => [v.locale ?? (forCustomer ? DEFAULT_VARIANT : ""), v.locale ? `${v.locale} (${v.file})` : `Default (${v.file})`]),
    ];
    if (!options.some(([value]) => value === choice.locale)) choice.locale = options[0]?.[0] ?? "";
    replace(localeSelect, options.map(([value, label]) => h("option", { value, selected: value === choice.locale }, label)));
  };
  fillLocales();

  const controls = h(
    "form",
    { class: "studio-controls", "aria-label": "What to preview" },
    field("Email", emailSelect),
    field("Language", localeSelect),
    h(
      "fieldset",
      { class: "who" },
      h("legend", null, "Render with"),
      h("div", { class: "radio" }, sampleRadio, h("label", { for: sampleRadio.id }, "Sample data")),
      h("div", { class: "radio" }, customerRadio, h("label", { for: customerRadio.id }, "A customer")),
      field("Customer id", customerInput),
    ),
    h(
      "fieldset",
      { class: "segmented" },
      h("legend", null, "Width"),
      widthRadios.map((radio) => h("div", { class: "radio" }, radio, h("label", { for: radio.id }, radio.value === "desktop" ? `Desktop (${WIDTHS.desktop} px)` : `Phone (${WIDTHS.mobile} px)`))),
    ),
    h("button", { type: "submit", class: "primary" }, "Show"),
  );

  // The preview.
  const subject = h("p", { class: "subject" });
  const preheader = h("p", { class: "preheader" });
  const frame = h("iframe", { title: "The email as the customer sees it", sandbox: "", referrerpolicy: "no-referrer", class: `email-frame ${choice.width}` });
  const text = h("pre", { class: "text-part", tabindex: 0 });
  const result = h("div", { class: "preview-status", role: "status" });
  const preview = h(
    "div",
    { class: "studio-preview" },
    h("div", { class: "frame-box" }, frame),
    h(
      "aside",
      { class: "envelope", "aria-label": "Subject, preheader and text part" },
      h("h2", null, "Subject"),
      subject,
      h("h2", null, "Preheader"),
      preheader,
      h("h2", null, "Text part"),
      text,
    ),
  );

  const keepInAddress = () => {
    const search = query({ email: choice.email, locale: choice.locale, customer: choice.customer, width: choice.width === "desktop" ? undefined : choice.width });
    if (location.search !== search) history.replaceState(null, "", location.pathname + search);
  };

  let renders = 0;
  const render = async () => {
    const mine = ++renders;
    keepInAddress();
    frame.className = `email-frame ${choice.width}`;
    frame.title = `The email as the customer sees it, ${choice.width === "desktop" ? "desktop" : "phone"} width`;
    replace(result, "Rendering…");
    preview.setAttribute("aria-busy", "true");
    try {
      const rendered = await api("GET /api/campaigns/:id/steps/:step/preview", { params: { id, step: choice.email }, query: { customer: choice.customer, locale: choice.locale } });
      if (!ctx.current() || mine !== renders) return;
      subject.textContent = rendered.subject;
      preheader.textContent = rendered.preheader ?? "(none)";
      text.textContent = rendered.text;
      frame.srcdoc = rendered.html;
      replace(result, `Showing ${choice.email} in ${rendered.locale ? `the ${rendered.locale} variant` : "the default variant"} for ${rendered.customer === "sample" ? "the sample customer" : rendered.customer}.`);
      result.className = "preview-status";
    } catch (error) {
      if (!ctx.current() || mine !== renders) return;
      if (error instanceof ApiError && error.code === "campaign_invalid") return void studioView(ctx);
      replace(result, errorText(error));
      result.className = "preview-status notice error";
    } finally {
      if (mine === renders) preview.removeAttribute("aria-busy");
    }
  };

  emailSelect.addEventListener("change", () => {
    choice.email = emailSelect.value;
    fillLocales();
    void render();
  });
  localeSelect.addEventListener("change", () => {
    choice.locale = localeSelect.value;
    void render();
  });
  for (const radio of [sampleRadio, customerRadio]) {
    radio.addEventListener("change", () => {
      customerInput.disabled = sampleRadio.checked;
      if (sampleRadio.checked) {
        choice.customer = "";
        fillLocales();
        void render();
      } else customerInput.focus();
    });
  }
  for (const radio of widthRadios) {
    radio.addEventListener("change", () => {
      choice.width = radio.value as Width;
      void render();
    });
  }
  controls.addEventListener("submit", (event) => {
    event.preventDefault();
    choice.customer = customerRadio.checked ? customerInput.value.trim() : "";
    fillLocales();
    void render();
  });

  replace(body, campaignTabs(ctx, id, "studio"), watchNote, controls, result, preview, ctx.me.may.testSend ? testSendForm(id, choice) : null);
  onChange = () =>
    void api("GET /api/campaigns/:id/emails", { params: { id } }).then((now) => {
      // New emails or languages need new controls; otherwise only the preview is drawn again.
      if (JSON.stringify(now.emails) !== JSON.stringify(emails)) navigate(location.pathname + location.search, { replace: true });
      else void render();
    }, () => void render());
  await render();
}

/** Sends the email as previewed to an address, marked [Test]; nothing is recorded in the outbox. */
function testSendForm(campaignId: string, choice: Choice): HTMLElement {
  const to = h("input", { type: "email", name: "to", required: true, autocomplete: "email" });
  const status = h("div", { role: "status", class: "send-status" });
  const send = h("button", { type: "submit" }, "Send test");
  const form = h("form", { class: "test-send", "aria-labelledby": "test-send-heading", novalidate: true }, h("h2", { id: "test-send-heading" }, "Test send"), field("Send this email to", to, "Marked [Test] in the subject; as previewed above (language and customer)."), send, status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    send.disabled = true;
    replace(status, "Sending…");
    status.className = "send-status";
    api("POST /api/campaigns/:id/steps/:step/test-send", {
      params: { id: campaignId, step: choice.email },
      body: { to: to.value.trim(), ...(choice.customer && { customer: choice.customer }), ...(choice.locale && { locale: choice.locale }) },
    })
      .then((sent) => {
        replace(status, `Sent “${sent.subject}” to ${sent.to}.`);
        announce(`Test sent to ${sent.to}.`);
      })
      .catch((error: unknown) => {
        replace(status, errorText(error));
        status.className = "send-status notice error";
      })
      .finally(() => {
        send.disabled = false;
      });
  });
  return form;
}

/**
 * Under `rekindle studio`: asks every second whether the campaigns were reloaded (a template saved)
 * and, when they were, tells the page to render again; a campaign that became invalid (or valid)
 * redraws the whole page.
 */
function watchForChanges(ctx: Context, id: string, revision: number, onChange: () => void): void {
  let seen = revision;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      const now = await api("GET /api/studio");
      if (!stopped && now.revision !== seen) {
        seen = now.revision;
        const list = await api("GET /api/campaigns");
        if (stopped) return;
        const validNow = list.campaigns.some((c) => c.id === id);
        const validShown = document.querySelector(".studio-preview") !== null;
        if (validNow !== validShown) {
          stopped = true;
          navigate(location.pathname + location.search, { replace: true });
          return;
        }
        onChange();
        announce("Templates changed: shown again.");
      }
    } catch {
      // The API restarting: try again next second.
    }
    if (!stopped) timer = setTimeout(() => void tick(), 1_000);
  };
  let timer = setTimeout(() => void tick(), 1_000);
  ctx.onLeave(() => {
    stopped = true;
    clearTimeout(timer);
  });
}
