import type { Me } from "../../api/index.js";

const KEY = "rekindle.apiKey";

/**
 * The API key for this tab: kept in sessionStorage (gone when the tab closes, never shared with
 * other tabs), sent as a bearer token, cleared on sign-out.
 */
export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn(key: string, me: Me) {
    sessionStorage.setItem(KEY, key);
    this.me = me;
  },
  signOut() {
    sessionStorage.removeItem(KEY);
    this.me = null;
  },
  /** Who the key belongs to and what it may do (`GET /api/me`), once signed in. */
  me: null as Me | null,
};
