/**
 * Path parameters as they appear in the URL, still percent-encoded, and the `{param}` templates
 * that turn them into an action or a resource. Routers hand handlers decoded parameters (Hono's
 * `c.req.param`, Express's `req.params`), and a decoded `web%2F..%2Fglobex` names another
 * resource; raw, it contains `%`, which the scope grammar refuses. Pure.
 */

const TEMPLATE_PARAM = /\{([^{}]*)\}/g;

/**
 * The raw parameters of `path` (the request's pathname, as received) under a route `pattern`
 * such as `/repos/:owner/:repo/issues`, or undefined when the path does not have the pattern's
 * shape. A pattern segment `:name` (also `:name{regex}` and a last `:name?`) captures one
 * segment; a last `*` matches whatever follows; other segments must be there but are not
 * compared (the router matched them, possibly after decoding). A pattern whose parameter could
 * span segments cannot be read this way and gives undefined.
 *
 * @example
 * pathParams("/repos/:owner/:repo/issues", "/repos/acme/web%2Fx/issues"); // { owner: "acme", repo: "web%2Fx" }
 */
export function pathParams(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const have = path.split("/");
  const rest = want.at(-1) === "*";
  if (rest) want.pop();
  // A router that ignores one trailing slash (Hono's `strict: false`) matched `/a/` as `/a`.
  if (!rest && have.length === want.length + 1 && have.at(-1) === "") have.pop();
  const optionalLast = want.at(-1)?.startsWith(":") === true && want.at(-1)?.endsWith("?") === true;
  if (optionalLast && have.length === want.length - 1) have.push("");
  if (rest ? have.length < want.length : have.length !== want.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const value = have[i] ?? "";
    if (!segment.startsWith(":")) continue;
    const name = /^:([^{?]+)/.exec(segment)?.[1] ?? "";
    const regex = /\{(.*)\}\??$/.exec(segment)?.[1];
    // A custom pattern that can match `/` may have captured more than this one segment.
    if (regex !== undefined && new RegExp(`^(?:${regex})$`).test("a/b")) return undefined;
    if (value === "" && !(optionalLast && i === want.length - 1)) return undefined;
    if (value !== "") params[name] = value;
  }
  return params;
}

/** The parameter names a `{param}` template uses. */
export function templateParams(template: string): string[] {
  return [...template.matchAll(TEMPLATE_PARAM)].map((match) => match[1] ?? "");
}

/**
 * Fills a `{param}` template with raw parameters. Throws a TypeError naming the template and the
 * route when a parameter is missing: that is a mistake in the tool server, not in the request.
 */
export function fillTemplate(
  template: string,
  params: Readonly<Record<string, string>>,
  route: string,
): string {
  return template.replace(TEMPLATE_PARAM, (_, name: string) => {
    const value = params[name];
    if (value === undefined) {
      throw new TypeError(
        `template ${template} uses {${name}}, which route ${route} does not capture; capture it with :${name} or change the template`,
      );
    }
    return value;
  });
}
