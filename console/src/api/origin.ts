// Where hosted operations are served for this browser. The same origin as
// the console, unless the admin API and the console have a listener of
// their own (SLUICE_ADMIN_LISTEN): then /system/about names the public
// origin, which the console's Content-Security-Policy and the public
// listener's CORS let the console reach.

let known: Promise<string> | null = null;

/** The public API's origin (`http://host:port`), or '' for the console's own. */
export function apiOrigin(): Promise<string> {
  known ??= fetch('/system/about')
    .then((response) => (response.ok ? response.json() : {}))
    .then((about: { api_origin?: string }) => about.api_origin ?? '')
    .catch(() => {
      // Asked again next time rather than guessing for good.
      known = null;
      return '';
    });
  return known;
}
