import { api, whenUnauthorized } from "./api.js";
import { h, replace } from "./dom.js";
import { aOrAn } from "./format.js";
import { BASE, href, interceptLinks, match, navigate, whenNavigated } from "./router.js";
import { session } from "./session.js";
import type { Ability, Me } from "../../api/index.js";
import { type Context, failure, page } from "./ui.js";
import { audienceView } from "./views/audience.js";
import { campaignView } from "./views/campaign.js";
import { campaignsView } from "./views/campaigns.js";
import { cancelFlowView } from "./views/cancel-flow.js";
import { customerView } from "./views/customer.js";
import { customersView } from "./views/customers.js";
import { opsView } from "./views/ops.js";
import { signInView } from "./views/sign-in.js";
import { studioView } from "./views/studio.js";

type View = (ctx: Context) => Promise<void> | void;

/** Every screen, the address it lives at, and what the role must be allowed to open it. */
const ROUTES: { pattern: string; view: View; needs?: Ability }[] = [
  { pattern: "/campaigns", view: campaignsView, needs: "campaigns" },
  { pattern: "/campaigns/:id", view: campaignView, needs: "campaigns" },
  { pattern: "/campaigns/:id/studio", view: studioView, needs: "studio" },
  { pattern: "/campaigns/:id/audience", view: audienceView, needs: "audience" },
  { pattern: "/customers", view: customersView, needs: "customers" },
  { pattern: "/customers/:id", view: customerView, needs: "timeline" },
  { pattern: "/cancel-flow", view: cancelFlowView, needs: "cancelFlow" },
  { pattern: "/ops", view: opsView, needs: "ops" },
  { pattern: "/", view: homeView },
];

/** The main menu: only what the role may open. */
const NAV: { label: string; to: string; needs: Ability; section: string }[] = [
  { label: "Campaigns", to: href("campaigns"), needs: "campaigns", section: "/campaigns" },
  { label: "Customers", to: href("customers"), needs: "customers", section: "/customers" },
  { label: "Cancel flow", to: href("cancel-flow"), needs: "cancelFlow", section: "/cancel-flow" },
  { label: "Ops", to: href("ops"), needs: "ops", section: "/ops" },
];

/** Where each role starts. */
function homeView(ctx: Context): void {
  const { may } = ctx.me;
  if (ctx.me.role === "support" && may.customers) return navigate(href("customers"), { replace: true });
  if (may.campaigns) return navigate(href("campaigns"), { replace: true });
  if (may.customers) return navigate(href("customers"), { replace: true });
  page(ctx, "Nothing here for this key", h("p", null, `${aOrAn(ctx.me.role, { sentenceStart: true })} key sends data to Rekindle; the console is for support, marketer and ops keys. Sign out and sign in with one of those.`));
}

function appElement(): HTMLElement {
  const element = document.getElementById("app");
  if (!element) throw new Error('The console page has no <div id="app"> to draw in.');
  return element;
}

const root = appElement();
let generation = 0;
let cleanups: (() => void)[] = [];

function layout(me: Me): HTMLElement {
  const section = location.pathname.slice(BASE.length);
  const main = h("main", { id: "main", tabindex: -1 });
  const signOut = h("button", { type: "button", class: "link-button" }, "Sign out");
  signOut.addEventListener("click", () => {
    session.signOut();
    navigate(href("sign-in"));
  });
  replace(
    root,
    h("a", { class: "skip-link", href: "#main" }, "Skip to content"),
    h(
      "header",
      { class: "top" },
      h("a", { class: "brand", href: `${BASE}/` }, h("span", { "aria-hidden": "true", class: "flame" }), "Rekindle"),
      h(
        "nav",
        { "aria-label": "Main" },
        h(
          "ul",
          null,
          NAV.filter((item) => me.may[item.needs]).map((item) =>
            h("li", null, h("a", { href: item.to, "aria-current": section === item.section || section.startsWith(`${item.section}/`) ? "page" : null }, item.label)),
          ),
        ),
      ),
      h("div", { class: "who" }, h("span", null, "Signed in as ", h("strong", null, me.name), ` (${me.role})`), signOut),
    ),
    main,
  );
  return main;
}

async function render(): Promise<void> {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  const mine = ++generation;
  const path = location.pathname.slice(BASE.length) || "/";
  const key = session.key();
  if (!key || path === "/sign-in") {
    if (key && session.me) return navigate(`${BASE}/`, { replace: true });
    const next = path === "/sign-in" ? new URLSearchParams(location.search).get("next") : location.pathname + location.search;
    return signInView(root, next);
  }
  if (!session.me) {
    try {
      session.me = await api("GET /api/me");
    } catch {
      return; // refused: whenUnauthorized has gone to sign-in
    }
    if (mine !== generation) return;
  }
  const me = session.me;
  const main = layout(me);
  const found = match(
    ROUTES.map((r) => r.pattern),
    location,
  );
  const ctx: Context = {
    me,
    params: found?.params ?? {},
    query: found?.query ?? new URLSearchParams(),
    main,
    current: () => mine === generation,
    onLeave: (cleanup) => cleanups.push(cleanup),
  };
  const route = ROUTES.find((r) => r.pattern === found?.pattern);
  if (!route) {
    page(ctx, "Page not found", h("p", null, "There is no such page in the console. ", h("a", { href: `${BASE}/` }, "Go to the start")));
    return;
  }
  if (route.needs && !me.may[route.needs]) {
    page(ctx, "Not for your role", h("p", null, `${aOrAn(me.role, { sentenceStart: true })} key cannot open this page. Ask ops for a key with the role it needs.`));
    return;
  }
  try {
    await route.view(ctx);
  } catch (error) {
    if (ctx.current()) ctx.main.append(failure(error));
  }
}

whenUnauthorized((message) => {
  session.signOut();
  navigate(`${href("sign-in")}?reason=${encodeURIComponent(message)}`);
});
whenNavigated(() => void render());
interceptLinks(document);
void render();
